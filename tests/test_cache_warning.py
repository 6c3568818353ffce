"""A faulty cache folder (read-only, a file where the folder should be) changes no result and costs one
warning in all (core.storage.cache_warning), whichever of the embedding store and the result cache meets it."""
from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from clikit import FAST, read_outputs, topic_csv
from core.config import ClusterConfig, DataConfig, EncoderConfig, ProjectConfig, RunConfig
from core.embedding.embed import default_results, default_store
from fakes import FakeEmbedder
from faultkit import AS_ROOT, store_warnings


def read_only(folder: Path, monkeypatch) -> None:
    """Make ``folder`` read-only: by its mode, or (as root, whom modes do not stop) by refusing every
    write into it as the kernel would: SQLite opens read-only, file writes raise EACCES."""
    if not AS_ROOT:
        folder.chmod(0o555)
        return
    from urllib.parse import urlsplit

    import core.storage.atomic
    import core.storage.store

    real_connect, real_mkstemp, real_access = sqlite3.connect, core.storage.atomic.tempfile.mkstemp, os.access

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

    monkeypatch.setattr(core.storage.store.sqlite3, "connect", connect)
    monkeypatch.setattr(core.storage.store.os, "access", access)
    monkeypatch.setattr(core.storage.atomic.tempfile, "mkstemp", mkstemp)


def fast_config(source: str) -> RunConfig:
    return RunConfig(data=DataConfig(source=source, fraction=1.0), encoder=EncoderConfig(epochs=2),
                     cluster=ClusterConfig(k=3), project=ProjectConfig(method="none"))


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_a_run_with_a_read_only_cache_folder_succeeds(tmp_path, monkeypatch, caplog, filled):
    from core.storage.cache import DiskCache
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
    from core.storage.cache import DiskCache
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
