"""Embeddings as data: ``embed --out FILE.parquet`` writes vectors keyed by text hash with the model in
the metadata, and ``run --embeddings FILE.parquet`` uses them instead of a model (same clusters),
with one error line for another model's file or texts the file lacks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clikit import FAST, assert_one_error_line, read_outputs, topic_csv
from core.embedding.embed_file import FileEmbedder, read_embeddings, text_hashes, write_embeddings
from core.errors import UserError
from fakes import FakeEmbedder


def test_the_file_round_trips_vectors_and_metadata(tmp_path):
    texts = ["alpha beta", "gamma delta", "alpha beta", "epsilon"]
    vectors = FakeEmbedder(8).encode(texts)
    path = str(tmp_path / "e.parquet")
    write_embeddings(path, texts, vectors, model="m", fingerprint="f1", backend="b1")
    schema = pq.read_schema(path)
    assert schema.names == ["row_id", "text_hash", "vector"]
    vector = schema.field("vector").type
    assert isinstance(vector, pa.FixedSizeListType) and vector.list_size == 8 and vector.value_type == pa.float32()
    assert schema.metadata[b"clusterlens.model"] == b"m" and schema.metadata[b"clusterlens.dim"] == b"8"
    back = read_embeddings(path)
    assert (back.model, back.fingerprint, back.backend, back.dim) == ("m", "f1", "b1", 8)
    assert back.hashes == text_hashes(texts) and list(back.row_ids) == [0, 1, 2, 3]
    assert np.array_equal(back.lookup(["epsilon", "alpha beta"]), vectors[[3, 0]])
    with pytest.raises(UserError, match=r"have no vector in .*\(the first: 'zeta'\)"):
        back.lookup(["alpha beta", "zeta"])
    with pytest.raises(UserError, match=r"holds vectors of model 'm', but this run uses 'other'; pass --model m"):
        FileEmbedder(back, model="other")


def test_a_parquet_file_without_the_metadata_is_one_clear_error(tmp_path):
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"text": ["a"], "x": [1.0]}).to_parquet(path)
    with pytest.raises(UserError, match="its metadata names no model"):
        read_embeddings(str(path))


def test_run_with_the_embedded_file_gives_the_same_clusters_as_embedding(cli, tmp_path):
    data = topic_csv(tmp_path)
    embedded = cli("embed", "--data", data, "--out", "vectors.parquet", "--no-cache")
    assert embedded.rc == 0, embedded.stderr
    file = read_embeddings(str(tmp_path / "vectors.parquet"))
    assert (file.model, file.backend, file.dim, len(file.hashes)) == ("all-MiniLM-L6-v2", "fake", 384, 30)
    args = ("--data", data, "--k", "3", "--seed", "3", "--no-cache", *FAST)
    direct = cli("run", *args, "--out", "direct")
    from_file = cli("run", *args, "--fraction", "0.5", "--embeddings", "vectors.parquet", "--out", "half")
    same = cli("run", *args, "--embeddings", "vectors.parquet", "--out", "file")
    assert direct.rc == same.rc == from_file.rc == 0, same.stderr + from_file.stderr
    _, table_direct, _ = read_outputs(tmp_path / "direct")
    metrics, table_file, _ = read_outputs(tmp_path / "file")
    assert metrics["embed_backend"] == "file (fake)"
    assert table_file["cluster"].tolist() == table_direct["cluster"].tolist()
    assert metrics["acc"] == read_outputs(tmp_path / "direct")[0]["acc"] and metrics["acc"] > 0.9
    assert len(read_outputs(tmp_path / "half")[1]) == 15  # a sample is looked up by text: any subset works


def test_run_with_another_models_file_or_missing_texts_is_one_error_line(cli, tmp_path):
    data = topic_csv(tmp_path)
    assert cli("embed", "--data", data, "--out", "v.parquet", "--no-cache", "--limit", "20").rc == 0
    args = ("run", "--data", data, "--k", "3", "--no-cache", *FAST)
    assert_one_error_line(cli(*args, "--embeddings", "v.parquet", "--model", "other-model"),
                          r"holds vectors of model 'all-MiniLM-L6-v2', but this run uses 'other-model'")
    assert_one_error_line(cli(*args, "--embeddings", "v.parquet"), r"texts of this run have no vector in v\.parquet")
    assert_one_error_line(cli(*args, "--embeddings", "nope.parquet"), r"cannot read the embeddings file nope\.parquet")
    assert not (tmp_path / "out").exists()


def test_embed_ray_with_a_npy_out_is_one_error_line(cli, tmp_path):
    assert_one_error_line(cli("embed", "--data", topic_csv(tmp_path), "--ray", "--out", "v.npy"),
                          r"--ray writes Parquet: give --out a \.parquet path")


def test_an_uploads_bytes_read_back_under_its_name_and_a_wrong_width_is_one_clear_error(tmp_path):
    texts = ["alpha beta", "gamma delta"]
    path = tmp_path / "e.parquet"
    write_embeddings(str(path), texts, FakeEmbedder(384).encode(texts), model="all-MiniLM-L6-v2",
                     fingerprint="f", backend="b")
    back = read_embeddings(path.read_bytes(), name="mine.parquet")
    assert back.path == "mine.parquet" and back.dim == 384 and len(back.hashes) == 2
    with pytest.raises(UserError, match=r"cannot read the embeddings file notes\.txt"):
        read_embeddings(b"not parquet at all", name="notes.txt")
    write_embeddings(str(path), texts, FakeEmbedder(8).encode(texts), model="all-MiniLM-L6-v2", fingerprint="f",
                     backend="b")
    with pytest.raises(UserError, match=r"holds vectors of 8 dimensions, but model 'all-MiniLM-L6-v2' makes 384"):
        FileEmbedder(read_embeddings(str(path)), model="all-MiniLM-L6-v2")


def test_the_embed_stage_keys_a_file_apart_from_the_model(tmp_path):
    from core.storage.cache import MemoryCache
    from core.config import EmbedConfig
    from core.pipeline import embed_stage

    texts = ["alpha beta", "gamma delta", "epsilon zeta"]
    cache, model = MemoryCache({}), FakeEmbedder()
    path = str(tmp_path / "e.parquet")
    write_embeddings(path, texts, -model.encode(texts), model="all-MiniLM-L6-v2", fingerprint="f", backend="b")
    file = FileEmbedder(read_embeddings(path), model="all-MiniLM-L6-v2")
    _, by_model = embed_stage("s", texts, EmbedConfig(), cache, embedder=model)
    _, by_file = embed_stage("s", texts, EmbedConfig(), cache, embedder=file)
    assert np.array_equal(by_file.vectors, -by_model.vectors) and by_file.backend == "file (b)"


def test_a_files_vectors_never_enter_the_store_so_another_file_claiming_the_same_model_gets_its_own(tmp_path):
    """A file claims its model's fingerprint and backend; the store keys vectors by exactly those, so a
    wrong file's vectors stored there would be served to the next file claiming them (another user's
    genuine file, a corrected upload), even after a restart. Each run gets its own file's vectors, and
    the model's own store entries are untouched."""
    from core.storage.cache import MemoryCache
    from core.config import EmbedConfig
    from core.embedding.embed import store_key
    from core.pipeline import embed_stage
    from core.storage.store import EmbeddingStore, text_key

    texts = [f"{w} market report number {i}" for i, w in enumerate(["stocks", "league", "rocket", "bank"] * 5)]
    model = FakeEmbedder()
    store = EmbeddingStore(tmp_path / "embeddings.sqlite")
    _, by_model = embed_stage("s", texts, EmbedConfig(), MemoryCache({}), embedder=model, store=store)
    model_rows = store.get(store_key(model), [text_key(t) for t in texts])
    genuine = by_model.vectors
    wrong = np.random.default_rng(0).normal(size=genuine.shape).astype(np.float32)
    wrong /= np.linalg.norm(wrong, axis=1, keepdims=True)  # unit length, as sentence vectors are
    for name, vectors in (("wrong", wrong), ("genuine", genuine)):  # the same metadata, other contents
        write_embeddings(str(tmp_path / f"{name}.parquet"), texts, vectors, model="all-MiniLM-L6-v2",
                         fingerprint=model.fingerprint, backend=model.backend)
    for name, vectors in (("wrong", wrong), ("genuine", genuine), ("wrong", wrong)):
        file = FileEmbedder(read_embeddings(str(tmp_path / f"{name}.parquet")), model="all-MiniLM-L6-v2")
        for cache in (MemoryCache({}), MemoryCache({})):  # a fresh cache: a restarted server
            _, used = embed_stage("s", texts, EmbedConfig(), cache, embedder=file, store=store)
            assert np.array_equal(used.vectors, vectors) and used.hits == 0, name
    assert store.count() == len(texts)  # only the model's own rows, as they were
    after = store.get(store_key(model), [text_key(t) for t in texts])
    assert after.keys() == model_rows.keys() and all(np.array_equal(after[k], model_rows[k]) for k in model_rows)


