"""The CLI contract for ``run``: what it writes and prints, and one ``error:`` line (exit 2) for bad input
or a bad argument, checked before any work. The other commands' contracts are in ``test_cli_embed.py``,
``test_cli_bench.py``, ``test_cli_assign.py`` and ``test_cli_project.py``.

Importing the pipeline (torch, scikit-learn) takes seconds, so most tests do not start a fresh
``python -m core`` each: a helper process imports the CLI once and forks a child per command
(``tests/clikit.py``). The child redirects its file descriptors 1 and 2, so everything a real run would
print (log lines, Python warnings, tracebacks) is seen. ``fake=True`` swaps the fake embedder in for the
real model.
"""

import numpy as np
import pandas as pd
import pytest

from clikit import FAST, SCORE_KEYS, assert_one_error_line, python_m_core, read_outputs, topic_csv
from core.clustering.cluster import label_scores


# -- run ------------------------------------------------------------------------------------------
def test_run_writes_metrics_assignments_and_clusters(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", "--hidden", "32", "--latent", "8",
                 "--seed", "5", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    metrics, table, clusters = read_outputs(tmp_path / "out")
    assert {"n_docs", "k", "latent_dim", "model", "seed", "baseline", "timings_s", "embed_cache",
            "config"} | SCORE_KEYS <= set(metrics)
    assert (metrics["n_docs"], metrics["k"], metrics["latent_dim"], metrics["seed"]) == (30, 3, 8, 5)
    assert set(metrics["baseline"]) == SCORE_KEYS
    assert set(metrics["timings_s"]) == {"load", "embed", "train", "cluster", "project", "total"}
    assert metrics["embed_cache"] == {"hits": 0, "misses": 30}
    assert metrics["config"]["encoder"]["hidden"] == 32 and metrics["config"]["encoder"]["epochs"] == 3
    assert all(metrics[key] is not None for key in ("acc", "nmi", "ari"))
    assert list(table.columns) == ["id", "title", "text", "cluster", "cluster_name", "confidence", "x", "y", "label"]
    assert len(table) == 30 and set(table["cluster"]) == {0, 1, 2} and table["x"].isna().all()
    assert table["confidence"].between(0, 1).all() and table["confidence"].max() > 0.2
    assert [c["cluster"] for c in clusters] == [0, 1, 2]
    assert all(set(c) == {"cluster", "name", "size", "keywords", "examples"} for c in clusters)
    names = {c["cluster"]: c["name"] for c in clusters}
    assert all(table["cluster_name"] == table["cluster"].map(names))
    assert sum(c["size"] for c in clusters) == 30
    assert all(c["keywords"] and set(c["examples"]) <= set(table["text"]) for c in clusters)
    assert "[embed]" in result.stderr and "[train]" in result.stderr and "30 texts, k=3" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_map_fills_x_and_y(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path, labels=False), "--k", "3", "--epochs", "2",
                 "--projection", "tsne", "--fraction", "1", "--out", "out")
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert "label" not in table.columns and list(table.columns)[-2:] == ["x", "y"]  # no label column without labels
    assert np.isfinite(table[["x", "y"]].to_numpy()).all()
    assert metrics["acc"] is None and metrics["nmi"] is None and metrics["ari"] is None
    assert metrics["baseline"]["acc"] is None


