"""AppTest of the sidebar's embeddings upload (pages/_embeddings_upload.py): a file written by
``python -m core embed --out`` replaces the model's vectors (the same run as ``run --embeddings``),
a bad file is one message naming the sidebar's controls and changes nothing, and removing the file
embeds with the model again."""
import io
import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from core.config import DEFAULT_MODEL
from core.tables.data import build_corpus
from core.embedding.embed_file import FileEmbedder, read_embeddings, write_embeddings
from apphelpers import shown, spy_downloads
from fakes import FakeEmbedder

UPLOADER = "embeddings_upload"




def _texts(app_csv) -> list[str]:
    """The texts the app (and ``python -m core embed``) reads from the file, in file order."""
    return build_corpus(str(app_csv)).texts


def _file(path, texts, vectors, *, model=DEFAULT_MODEL) -> bytes:
    write_embeddings(str(path), texts, vectors, model=model, fingerprint="fake-v1", backend="fake")
    return path.read_bytes()


def _upload(at, name: str, data: bytes | None):
    at.sidebar.file_uploader(key=UPLOADER).set_value(None if data is None else (name, data, "application/octet-stream"))
    return at.run()


def _shown(element) -> str:
    """An element's text as the user reads it (the app escapes markdown in names it shows)."""
    return element.value.replace("\\", "")


def _backend_caption(at) -> str:
    """The map's caption names the model and where the vectors came from."""
    return next(_shown(c) for c in at.caption if " texts from " in _shown(c))


def _sidebar_errors(at) -> list[str]:
    return [_shown(e) for e in at.sidebar.error]


def test_a_file_of_the_models_own_vectors_gives_the_same_map_without_running_the_model(fake_app, app_csv, tmp_path):
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    sample, labels = shown(at)
    encoded = at.fake.texts_encoded
    texts = _texts(app_csv)
    _upload(at, "mine.parquet", _file(tmp_path / "v.parquet", texts, FakeEmbedder().encode(texts)))
    assert not at.exception and not at.error
    note = " ".join(_shown(c) for c in at.sidebar.caption)
    assert "Vectors from mine.parquet: 200 texts embedded by all-MiniLM-L6-v2 (fake, 384 dimensions)" in note
    assert "(file (fake))" in _backend_caption(at)
    assert at.fake.texts_encoded == encoded  # the model embedded nothing
    assert shown(at)[0] == sample and np.array_equal(shown(at)[1], labels)  # the same clusters


def test_the_apps_run_from_a_file_equals_run_embeddings_and_removing_it_embeds_again(fake_app, app_csv, tmp_path,
                                                                                      monkeypatch):
    from core.pipeline import run

    downloads = spy_downloads(monkeypatch)
    texts = _texts(app_csv)
    rng = np.random.default_rng(0)
    vectors = FakeEmbedder().encode(texts) + rng.normal(0, 0.02, (len(texts), 384)).astype(np.float32)
    data = _file(tmp_path / "v.parquet", texts[::-1], vectors[::-1])  # any row order: matched by text
    at = fake_app()
    at.switch_page("pages/data.py").run()
    model_table = pd.read_csv(io.StringIO(downloads["Assignments (CSV)"]))
    _upload(at, "other-backend.parquet", data)
    assert not at.exception and not at.error
    app = json.loads(downloads["Metrics (JSON)"])
    table = pd.read_csv(io.StringIO(downloads["Assignments (CSV)"]))
    assert app["embed_backend"] == "file (fake)"

    cfg = at.session_state["current"][1]  # what `python -m core run --embeddings v.parquet` does with them
    cli = run(replace(cfg, data=replace(cfg.data, source=app["source"])),
              embedder=FileEmbedder(read_embeddings(str(tmp_path / "v.parquet")), model=cfg.embed.model))
    assert adjusted_rand_score(table["cluster"], cli.clusters.clustering.labels) == 1.0
    cli_doc = json.loads(json.dumps(cli.metrics(), default=str))
    for doc in (app, cli_doc):
        doc.pop("timings_s"), doc.pop("embed_cache")
    assert app == cli_doc

    encoded = at.fake.texts_encoded
    _upload(at, "", None)  # removed: the model's vectors again (still cached: nothing re-embedded)
    assert not at.exception and not at.error and not any("Vectors from" in _shown(c) for c in at.sidebar.caption)
    assert json.loads(downloads["Metrics (JSON)"])["embed_backend"] == "fake"
    again = pd.read_csv(io.StringIO(downloads["Assignments (CSV)"]))["cluster"]
    assert adjusted_rand_score(again, model_table["cluster"]) == 1.0
    assert at.fake.texts_encoded == encoded


def _plain_parquet(path) -> bytes:
    pd.DataFrame({"text": ["a", "b"], "x": [1.0, 2.0]}).to_parquet(path)
    return path.read_bytes()


