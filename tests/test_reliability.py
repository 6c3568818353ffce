"""Reliability (issue 17): the model verified byte for byte, results independent of the cache's
history, a store that never sinks a run, and the last holes in input handling."""
from __future__ import annotations

import io
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clikit import FAST, assert_one_error_line, read_outputs, topic_csv
from core.backends import BACKENDS
from core.config import RunConfig, DataConfig, EncoderConfig, ProjectConfig, ClusterConfig
from core.embed import default_results, default_store, embed_texts
from core.embed_fingerprint import model_fingerprint
from core.store import EmbeddingStore, text_key
from fakes import FakeEmbedder

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # chmod does not stop root


# -- 1. the model fingerprint covers every byte -----------------------------------------------------
def fake_model(folder: Path, size: int = 3 << 20) -> Path:
    """A model folder of the usual shape: configuration files and a few MiB of 'weights'."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 384}')
    (folder / "modules.json").write_text("[]")
    (folder / "README.md").write_text("a model card")
    (folder / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(size))
    return folder


def damage(file: Path, offset: int, n: int = 1536) -> None:
    """Add noise to ``n`` bytes at ``offset`` without changing the file's size."""
    data = bytearray(file.read_bytes())
    data[offset:offset + n] = bytes((b + 1) % 256 for b in data[offset:offset + n])
    file.write_bytes(bytes(data))


