import multiprocessing as mp
import sqlite3

import numpy as np

from core.store import EmbeddingStore, text_key


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