def test_an_uploaded_file_of_too_many_rows_is_refused_from_its_footer_before_its_rows_are_read(tmp_path,
                                                                                               monkeypatch):
    """Issue 28: a few kilobytes of Parquet can hold millions of rows; an upload's row count is checked
    against the rows per upload from the file's footer, before any row is read."""
    import io

    from core.embedding.embed_file import _schema
    from core.limits import Limits

    n, dim = 300_000, 8
    vector = np.full(dim, 1 / np.sqrt(dim), np.float32)
    one_hash = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array(text_hashes(["one text"])))
    table = pa.table({"row_id": pa.array(np.zeros(n, np.int64)),
                      "text_hash": one_hash.cast(pa.string()),
                      "vector": pa.FixedSizeListArray.from_arrays(pa.array(np.tile(vector, n)), dim)},
                     schema=_schema(dim, model="m", fingerprint="f", backend="b"))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    data = buffer.getvalue()
    assert len(data) < 200_000

    def no_full_read(*args, **kwargs):
        raise AssertionError("the rows were read")

    with monkeypatch.context() as patch:
        patch.setattr(pq.ParquetFile, "read", no_full_read)
        patch.setattr(pq, "read_table", no_full_read)
        with pytest.raises(UserError, match=r"^tiny\.parquet has 300,000 rows, over this server's limit of "
                                            r"200,000 rows per upload; upload a sample of it$"):
            read_embeddings(data, name="tiny.parquet", limits=Limits(max_upload=200_000))
    back = read_embeddings(data, name="tiny.parquet", limits=Limits(max_upload=300_000))  # at the limit: read
    assert back.vectors.shape == (n, dim)


