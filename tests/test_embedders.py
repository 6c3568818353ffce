"""The embedder choice (issue 29): the registry, the CLI's --embedder, the app's sidebar radio and the link."""
from __future__ import annotations

import pytest

from clikit import FAST, assert_one_error_line, read_outputs, topic_csv
from core.config import DEFAULT_MODEL, EmbedConfig, RefineConfig, RunConfig
from core.embedding.embedders import DEFAULT_EMBEDDER, EMBEDDERS, embedder_for_model, embedder_named
from core.errors import UserError
from core.embedding.static_embedder import STATIC_MODEL
from core.session.view_link import parse, to_query


def test_each_entry_names_a_model_with_a_fingerprint_of_its_own():
    assert DEFAULT_EMBEDDER == "minilm" and EMBEDDERS["minilm"].model == DEFAULT_MODEL
    assert EMBEDDERS["static"].model == STATIC_MODEL
    assert len({e.fingerprint() for e in EMBEDDERS.values()}) == len(EMBEDDERS)
    assert all(e.label and e.help and e.help.count(".") == 1 for e in EMBEDDERS.values())  # one line each
    assert embedder_named(" Static ") is EMBEDDERS["static"] and embedder_for_model("Static-MiniLM-L6-v2") == "static"
    assert embedder_for_model("/some/folder") is None
    with pytest.raises(UserError, match="unknown embedder 'fast'; choose one of minilm, static"):
        embedder_named("fast")


def test_refine_is_refused_for_the_static_embedder():
    with pytest.raises(UserError, match="static embedder has none; choose the full model"):
        RunConfig(embed=EmbedConfig(model=STATIC_MODEL), refine=RefineConfig(enabled=True))
    RunConfig(embed=EmbedConfig(model=STATIC_MODEL))  # without Refine: fine


def test_the_cli_runs_with_the_static_embedder(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", "--embedder", "static", "--out", "out", *FAST,
                 fake=False)
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["model"] == STATIC_MODEL and metrics["embed_backend"] == "static" and len(table) == 30
    assert metrics["acc"] > 0.9  # three plain topics: the static model separates them
    assert "embeddings static" in result.stderr


@pytest.mark.parametrize("args, pattern", [
    (["--embedder", "fast"], r"argument --embedder: invalid choice: 'fast'"),
    (["--embedder", "static", "--model", "paraphrase-MiniLM-L3-v2"], r"--embedder static and --model .* different"),
    (["--embedder", "static", "--refine"], r"static embedder has none"),
])
def test_a_bad_embedder_choice_is_one_error_line(cli, tmp_path, args, pattern):
    assert_one_error_line(cli("run", "--data", topic_csv(tmp_path), "--out", "out", *args, *FAST), pattern)


def test_the_link_names_the_embedder_only_when_it_is_not_the_default():
    static = RunConfig(embed=EmbedConfig(model=STATIC_MODEL))
    assert "embedder" not in to_query(RunConfig(), data="demo")
    query = to_query(static, data="demo")
    assert query["embedder"] == "static" and list(query).index("embedder") == list(query).index("projection") + 1
    assert parse(query)[0]["embedder"] == "static"
    settings, notices = parse({"embedder": "bert"})
    assert settings == {} and "embedder=" in notices[0] and "one of minilm, static" in notices[0]


def test_the_sidebar_offers_the_embedders_with_their_trade_off(fake_app):
    at = fake_app()
    at.run()
    radio = at.sidebar.radio(key="embedder")
    assert radio.value == "minilm" and radio.options == [e.label for e in EMBEDDERS.values()]
    assert at.session_state["current"][1].embed.model == DEFAULT_MODEL and "embedder" not in at.query_params
    assert any("fine-grained" in caption for caption in radio.proto.captions)
    radio.set_value("static").run()
    assert not at.exception and not at.error
    assert at.session_state["current"][1].embed.model == STATIC_MODEL
    assert at.query_params["embedder"] == "static"
    assert at.toggle(key="refine").disabled  # nothing to fine-tune
    assert at.session_state["session"].last.cfg.embed.model == STATIC_MODEL  # the map was made with it

    again = fake_app()  # the link opens with the same choice
    again.query_params = dict(at.query_params)
    again.run()
    assert again.sidebar.radio(key="embedder").value == "static"
    assert again.session_state["current"][1].embed.model == STATIC_MODEL
