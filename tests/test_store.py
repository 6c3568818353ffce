import multiprocessing as mp
import sqlite3
from pathlib import Path

import numpy as np

from core.storage.store import EmbeddingStore, text_key
from faultkit import store_warnings


def vec(i: int, dim: int = 8) -> np.ndarray:
    return np.random.RandomState(i).randn(dim).astype(np.float32)


def test_put_get_hits_and_misses(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    keys = [text_key(f"text {i}") for i in range(5)]
    store.put("m", [(keys[i], vec(i)) for i in range(3)])
    found = store.get("m", keys)
    assert set(found) == set(keys[:3])
    assert np.array_equal(found[keys[1]], vec(1))
    assert store.get("other-model", keys) == {}
    assert store.count("m") == 3


def test_damaged_row_reads_as_a_miss(tmp_path, caplog):
    path = tmp_path / "s.sqlite"
    store = EmbeddingStore(path)
    key = text_key("x")
    store.put("m", [(key, vec(0))])
    con = sqlite3.connect(path)
    con.execute("UPDATE embeddings SET vec = ? WHERE key = ?", (b"\x00" * 32, key))
    con.commit()
    con.close()
    assert store.get("m", [key]) == {}
    assert "damaged row" in caplog.text


def test_corrupt_file_is_moved_aside_and_rebuilt(tmp_path, caplog):
    path = tmp_path / "s.sqlite"
    EmbeddingStore(path).put("m", [(text_key("x"), vec(0))])
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"s.sqlite{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    store = EmbeddingStore(path)
    assert store.get("m", [text_key("x")]) == {}
    store.put("m", [(text_key("y"), vec(1))])
    assert store.count() == 1
    assert "damaged" in caplog.text and list(tmp_path.glob("s.sqlite.corrupt-*"))


def test_truncated_file_is_rebuilt(tmp_path):
    path = tmp_path / "s.sqlite"
    store = EmbeddingStore(path)
    store.put("m", [(text_key(str(i)), vec(i, 384)) for i in range(500)])
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    store = EmbeddingStore(path)
    row_of = {text_key(str(i)): i for i in range(500)}
    found = store.get("m", list(row_of))
    assert len(found) < 500  # two thirds of the file are gone: the store cannot hold every row
    for key, value in found.items():  # whatever survives is intact
        assert np.array_equal(value, vec(row_of[key], 384))
    store.put("m", [(text_key("new"), vec(7, 384))])  # and the rebuilt store works again
    assert np.array_equal(store.get("m", [text_key("new")])[text_key("new")], vec(7, 384))


def _writer(path: str, start: int) -> None:
    store = EmbeddingStore(path)
    for i in range(start, start + 200, 20):
        store.put("m", [(text_key(str(j)), vec(j)) for j in range(i, i + 20)])


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "s.sqlite")
    EmbeddingStore(path)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, s)) for s in (0, 200, 400, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = EmbeddingStore(path)
    assert store.count("m") == 600
    found = store.get("m", [text_key(str(j)) for j in range(600)])
    assert all(np.array_equal(found[text_key(str(j))], vec(j)) for j in range(600))


def test_row_limit_drops_oldest(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite", max_rows=10)
    store.put("m", [(text_key(str(i)), vec(i)) for i in range(8)])
    store.put("m", [(text_key(str(i)), vec(i)) for i in range(8, 14)])
    assert store.count() == 10
    assert text_key("13") in store.get("m", [text_key("13")])


# -- the store is optional in effect: a fault turns it off with one warning -----------------------------
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

    monkeypatch.setattr("core.storage.store.sqlite3.connect", tiny)
    assert_store_off_with_one_warning(store, caplog, "full")


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