def _with_dim(path, dim: bytes) -> None:
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"clusterlens.dim": dim}), path)


#: Issue 28: files of degenerate vectors ran, with numeric warnings and meaningless scores (silhouette
#: n/a, ACC of one cluster); a non-numeric dimension exited 1 with "unexpected ValueError".
DEGENERATE = {
    "all zero": (lambda t, v: (t, v * 0), r"holds 30 all-zero vectors \(the first: row_id 0\): not sentence vectors"),
    "one zero row": (lambda t, v: (t, np.where(np.arange(len(t))[:, None] == 7, 0, v)),
                     r"holds 1 all-zero vector \(the first: row_id 7\)"),
    "huge": (lambda t, v: (t, v * 1e37), r"holds 30 vectors of length far from 1 \(the first: row_id 0, of length "
                                         r"1e\+37\): the model's sentence vectors have length 1"),
    "not finite": (lambda t, v: (t, np.where(np.arange(len(t))[:, None] == 3, np.inf, v)),
                   r"holds vectors that are not finite numbers \(the first: row_id 3\)"),
    "one vector": (lambda t, v: (t, np.tile(v[:1], (len(t), 1))), r"gives all its 30 texts one and the same vector"),
    "a text twice": (lambda t, v: (t + t[:1], np.vstack([v, -v[:1]])),
                     r"gives one text two different vectors \(row_id 0 and row_id 30, text hash [0-9a-f]{12}\.\.\.\)"),
    "two vectors": (lambda t, v: (t, v[np.arange(len(t)) % 2]),
                    r"gives the 30 texts of this run only 2 distinct vectors, fewer than k=3; lower --k"),
    "dim not a number": (lambda t, v: (t, v), r"is not an embeddings file of `python -m core embed`: its "
                                              r"metadata's clusterlens\.dim is 'abc', not a positive whole number"),
}


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_a_file_of_degenerate_vectors_is_one_error_line(cli, tmp_path, case):
    from core.tables.data import build_corpus

    data = topic_csv(tmp_path)
    texts = build_corpus(str(data)).texts
    rows, vectors = DEGENERATE[case][0](texts, FakeEmbedder().encode(texts))
    path = tmp_path / "v.parquet"
    write_embeddings(str(path), rows, vectors, model="all-MiniLM-L6-v2", fingerprint="f", backend="b")
    if case == "dim not a number":
        _with_dim(path, b"abc")
    result = cli("run", "--data", data, "--k", "3", "--no-cache", *FAST, "--embeddings", "v.parquet")
    assert_one_error_line(result, r"^error: v\.parquet " + DEGENERATE[case][1])
    assert "Warning" not in result.stderr and not (tmp_path / "out").exists()


def test_rows_of_one_text_that_agree_to_low_precision_are_accepted(tmp_path):
    """A text embedded twice (in two batches of a backend that pads them) may differ in the last digits."""
    texts = ["alpha beta", "gamma delta", "epsilon zeta"]
    vectors = FakeEmbedder().encode(texts)
    nearly = vectors[:1] + np.float32(1e-3)
    write_embeddings(str(tmp_path / "v.parquet"), texts + texts[:1], np.vstack([vectors, nearly]), model="m",
                     fingerprint="f", backend="b")
    assert len(read_embeddings(str(tmp_path / "v.parquet")).hashes) == 4