def test_a_change_deep_in_the_weights_changes_the_fingerprint(tmp_path):
    original = fake_model(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    assert model_fingerprint(copy) == model_fingerprint(original)  # the content, not the path
    damage(copy / "model.safetensors", offset=(5 << 19))  # 2.5 MiB in: past the old 1 MiB head
    assert model_fingerprint(copy) != model_fingerprint(original)


def test_a_changed_config_or_a_new_file_changes_the_fingerprint_but_the_model_card_does_not(tmp_path):
    folder = fake_model(tmp_path / "m", size=1024)
    before = model_fingerprint(folder)
    (folder / "README.md").write_text("another card")
    assert model_fingerprint(folder) == before
    (folder / "config.json").write_text('{"hidden_size": 385}')
    changed = model_fingerprint(folder)
    assert changed != before
    (folder / "extra.json").write_text("{}")
    assert model_fingerprint(folder) != changed


def test_the_store_misses_for_a_model_changed_deep_inside(tmp_path):
    original = fake_model(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    damage(copy / "model.safetensors", offset=(5 << 19))
    store = EmbeddingStore(tmp_path / "s.sqlite")
    old, new = FakeEmbedder(), FakeEmbedder()
    old.fingerprint, new.fingerprint = model_fingerprint(original), model_fingerprint(copy)
    embed_texts(["some text", "another text"], old, store=store)
    assert embed_texts(["some text", "another text"], new, store=store).misses == 2


def test_the_packaged_model_changed_deep_inside_gets_another_fingerprint(tmp_path):
    from core.backends import resolve_model_path

    packaged = Path(resolve_model_path("all-MiniLM-L6-v2"))
    copy = tmp_path / "model"
    shutil.copytree(packaged, copy)
    assert model_fingerprint(copy) == model_fingerprint(packaged)
    damage(copy / "model.safetensors", offset=8 + 11408 + 87904768)  # the red team's offset
    assert model_fingerprint(copy) != model_fingerprint(packaged)


def test_the_onnx_artefact_is_keyed_on_the_whole_model(tmp_path):
    pytest.importorskip("onnxruntime")
    from core.onnx_export import _fingerprint

    original = fake_model(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    damage(copy / "model.safetensors", offset=(5 << 19))
    assert _fingerprint(str(copy)) != _fingerprint(str(original))


# -- 2. the same text gives the same vector, whatever it was embedded beside -------------------------
def test_the_store_keeps_backends_apart(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    a, b = FakeEmbedder(), FakeEmbedder()
    b.backend = "other"
    embed_texts(["x y z"], a, store=store)
    assert embed_texts(["x y z"], b, store=store).misses == 1


@pytest.fixture(scope="module")
def auto_model(tmp_path_factory, _shared_models):
    from core.backends import load_model

    cache = tmp_path_factory.mktemp("auto")
    (cache / "models").symlink_to(_shared_models, target_is_directory=True)  # exported once per session
    return load_model("all-MiniLM-L6-v2", backend="auto", cache_dir=cache)


def test_a_text_alone_and_beside_others_gives_the_identical_vector(auto_model):
    texts = pd.read_csv(Path(__file__).parents[1] / "core" / "demo" / "demo_news.csv")["description"].tolist()[:40]
    texts[5] = "short"  # a very short text among long ones: the most padding a batch could add
    together = auto_model.encode(texts, batch_size=64)
    reversed_ = auto_model.encode(texts[::-1], batch_size=8)[::-1]
    for i in (0, 5, 17, 39):
        alone = auto_model.encode([texts[i]])[0]
        assert np.array_equal(alone, together[i]) and np.array_equal(alone, reversed_[i]), i


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_does_not_depend_on_what_the_store_held(backend, cli, tmp_path, _shared_models):
    """Every backend (``auto`` picks one of them): half the demo, then all of it on the same cache,
    gives what all of it gives on a fresh one (with padded batches, torch-bf16 moved 12 texts'
    clusters and torch-fp32 the scores' fourth decimal)."""
    from core.backends import available_backends

    if backend not in available_backends():
        pytest.skip(f"{backend} is not available on this machine")
    args = ["run", "--data", "demo", "--k", "4", "--epochs", "2", "--projection", "none", "--backend", backend]
    assert cli(*args, "--fraction", "0.5", "--out", "half", fake=False, timeout=600).rc == 0
    grown = cli(*args, "--fraction", "1", "--out", "grown", fake=False, timeout=600)
    assert grown.rc == 0, grown.stderr
    fresh_cache = tmp_path / "fresh-cache"
    fresh_cache.mkdir()
    (fresh_cache / "models").symlink_to(_shared_models, target_is_directory=True)
    fresh = cli(*args, "--fraction", "1", "--out", "fresh", fake=False, timeout=600,
                env={"CLUSTERLENS_CACHE_DIR": str(fresh_cache)})
    assert fresh.rc == 0, fresh.stderr
    m_grown, t_grown, _ = read_outputs(tmp_path / "grown")
    m_fresh, t_fresh, _ = read_outputs(tmp_path / "fresh")
    assert m_grown["embed_cache"]["hits"] == 160 and m_fresh["embed_cache"]["hits"] == 0
    assert t_grown["cluster"].tolist() == t_fresh["cluster"].tolist()
    for key in ("silhouette", "acc", "nmi"):
        assert m_grown[key] == m_fresh[key] and m_grown["baseline"][key] == m_fresh["baseline"][key]


# -- 3. the store is optional in effect --------------------------------------------------------------
def vec(i: int, dim: int = 8) -> np.ndarray:
    return np.random.RandomState(i).randn(dim).astype(np.float32)


def store_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.store" and r.levelno >= logging.WARNING]


def assert_store_off_with_one_warning(store: EmbeddingStore, caplog, reason: str) -> None:
    """The store answers (misses, drops writes) and warned exactly once, naming ``reason``."""
    keys = [text_key(f"t{i}") for i in range(3)]
    store.put("m", [(k, vec(i, 4096)) for i, k in enumerate(keys)])  # 16 KiB each: new pages needed
    assert store.get("m", keys) == {}
    store.put("m", [(keys[0], vec(0))])
    assert store.count() == 0
    warnings = store_warnings(caplog)
    assert len(warnings) == 1 and "continuing without it" in warnings[0], warnings
    assert reason in warnings[0].lower(), warnings[0]


def test_a_file_where_the_cache_folder_should_be(tmp_path, caplog):
    (tmp_path / "blocked").write_text("not a folder")
    store = EmbeddingStore(tmp_path / "blocked" / "embeddings.sqlite")
    assert_store_off_with_one_warning(store, caplog, "file exists")


def test_a_planted_wal_symlink(tmp_path, caplog):
    path = tmp_path / "embeddings.sqlite"
    EmbeddingStore(path).put("m", [(text_key("x"), vec(0))])
    Path(f"{path}-wal").unlink(missing_ok=True)
    Path(f"{path}-wal").symlink_to(tmp_path / "elsewhere")
    assert_store_off_with_one_warning(EmbeddingStore(path), caplog, "unable to open")
    assert not (tmp_path / "elsewhere").exists()


def test_a_locked_store(tmp_path, caplog):
    path = tmp_path / "embeddings.sqlite"
    EmbeddingStore(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = EmbeddingStore(path, timeout=0.2)
        store.put("m", [(text_key("x"), vec(0))])
        assert store.get("m", [text_key("x")]) == {}
        warnings = store_warnings(caplog)
        assert len(warnings) == 1 and "locked" in warnings[0], warnings
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_disk(tmp_path, caplog, monkeypatch):
    path = tmp_path / "embeddings.sqlite"
    store = EmbeddingStore(path)
    real_connect = sqlite3.connect

    def tiny(*args, **kwargs):  # the database may not grow past its current pages: SQLITE_FULL
        con = real_connect(*args, **kwargs)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages}")
        return con

    monkeypatch.setattr("core.store.sqlite3.connect", tiny)
    assert_store_off_with_one_warning(store, caplog, "full")


def read_only(folder: Path, monkeypatch) -> None:
    """Make ``folder`` read-only: by its mode, or (as root, whom modes do not stop) by refusing every
    write into it as the kernel would: SQLite opens read-only, file writes raise EACCES."""
    if not AS_ROOT:
        folder.chmod(0o555)
        return
    from urllib.parse import urlsplit

    import core.atomic
    import core.store

    real_connect, real_mkstemp, real_access = sqlite3.connect, core.atomic.tempfile.mkstemp, os.access

    def inside(path) -> bool:
        return Path(path).resolve().is_relative_to(folder.resolve())

    def connect(database, *args, uri=False, **kwargs):
        parts = urlsplit(str(database)) if uri else None
        if inside(parts.path if uri else database):
            # what SQLite meets there: a WAL database needs its -shm file beside it, which cannot be
            # created, so only an immutable (read-only, no shared memory) open succeeds
            if not (uri and "immutable=1" in parts.query and "mode=ro" in parts.query):
                raise sqlite3.OperationalError("unable to open database file")
        return real_connect(database, *args, uri=uri, **kwargs)

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and inside(dir):
            raise PermissionError(13, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    def access(path, mode, *args, **kwargs):
        return False if mode & os.W_OK and inside(path) else real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(core.store.sqlite3, "connect", connect)
    monkeypatch.setattr(core.store.os, "access", access)
    monkeypatch.setattr(core.atomic.tempfile, "mkstemp", mkstemp)


def fast_config(source: str) -> RunConfig:
    return RunConfig(data=DataConfig(source=source, fraction=1.0), encoder=EncoderConfig(epochs=2),
                     cluster=ClusterConfig(k=3), project=ProjectConfig(method="none"))


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_a_run_with_a_read_only_cache_folder_succeeds(tmp_path, monkeypatch, caplog, filled):
    from core.cache import DiskCache
    from core.pipeline import run

    def results():
        return DiskCache(default_results())

    cache = Path(os.environ["CLUSTERLENS_CACHE_DIR"])
    cfg = fast_config(str(topic_csv(tmp_path)))
    reference = run(cfg, embedder=FakeEmbedder(), store=None)
    if filled:  # a store written earlier, now read-only (e.g. a shared cache): reads still work
        run(cfg, embedder=FakeEmbedder(), store=default_store(), cache=results())
    read_only(cache, monkeypatch)
    try:
        result = run(cfg, embedder=FakeEmbedder(), store=default_store(), cache=results())
    finally:
        cache.chmod(0o755)
    assert np.array_equal(result.clusters.clustering.labels, reference.clusters.clustering.labels)
    assert np.array_equal(result.embeddings.vectors, reference.embeddings.vectors)
    # empty: the store cannot be created (one warning); filled: reads may work, writes are dropped
    assert len(store_warnings(caplog)) == 1 if not filled else len(store_warnings(caplog)) <= 1
    assert "Traceback" not in caplog.text


def cache_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("core.") and r.levelno >= logging.WARNING]


def test_a_read_only_cache_folder_that_holds_the_vectors_serves_them_with_one_warning(tmp_path, monkeypatch,
                                                                                      caplog):
    """Issue 28: a read-only cache folder (a shared cache) that holds the vectors was not read: the store
    failed to open for writing and turned itself off, so every text was embedded again. It is read."""
    from core.cache import DiskCache
    from core.pipeline import run

    cache = Path(os.environ["CLUSTERLENS_CACHE_DIR"])
    cfg = fast_config(str(topic_csv(tmp_path)))
    reference = run(cfg, embedder=FakeEmbedder(), store=default_store(), cache=DiskCache(default_results()))
    cfg = replace(cfg, seed=cfg.seed + 1)  # other results, the same texts: the encoder trains again
    read_only(cache, monkeypatch)
    fake = FakeEmbedder()
    try:
        result = run(cfg, embedder=fake, store=default_store(), cache=DiskCache(default_results()))
    finally:
        cache.chmod(0o755)
    assert fake.encoded == 0 and result.embeddings.hits == len(result.corpus)  # every vector from the store
    before = dict(zip(reference.corpus.texts, reference.embeddings.vectors))
    assert all(np.array_equal(v, before[t]) for t, v in zip(result.corpus.texts, result.embeddings.vectors))
    warnings = cache_warnings(caplog)  # the store cannot be written, nor the result cache: one warning
    assert len(warnings) == 1 and "cannot be written" in warnings[0] and "reading its vectors" in warnings[0]


def test_the_cli_runs_with_a_file_in_place_of_the_cache_folder(cli, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file, not a folder")
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", "out",
                 env={"CLUSTERLENS_CACHE_DIR": str(blocker)})
    assert result.rc == 0, result.stderr
    warnings = [line for line in result.lines if "WARNING" in line]
    # one for the folder (issue 28: the store and the result cache beside it warned once each)
    assert len(warnings) == 1 and "embedding store" in warnings[0], result.stderr
    assert read_outputs(tmp_path / "out")[0]["n_docs"] == 30


def test_put_is_one_transaction(tmp_path, caplog):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    rows = [(text_key(str(i)), vec(i)) for i in range(100)]
    rows[60] = (None, vec(60))  # NOT NULL fails on the 61st row
    store.put("m", rows)
    fresh = EmbeddingStore(tmp_path / "s.sqlite")
    assert fresh.count() == 0  # none of the 60 rows before it were kept
    assert len(store_warnings(caplog)) == 1


def test_a_damaged_store_warns_once_not_once_per_row(tmp_path, caplog):
    path = tmp_path / "s.sqlite"
    store = EmbeddingStore(path)
    keys = [text_key(str(i)) for i in range(73)]
    store.put("m", [(k, vec(i)) for i, k in enumerate(keys)])
    con = sqlite3.connect(path)
    con.execute("UPDATE embeddings SET crc = crc + 1")
    con.commit()
    con.close()
    assert store.get("m", keys) == {}
    warnings = store_warnings(caplog)
    assert warnings == ["embedding store: 73 damaged rows will be re-embedded"]


# -- 5. the smaller holes ----------------------------------------------------------------------------
# The patterns Streamlit's Markdown (remark-gfm's autolink literals) turns into links, applied to the
# text after Markdown escapes are resolved, which is where remark-gfm applies them.
_BARE_URL = re.compile(r"(?i)(https?://|www(?=\.))[-.\w]+")
_BARE_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+")


def live_links(markdown: str) -> list[str]:
    text = re.sub(r"\\(.)", r"\1", markdown)
    return _BARE_URL.findall(text) + _BARE_EMAIL.findall(text)


@pytest.mark.parametrize("name", ["https://evil.example/x.csv", "see http://a.b/c", "WWW.evil.example",
                                  "www.evil.example/data.csv", "write to me@evil.example"])
def test_plain_leaves_no_bare_address_to_link(name):
    from pages._safe import plain

    assert live_links(name), "the pattern should see the raw name as a link"
    shown = plain(name)
    assert live_links(shown) == [], shown
    assert shown.replace("\u2060", "").replace("\\", "") == name  # the same characters on screen


def shown_text(at) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "error", "warning", "info") for e in at.get(kind)]


def test_file_and_column_names_are_not_links_on_the_data_and_map_pages(fake_app, tmp_path):
    folder = tmp_path / "www.evil.example"
    folder.mkdir()
    path = folder / "https_evil.csv"
    frame = pd.read_csv(topic_csv(tmp_path))
    frame.columns = ["read https://evil.example/t", "mail me@evil.example"]
    frame.to_csv(path, index=False)
    at = fake_app("--text-col", frame.columns[0], "--label-col", frame.columns[1], data=str(path))
    for page in ("pages/data.py", "pages/map.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, page
        texts = shown_text(at)
        assert any("evil" in t for t in texts), texts  # the names are shown ...
        assert [t for t in texts if live_links(t)] == [], page  # ... as text


def test_an_error_naming_an_address_is_not_a_link(fake_app):
    at = fake_app(data="www.evil.example/missing.csv")
    at.run()
    assert at.error and "missing" in at.error[0].value
    assert [t for t in shown_text(at) if live_links(t)] == []


#: What else Streamlit's Markdown renders in text, after escapes are resolved: ``:name:`` emoji
#: shortcodes, ``:material/name:`` icons and ``:colour[...]`` directives.
_SHORTCODE = re.compile(r":[\w+-]+:|:material/|:[\w-]+\[")


def markup(markdown: str) -> list[str]:
    """The links, emoji, icons and colours Streamlit would render in ``markdown``."""
    return live_links(markdown) + _SHORTCODE.findall(re.sub(r"\\(.)", r"\1", markdown))


@pytest.mark.parametrize("name", [":rocket:", "go :material/rocket_launch: now", ":red[alert]", ":+1: ok",
                                  ":blue-background[x]", "Money:markets :100:"])
def test_plain_leaves_no_shortcode_icon_or_colour(name):
    from pages._safe import plain

    assert markup(name), "the pattern should see the raw name's markup"
    shown = plain(name)
    assert markup(shown) == [], shown
    assert shown.replace("\u2060", "").replace("\\", "") == name  # the same characters on screen


def rendered_text(at) -> list[str]:
    """Every string the page hands to Streamlit's Markdown: bodies, headings, labels, options."""
    out = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title")
           for e in at.get(kind)]
    out += [e.label for kind in ("expander", "button", "metric", "text_input", "multiselect", "selectbox", "radio",
                                 "slider", "toggle", "number_input") for e in at.get(kind)]
    out += [o for e in at.get("radio") for o in e.options]  # radio options are Markdown too
    out += [e.proto.label for e in at.get("page_link")]
    return out


def test_names_from_users_and_data_render_as_text_on_every_page(fake_app, tmp_path):
    """Issue 28: a cluster renamed to a bare URL became a live link in the Clusters page's headers, and
    ``:rocket:`` or ``:material/...:`` rendered as icons there, in the map's link to the Clusters page,
    in link notices, the search caption and column names."""
    from apphelpers import select_on_map, shown

    name = "see https://evil.example :rocket: :material/home:"
    column = ":material/warning: source www.evil.example"
    frame = pd.read_csv(topic_csv(tmp_path))
    frame[column] = ["a", "b"] * (len(frame) // 2)
    path = tmp_path / "topics.csv"
    frame.to_csv(path, index=False)
    at = fake_app(data=str(path))
    at.query_params = {"colour": ":material/home: nope"}  # a link's colour this data has not: a notice
    at.run()
    assert not at.exception and at.warning
    seen = rendered_text(at)

    at.switch_page("pages/clusters.py").run()
    at.selectbox(key="edit_rename_cluster").set_value(0)
    at.text_input(key="edit_rename_to").input(name)
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception and not at.error
    seen += rendered_text(at)

    at.switch_page("pages/map.py").run()
    at.text_input(key="search_words").input(":rocket: orbit").run()
    _, labels = shown(at)
    select_on_map(at, [int(r) for r in np.flatnonzero(labels == 0)[:5]])  # cluster 0 leads the link
    at.run()
    assert not at.exception and not at.error
    seen += rendered_text(at)
    assert any("Open the selection and cluster 0" in t and "evil" in t for t in seen)  # the name is shown ...
    assert any("warning" in t for t in seen) and any("orbit" in t for t in seen)  # ... the column, the search
    theirs = [t for t in seen if markup(t) and any(w in t for w in ("rocket", "home", "warning", "evil"))]
    assert theirs == []  # ... as text (the app's own icons aside)


def test_out_that_is_a_file_fails_before_any_work(cli, tmp_path):
    (tmp_path / "taken").write_text("a file")
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", "taken")
    assert_one_error_line(result, "--out taken is a file, not a folder")
    assert not (Path(os.environ["CLUSTERLENS_CACHE_DIR"]) / "embeddings.sqlite").exists()  # nothing embedded
    assert (tmp_path / "taken").read_text() == "a file"


def test_out_below_a_file_or_unwritable_fails_before_any_work(cli, tmp_path):
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


def test_embed_out_that_is_a_folder_fails_before_any_work(cli, tmp_path):
    (tmp_path / "folder").mkdir()
    result = cli("embed", "--data", topic_csv(tmp_path), "--out", "folder")
    assert_one_error_line(result, "--out folder is a folder")


@pytest.mark.parametrize("source", ["hf://datasets/../../etc/passwd", "hf://datasets/owner/name/../../x.csv",
                                    "hf://datasets/owner/name//x.csv"])
def test_a_hub_path_that_climbs_out_is_a_clear_error(cli, tmp_path, source):
    assert_one_error_line(cli("run", "--data", source, *FAST, "--out", "out"), "bad hub address.*'\\.\\.'")


@pytest.mark.parametrize("header", ["text,text", "text,label,text", " text ,text"])
def test_a_repeated_header_is_found(cli, tmp_path, header):
    n = header.count(",") + 1
    (tmp_path / "dup.csv").write_text(header + "\n" + "".join(",".join([f"row {i}"] * n) + "\n" for i in range(10)))
    result = cli("run", "--data", "dup.csv", "--k", "2", *FAST, "--out", "out")
    assert_one_error_line(result, "more than one column named 'text'")


def test_nested_and_boolean_jsonl_cells_are_read_as_json_with_a_warning(caplog):
    from core.data import read_table

    lines = ['{"text": "plain words", "label": "a"}', '{"text": {"title": "x", "n": 1}, "label": "a"}',
             '{"text": ["one", "two"], "label": "b"}', '{"text": true, "label": "b"}']
    with caplog.at_level(logging.WARNING, logger="core.data"):
        frame = read_table("\n".join(lines).encode(), "cells.jsonl")
    assert frame["text"].tolist() == ["plain words", '{"title": "x", "n": 1}', '["one", "two"]', "true"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.data"]
    assert len(warnings) == 1 and "3 cells of column 'text'" in warnings[0], warnings


def test_list_and_boolean_parquet_cells_are_read_as_json_with_a_warning(caplog):
    from core.data import read_table

    buffer = io.BytesIO()
    pd.DataFrame({"text": [["a", "b"], ["c"]], "flag": [True, False], "label": ["x", "y"]}).to_parquet(buffer)
    with caplog.at_level(logging.WARNING, logger="core.data"):
        frame = read_table(buffer.getvalue(), "cells.parquet")
    assert frame["text"].tolist() == ['["a", "b"]', '["c"]'] and frame["flag"].tolist() == ["true", "false"]
    assert frame["label"].tolist() == ["x", "y"]
    assert len([r for r in caplog.records if r.name == "core.data"]) == 2


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3 cmd", "@SUM(A1)", "\t=1+1"]


def test_safe_csv_neutralises_formulas_and_keeps_numbers():
    from core.csv_export import safe_csv

    frame = pd.DataFrame({"text": FORMULAS + ["plain", "a = b"], "x": [-1.5] * 7, "cluster": [-1] * 7,
                          "label": ["-1", "+2", "-0.5", "1e-3", "-", "-1-1", "@"]})
    back = pd.read_csv(io.StringIO(safe_csv(frame)), keep_default_na=False, dtype=str)
    assert back["text"].tolist() == [f"'{f}" for f in FORMULAS] + ["plain", "a = b"]
    assert back["x"].tolist() == ["-1.5"] * 7 and back["cluster"].tolist() == ["-1"] * 7
    assert back["label"].tolist() == ["-1", "+2", "-0.5", "1e-3", "'-", "'-1-1", "'@"]


def test_the_cli_export_neutralises_formulas(cli, tmp_path):
    rows = [f"{f} team game match {i}" for i, f in enumerate(FORMULAS)] * 2
    rows += [f"rocket orbit planet {i}" for i in range(10)]
    pd.DataFrame({"text": rows}).to_csv(tmp_path / "f.csv", index=False)
    result = cli("run", "--data", "f.csv", "--k", "2", *FAST, "--out", "out")
    assert result.rc == 0, result.stderr
    cells = pd.read_csv(tmp_path / "out" / "assignments.csv")["text"].tolist()
    assert not any(c.startswith(("=", "+", "-", "@", "\t")) for c in cells)
    assert sum(c.startswith("'") for c in cells) == 10


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(cli, tmp_path, encoding):
    (tmp_path / "wide.csv").write_bytes("text\nhello there\nanother one\n".encode(encoding))
    result = cli("run", "--data", "wide.csv", "--k", "2", *FAST, "--out", "out")
    assert_one_error_line(result, r"wide.csv is not UTF-8 \(UTF-16\?\)")


@pytest.mark.parametrize("args, pattern", [(["run", "--k", "abc"], "argument --k: invalid int value: 'abc'"),
                                           (["run", "--fraction", "half"], "argument --fraction: invalid float"),
                                           (["nope"], "invalid choice: 'nope'"),
                                           (["run", "--no-such-flag"], "unrecognized arguments: --no-such-flag")])
def test_a_bad_argument_is_one_line_not_the_usage_block(cli, args, pattern):
    assert_one_error_line(cli(*args), pattern)


def test_the_server_listens_on_this_machine_only_by_default():
    import tomllib

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] in ("localhost", "127.0.0.1")


def test_an_unwritable_model_cache_exports_to_a_private_folder_with_one_warning(tmp_path, monkeypatch, caplog):
    import core.onnx_export as onnx_export

    def export(path, tmp):  # stands in for the minute-long real export
        built = tmp / "raw.onnx"
        built.write_bytes(b"graph of " + str(path).encode())
        return built

    monkeypatch.setattr(onnx_export, "_fingerprint", lambda path: "tag")
    monkeypatch.setattr(onnx_export, "_export", export)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="core.onnx_export"):
        target = onnx_export.artefact("model-folder", "onnx-fp32", blocked)
        again = onnx_export.artefact("model-folder", "onnx-fp32", blocked)
    assert target == again and target.read_bytes() == b"graph of model-folder"
    assert not target.is_relative_to(blocked)
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.onnx_export"]
    assert len(warnings) == 1 and "for this process only" in warnings[0], warnings