def _null_vectors(path, texts) -> bytes:
    """The right schema and metadata, but a row without a vector."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.embedding.embed_file import _schema

    schema = _schema(384, model=DEFAULT_MODEL, fingerprint="f", backend="b")
    vectors = pa.array([[0.5] * 384, None], type=schema.field("vector").type)
    pq.write_table(pa.table({"row_id": [0, 1], "text_hash": ["a", "b"], "vector": vectors}, schema=schema), path)
    return path.read_bytes()


BAD = {
    "not Parquet": (lambda p, t, v: b"title,description\nnot,parquet\n",
                    r"Cannot read the embeddings file bad\.parquet"),
    "no metadata": (lambda p, t, v: _plain_parquet(p), r"bad\.parquet is not an embeddings file of `python -m core "
                                                       r"embed`: its metadata names no model"),
    "null vectors": (lambda p, t, v: _null_vectors(p, t), r"bad\.parquet holds rows that cannot be read as vectors"),
    "other texts": (lambda p, t, v: _file(p, t[:150], v[:150]),
                    r"The embeddings file has no vector for 50 of the 200 texts in use \(the first: .*\)"
                    r".*The sidebar's Data, Text column\(s\) and Sample fraction choose the texts"),
    "other model": (lambda p, t, v: _file(p, t, v, model="all-mpnet-base-v2"),
                    r"The embeddings file holds vectors of model 'all-mpnet-base-v2', but this app embeds with "
                    r"'all-MiniLM-L6-v2'"),
    "other width": (lambda p, t, v: _file(p, t, FakeEmbedder(8).encode(t)),
                    r"The embeddings file holds vectors of 8 dimensions, but model 'all-MiniLM-L6-v2' makes 384"),
    # issue 28: degenerate vectors gave meaningless scores; now one message under the uploader
    "all zero": (lambda p, t, v: _file(p, t, v * 0),
                 r"bad\.parquet holds 200 all-zero vectors \(the first: row_id 0\)"),
    "huge": (lambda p, t, v: _file(p, t, v * 1e37), r"bad\.parquet holds 200 vectors of length far from 1 "
                                                      r"\(the first: row_id 0, of length 1e\+37\)"),
    "one vector": (lambda p, t, v: _file(p, t, np.tile(v[:1], (len(t), 1))),
                   r"bad\.parquet gives all its 200 texts one and the same vector"),
    "a text twice": (lambda p, t, v: _file(p, t + t[:1], np.vstack([v, -v[:1]])),
                     r"bad\.parquet gives one text two different vectors \(row_id 0 and row_id 200, text hash "),
    "two vectors": (lambda p, t, v: _file(p, t, v[np.arange(len(t)) % 2]),
                    r"The embeddings file gives the 200 texts in use only 2 distinct vectors, fewer than k=\d+; "
                    r"lower Clusters \(k\) in the sidebar"),
    "dim not a number": (lambda p, t, v: _with_dim(p, _file(p, t, v), b"384x"),
                         r"bad\.parquet is not an embeddings file of `python -m core embed`: its metadata's "
                         r"clusterlens\.dim is '384x', not a positive whole number"),
}


def _with_dim(path, data: bytes, dim: bytes) -> bytes:
    """An embeddings file whose metadata names ``dim`` as its dimension."""
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"clusterlens.dim": dim}), path)
    return path.read_bytes()


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_one_message_and_the_view_stays(fake_app, app_csv, tmp_path, case):
    make, message = BAD[case]
    texts = _texts(app_csv)
    vectors = FakeEmbedder().encode(texts)
    at = fake_app()
    at.run()
    sample, labels = shown(at)
    caption, encoded = _backend_caption(at), at.fake.texts_encoded
    _upload(at, "bad.parquet", make(tmp_path / "bad.parquet", texts, vectors))
    assert not at.exception
    errors = _sidebar_errors(at)
    assert len(errors) == 1 and len(at.error) == 1, at.error  # the page itself still draws its map
    assert re.search(message, errors[0]), errors[0]
    assert "The model embeds the texts meanwhile" in errors[0] and "under Embeddings in the sidebar" in errors[0]
    assert "Traceback" not in errors[0]
    assert _backend_caption(at) == caption and at.fake.texts_encoded == encoded  # nothing recomputed
    assert at.session_state["current"][0].embeddings is None
    assert shown(at)[0] == sample and np.array_equal(shown(at)[1], labels)


def test_a_bad_file_after_a_good_one_keeps_the_good_ones_vectors(fake_app, app_csv, tmp_path):
    texts = _texts(app_csv)
    at = fake_app()
    at.run()
    _upload(at, "good.parquet", _file(tmp_path / "good.parquet", texts, -FakeEmbedder().encode(texts)))
    assert not at.exception and not at.error
    good = at.session_state["current"][0].embeddings
    caption = _backend_caption(at)
    assert good is not None and "(file (fake))" in caption
    _upload(at, "bad.parquet", _file(tmp_path / "bad.parquet", texts[:10], -FakeEmbedder().encode(texts[:10])))
    assert not at.exception
    errors = _sidebar_errors(at)
    assert len(errors) == 1 and "no vector for 190 of the 200 texts" in errors[0]
    assert "The previous embeddings file (good.parquet) stays in use" in errors[0]
    assert at.session_state["current"][0].embeddings is good and _backend_caption(at) == caption


def test_an_embeddings_file_over_the_rows_per_upload_is_refused_before_its_rows_are_read(fake_app, app_csv, tmp_path,
                                                                                          monkeypatch):
    """Issue 28: the uploader checks the file's row count from its footer (see tests/test_embed_file.py)."""
    import pyarrow.parquet as pq

    texts = _texts(app_csv)
    data = _file(tmp_path / "v.parquet", texts, FakeEmbedder().encode(texts))
    at = fake_app()
    at.run()
    monkeypatch.setenv("CLUSTERLENS_MAX_UPLOAD_ROWS", "150")

    def no_full_read(*args, **kwargs):
        raise AssertionError("the rows were read")

    monkeypatch.setattr(pq.ParquetFile, "read", no_full_read)
    _upload(at, "big.parquet", data)
    assert not at.exception
    errors = _sidebar_errors(at)
    assert len(errors) == 1 and errors[0].startswith(
        "big.parquet has 200 rows, over this server's limit of 150 rows per upload; upload a sample of it. "
        "The model embeds the texts meanwhile."), errors