def test_missing_labels_still_run_and_score_the_labelled_rows(cli, tmp_path):
    path = topic_csv(tmp_path)
    frame = pd.read_csv(path)
    frame.loc[::3, "label"] = None
    # half the unlabelled rows end in an empty field ("text,"), half are short ("text")
    lines = frame.to_csv(index=False).splitlines()
    path.write_text("\n".join(line[:-1] if line.endswith(",") and i % 2 else line for i, line in enumerate(lines)))
    result = cli("run", "--data", path, "--k", "3", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    assert "10 rows have no label" in result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["n_docs"] == 30 and table["label"].isna().sum() == 10
    known = table["label"].notna()
    expected = label_scores(table["label"][known].to_numpy(), table["cluster"][known].to_numpy())
    assert metrics["acc"] == pytest.approx(expected["acc"]) and metrics["ari"] == pytest.approx(expected["ari"])


def test_named_text_and_label_columns(cli, tmp_path):
    frame = pd.read_csv(topic_csv(tmp_path)).rename(columns={"text": "body", "label": "topic"})
    frame["text"] = "decoy"  # a 'text' column that must not be used
    frame.to_csv(tmp_path / "named.csv", index=False)
    result = cli("run", "--data", "named.csv", "--text-col", "body", "--label-col", "topic", "--k", "3",
                 "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["text_col"] == "body" and metrics["label_col"] == "topic" and metrics["acc"] is not None
    assert "decoy" not in set(table["text"])


def test_duplicate_texts_run(cli, tmp_path):
    frame = pd.read_csv(topic_csv(tmp_path, 4))
    pd.concat([frame] * 3).to_csv(tmp_path / "dups.csv", index=False)
    result = cli("run", "--data", "dups.csv", "--k", "3", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["n_docs"] == 36 and table.groupby("text")["cluster"].nunique().max() == 1


def test_a_text_of_100000_characters_runs(cli, tmp_path):
    frame = pd.read_csv(topic_csv(tmp_path, 4))
    frame.loc[0, "text"] = ("market " * 14_286)[:100_000]
    frame.to_csv(tmp_path / "long.csv", index=False)
    result = cli("run", "--data", "long.csv", "--k", "3", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    assert read_outputs(tmp_path / "out")[0]["n_docs"] == 12


def test_a_fraction_keeps_that_share_of_the_rows(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", "--fraction", "0.5", "--epochs", "2",
                 "--projection", "none", "--out", "out")
    assert result.rc == 0, result.stderr
    assert read_outputs(tmp_path / "out")[0]["n_docs"] == 15


# -- bad input: exit 2 and one error line -------------------------------------------------------------
def write(tmp_path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return name


TEXTS = "text\n" + "".join(f"text number {i} about topic {i % 3}\n" for i in range(20))
BAD_FILES = {  # name -> (file content, pattern of the error line)
    "empty.csv": (b"", "empty"),
    "blank.csv": ("\n  \n\n", "empty"),
    "header_only.csv": ("text,label\n", "no data rows.*only a header"),
    "no_text_column.csv": ("foo,bar\n1,2\n3,4\n", "no text column.*foo, bar"),
    "latin1.csv": ("text\ncafé crème\nnaïve\n".encode("latin-1"), "not UTF-8"),
    "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    "ragged.csv": ("text,label\nhello,a\nworld,b,extra,fields\nagain,c\n", "cannot read.*Expected 2 fields"),
    "all_empty.csv": ('text,label\n"",a\n"   ",b\n,c\n', "no usable text"),
    "identical.csv": ("text\n" + "the same text\n" * 20, "only 1 distinct text"),
    "notes.txt": ("text\nhello\n", "unsupported file type '.txt'"),
    "broken.parquet": (b"PAR1 this is not parquet PAR1", "cannot read broken.parquet as parquet"),
    "broken.jsonl": ('{"text": "a"}\n{"text": \n', "cannot read broken.jsonl as jsonl"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_one_error_line(cli, tmp_path, name):
    content, pattern = BAD_FILES[name]
    result = cli("run", "--data", write(tmp_path, name, content), "--k", "2", "--out", "out", *FAST)
    assert_one_error_line(result, pattern)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, pattern", [
    (["--data", "missing.csv"], "file not found: missing.csv"),
    (["--data", "folder.csv"], "not a file: folder.csv"),
    (["--data", "texts.csv", "--text-col", "nope"], "no column 'nope'.*text"),
    (["--data", "texts.csv", "--label-col", "nope"], "no label column 'nope'"),
    (["--data", "texts.csv", "--k", "50"], r"k=50 is larger than the number of texts \(20\)"),
    (["--data", "texts.csv", "--k", "4", "--fraction", "0.1"], r"k=4 is larger than the number of texts \(2\)"),
    (["--data", "texts.csv", "--k", "1"], "k must be a whole number from 2 to 500, got 1"),
    (["--data", "texts.csv", "--fraction", "0"], r"fraction must be in \(0, 1\], got 0"),
    (["--data", "texts.csv", "--fraction", "1.5"], r"fraction must be in \(0, 1\], got 1.5"),
    (["--data", "texts.csv", "--fraction", "-0.5"], r"fraction must be in \(0, 1\]"),
    (["--data", "texts.csv", "--fraction", "nan"], r"fraction must be in \(0, 1\]"),
    (["--data", "texts.csv", "--epochs", "0"], "the number of epochs must be a whole number from 1 to 1,000"),
    (["--data", "texts.csv", "--latent", "0"], "the latent size must be a whole number from 1 to 1,024, got 0"),
    (["--data", "texts.csv", "--hidden", "10000000"], "the hidden size must be a whole number from 1 to 4,096"),
    (["--data", "texts.csv", "--seed", "-1"], "seed must be"),
    (["--data", "texts.csv", "--backend", "nope"], "unknown embedding backend 'nope'"),
    (["--data", "texts.csv", "--objective", "nope"], "nope"),
    (["--data", "hf://datasets/only-owner"], "bad hub address"),
])
def test_bad_setting_is_one_error_line(cli, tmp_path, args, pattern):
    write(tmp_path, "texts.csv", TEXTS)
    (tmp_path / "folder.csv").mkdir()
    args = [*FAST, *args]  # later flags win, so a bad --fraction or --epochs overrides FAST's
    assert_one_error_line(cli("run", *args, "--out", "out"), pattern)
    assert not (tmp_path / "out").exists()


def test_missing_file_through_the_real_entry_point(tmp_path):
    result = python_m_core("run", "--data", "nowhere.csv", "--out", "out", cwd=tmp_path, timeout=120)
    assert_one_error_line(result, "file not found: nowhere.csv")


# -- the real model -----------------------------------------------------------------------------------
def test_a_model_that_cannot_be_loaded_is_one_error_line(cli, tmp_path):
    write(tmp_path, "texts.csv", TEXTS)
    result = cli("run", "--data", "texts.csv", "--k", "2", "--model", "no-such-model/xyz", "--out", "out",
                 *FAST, fake=False, env={"HF_HUB_OFFLINE": "1"})
    assert_one_error_line(result, "no-such-model/xyz")


def test_real_model_run_clusters_the_demo_and_reuses_the_store(small_csv, tmp_path):
    args = ["run", "--data", small_csv, "--k", "4", "--fraction", "1", "--epochs", "20", "--projection", "none"]
    first = python_m_core(*args, "--out", "first", cwd=tmp_path)
    assert first.rc == 0, first.stderr
    metrics, table, clusters = read_outputs(tmp_path / "first")
    assert metrics["n_docs"] == 320 and metrics["embed_cache"] == {"hits": 0, "misses": 320}
    assert metrics["baseline"]["acc"] >= 0.7 and metrics["acc"] >= 0.7, metrics
    assert len(clusters) == 4 and all(c["keywords"] for c in clusters)
    second = python_m_core(*args, "--out", "second", cwd=tmp_path)
    assert second.rc == 0, second.stderr
    again, table2, _ = read_outputs(tmp_path / "second")
    assert again["embed_cache"] == {"hits": 320, "misses": 0}
    assert table2["cluster"].tolist() == table["cluster"].tolist() and again["acc"] == metrics["acc"]


# -- --out checked before any work; a bad argument is one line ----------------------------------------
def test_out_that_is_a_file_fails_before_any_work(cli, tmp_path):
    import os
    from pathlib import Path

    (tmp_path / "taken").write_text("a file")
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", "taken")
    assert_one_error_line(result, "--out taken is a file, not a folder")
    assert not (Path(os.environ["CLUSTERLENS_CACHE_DIR"]) / "embeddings.sqlite").exists()  # nothing embedded
    assert (tmp_path / "taken").read_text() == "a file"


def test_out_below_a_file_or_unwritable_fails_before_any_work(cli, tmp_path):
    import os
    from pathlib import Path

    from faultkit import AS_ROOT

    (tmp_path / "taken").write_text("a file")
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", "taken/results")
    assert_one_error_line(result, "cannot write --out taken/results: taken is a file")
    if AS_ROOT:  # modes do not stop root; /proc refuses new files to everyone
        unwritable = "/proc/clusterlens-out"
    else:
        (tmp_path / "locked").mkdir(mode=0o555)
        unwritable = "locked/out"
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", unwritable)
    assert_one_error_line(result, "cannot write --out .* is not writable")
    assert not (Path(os.environ["CLUSTERLENS_CACHE_DIR"]) / "embeddings.sqlite").exists()


@pytest.mark.parametrize("args, pattern", [(["run", "--k", "abc"], "argument --k: invalid int value: 'abc'"),
                                           (["run", "--fraction", "half"], "argument --fraction: invalid float"),
                                           (["nope"], "invalid choice: 'nope'"),
                                           (["run", "--no-such-flag"], "unrecognized arguments: --no-such-flag")])
def test_a_bad_argument_is_one_line_not_the_usage_block(cli, args, pattern):
    assert_one_error_line(cli(*args), pattern)


def test_a_run_clusters_the_raw_embeddings_once(tmp_path, monkeypatch):
    """The co-view starts from raw K-Means, which is also the baseline: one K-Means, not two (a million
    points: minutes)."""
    import core.clustering.cluster_stage as stages
    import core.embedding.embed as embed
    import core.pipeline as pipeline
    from core.cli import main
    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    monkeypatch.setattr(pipeline, "get_embedder", lambda *a, **k: fake)
    monkeypatch.setattr(embed, "get_embedder", lambda *a, **k: fake)
    calls = []
    real = stages.kmeans
    monkeypatch.setattr(stages, "kmeans", lambda *a, **k: calls.append(1) or real(*a, **k))
    for cache in ([], ["--no-cache"]):
        calls.clear()
        out = tmp_path / f"out{len(cache)}"
        assert main(["run", "--data", str(topic_csv(tmp_path)), "--k", "3", "--out", str(out), *cache, *FAST]) == 0
        assert len(calls) == 1 and (out / "metrics.json").is_file()
