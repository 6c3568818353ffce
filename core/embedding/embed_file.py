"""Embeddings as data: a Parquet file of vectors that ``python -m core run --embeddings`` reads back.

One row per text: ``row_id`` (int64, the text's row in the corpus that was embedded), ``text_hash``
(the hex of :func:`core.storage.store.text_key`: 16 bytes of SHA-256 of the UTF-8 text) and ``vector``
(a fixed-size list of ``dim`` float32). The schema's metadata names the model (the name a run's
``--model`` must match), its fingerprint, the backend that computed the vectors and the dimension,
so vectors never meet texts of another model unnoticed. Rows are matched to a run's texts by the
text's hash, so a file embedded once serves any sample, order or subset of the same texts.

The file is written by the local path (``python -m core embed --out FILE.parquet``) and by the Ray
path (``core.embedding.embed_ray``) alike; a local path is written atomically, any other pyarrow URI directly.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from core.errors import UserError
from core.limits import Limits
from core.storage.store import text_key

FORMAT = "clusterlens-embeddings/1"
_META = ("model", "fingerprint", "backend", "dim")


def text_hashes(texts: list[str]) -> list[str]:
    """(n,) hex text hashes, the file's key for each text."""
    return [text_key(t).hex() for t in texts]


def is_remote(path: str) -> bool:
    """A URI pyarrow resolves (``s3://``, ``gs://``, ``hdfs://``, ...) rather than a local path."""
    return "://" in str(path) and not str(path).startswith("file://")


def _schema(dim: int, *, model: str, fingerprint: str, backend: str):
    import pyarrow as pa

    meta = {"format": FORMAT, "model": model, "fingerprint": fingerprint, "backend": backend, "dim": str(dim)}
    return pa.schema([("row_id", pa.int64()), ("text_hash", pa.string()),
                      ("vector", pa.list_(pa.float32(), dim))],
                     metadata={f"clusterlens.{k}".encode(): v.encode() for k, v in meta.items()})


class EmbeddingsWriter:
    """Write an embeddings file batch by batch (the Ray path streams its results through this).

    The schema is fixed by the first batch (its dimension, fingerprint and backend); a later batch
    from another model or backend is an error. A local file appears only when :meth:`close` runs."""

    def __init__(self, path: str, *, model: str) -> None:
        self.path, self.model = str(path), model
        self.rows = 0
        self._writer = None
        self._tmp: str | None = None
        self._meta: tuple[str, str, int] | None = None

    @property
    def backend(self) -> str | None:
        """The backend of the vectors written so far (None before the first batch)."""
        return self._meta[1] if self._meta else None

    def write(self, row_ids: np.ndarray, hashes: list[str], vectors: np.ndarray, *, fingerprint: str,
              backend: str) -> None:
        """Append (b,) row ids, (b,) hex text hashes and (b, dim) float32 vectors."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        meta = (fingerprint, backend, vectors.shape[1])
        if self._meta is None:
            self._meta = meta
            schema = _schema(vectors.shape[1], model=self.model, fingerprint=fingerprint, backend=backend)
            target = self.path
            if not is_remote(self.path):
                folder = Path(self.path).resolve().parent
                folder.mkdir(parents=True, exist_ok=True)
                fd, self._tmp = tempfile.mkstemp(dir=folder, prefix=f".{Path(self.path).name}.", suffix=".tmp")
                os.close(fd)
                target = self._tmp
            self._writer = pq.ParquetWriter(target, schema)
        elif meta != self._meta:
            raise RuntimeError(f"vectors of fingerprint/backend/dim {meta} after {self._meta}: the workers "
                               "do not all run the same model")
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        table = pa.table({"row_id": pa.array(np.asarray(row_ids, dtype=np.int64)),
                          "text_hash": pa.array(list(hashes), type=pa.string()),
                          "vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])},
                         schema=self._writer.schema)
        self._writer.write_table(table)
        self.rows += len(table)

    def close(self) -> None:
        """Finish the file (and move a local one into place)."""
        if self._writer is None:
            raise RuntimeError("no vectors were written")
        self._writer.close()
        if self._tmp:
            os.replace(self._tmp, self.path)
            self._tmp = None

    def abort(self) -> None:
        """Drop a half-written local file."""
        if self._writer is not None:
            self._writer.close()
        if self._tmp:
            Path(self._tmp).unlink(missing_ok=True)


def write_embeddings(path: str, texts: list[str], vectors: np.ndarray, *, model: str, fingerprint: str,
                     backend: str) -> None:
    """Write (n,) ``texts``' (n, dim) ``vectors`` to ``path`` (row ids 0..n-1)."""
    writer = EmbeddingsWriter(path, model=model)
    try:
        writer.write(np.arange(len(texts)), text_hashes(texts), vectors, fingerprint=fingerprint, backend=backend)
        writer.close()
    except BaseException:
        writer.abort()
        raise


@dataclass(frozen=True)
class EmbeddingsFile:
    """An embeddings file read back: ``vectors`` (n, dim) float32 in file order, ``hashes`` (n,) hex."""

    path: str
    model: str
    fingerprint: str
    backend: str
    dim: int
    row_ids: np.ndarray
    hashes: list[str]
    vectors: np.ndarray

    def lookup(self, texts: list[str]) -> np.ndarray:
        """(n, dim) vectors of ``texts`` by their hash; one clear error if any text has none."""
        index = {h: i for i, h in enumerate(self.hashes)}
        rows = [index.get(h, -1) for h in text_hashes(texts)]
        missing = [t for t, r in zip(texts, rows) if r < 0]
        if missing:
            first = missing[0][:60].replace("\n", " ")
            raise UserError(f"texts of this run have no vector in {self.path} (the first: {first!r}); embed "
                            "these texts with `python -m core embed --data ... --out FILE.parquet`",
                            app=f"texts of this run have no vector in the embeddings file (the first: {first!r}); "
                                "upload the file embedded from these texts")
        return self.vectors[np.asarray(rows, dtype=np.int64)] if rows else np.zeros((0, self.dim), np.float32)


#: A row's vector length outside this range is not the model's sentence vector: the model's vectors
#: are L2-normalised (length 1); low-precision arithmetic moves that in the third decimal, no more.
#: Zero rows and magnitudes that overflow float32 arithmetic (1e37) fall outside it.
LENGTH_RANGE = (0.5, 2.0)
#: Two rows of one text whose vectors differ by more than this in some coordinate contradict each other
#: (a backend that pads batches moves a text's vector by about 1e-3 with its batch neighbours).
SAME_TEXT_ATOL = 1e-2
_AGAIN = "embed the texts again with `python -m core embed --out FILE.parquet`"


def read_embeddings(path: str | bytes, *, name: str | None = None, limits: Limits | None = None) -> EmbeddingsFile:
    """Read an embeddings file (a local path, a folder of parts, a pyarrow URI, or the bytes of an
    upload named ``name``); one clear error if it is not one, or if its vectors are not sentence
    vectors (see :func:`check_vectors`). With ``limits`` (an upload's bytes), the row count in the
    file's footer is checked against the rows per upload before any row is read: a few kilobytes of
    Parquet can hold millions of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    label = name or str(path)
    try:
        if isinstance(path, bytes):  # an upload: its footer first, then (if it passes) its rows
            parquet = pq.ParquetFile(pa.BufferReader(path))
            dim = _check_schema(parquet.schema_arrow, label)
            if limits is not None:
                limits.check_upload(parquet.metadata.num_rows, label)
            table = parquet.read()
        else:
            table = pq.read_table(path)
            dim = _check_schema(table.schema, label)
    except (OSError, pa.ArrowException) as exc:
        raise UserError(f"cannot read the embeddings file {label}: {str(exc).splitlines()[0]}") from None
    meta = _metadata(table.schema)
    try:  # a column of the right type may still hold nulls or values of another type
        flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        vectors = np.asarray(flat, dtype=np.float32).reshape(len(table), dim)
        row_ids = np.asarray(table.column("row_id").to_numpy(), dtype=np.int64)
        hashes = [str(h) for h in table.column("text_hash").to_pylist()]
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise UserError(f"{label} holds rows that cannot be read as vectors ({str(exc).splitlines()[0]})") from None
    check_vectors(label, row_ids, hashes, vectors)
    return EmbeddingsFile(label, meta["model"], meta["fingerprint"], meta["backend"], dim, row_ids, hashes, vectors)


def _metadata(schema) -> dict[str, str]:
    return {k.decode().removeprefix("clusterlens."): v.decode() for k, v in (schema.metadata or {}).items()}


def _check_schema(schema, label: str) -> int:
    """The vectors' dimension, once the schema has the metadata and columns of an embeddings file."""
    import pyarrow as pa

    meta = _metadata(schema)
    if any(k not in meta for k in _META):
        raise UserError(f"{label} is not an embeddings file of `python -m core embed`: its metadata names no "
                        f"model (it needs clusterlens.{', clusterlens.'.join(_META)})")
    try:
        dim = int(meta["dim"])
    except ValueError:
        dim = 0
    if dim < 1:
        raise UserError(f"{label} is not an embeddings file of `python -m core embed`: its metadata's "
                        f"clusterlens.dim is {meta['dim'][:40]!r}, not a positive whole number")
    vector = schema.field("vector").type if "vector" in schema.names else None
    if not {"row_id", "text_hash"} <= set(schema.names) or not isinstance(vector, pa.FixedSizeListType) \
            or vector.list_size != dim:
        raise UserError(f"{label} lacks the columns row_id, text_hash and a vector of {dim} float32")
    return dim


def check_vectors(label: str, row_ids: np.ndarray, hashes: list[str], vectors: np.ndarray) -> None:
    """Refuse (n, dim) ``vectors`` that are no sentence vectors, with one line naming the first bad row
    (by its ``row_id``): non-finite numbers, all-zero rows or lengths far from 1 (huge magnitudes
    included), one text given two different vectors, or different texts all given one vector. Such a
    file would give meaningless clusters and scores (and numeric warnings), not an error."""
    def first(bad: np.ndarray) -> str:
        return f"the first: row_id {row_ids[int(np.flatnonzero(bad)[0])]}"

    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        raise UserError(f"{label} holds vectors that are not finite numbers ({first(~finite)}); {_AGAIN}")
    zero = ~vectors.any(axis=1)
    if zero.any():
        raise UserError(f"{label} holds {int(zero.sum()):,} all-zero vector{'s' if zero.sum() > 1 else ''} "
                        f"({first(zero)}): not sentence vectors; {_AGAIN}")
    with np.errstate(over="ignore"):  # 1e37 squared: inf, refused below
        lengths = np.linalg.norm(vectors, axis=1)
    off = (lengths < LENGTH_RANGE[0]) | (lengths > LENGTH_RANGE[1])
    if off.any():
        worst = float(np.linalg.norm(vectors[np.flatnonzero(off)[0]].astype(np.float64)))
        raise UserError(f"{label} holds {int(off.sum()):,} vector{'s' if off.sum() > 1 else ''} of length far from 1 "
                        f"({first(off)}, of length {worst:.3g}): the model's sentence vectors have length 1; "
                        f"{_AGAIN}")
    seen: dict[str, int] = {}
    for row, text_hash in enumerate(hashes):
        before = seen.setdefault(text_hash, row)
        if before != row and np.abs(vectors[row] - vectors[before]).max() > SAME_TEXT_ATOL:
            raise UserError(f"{label} gives one text two different vectors (row_id {row_ids[before]} and row_id "
                            f"{row_ids[row]}, text hash {text_hash[:12]}...); {_AGAIN}")
    if len(seen) > 1 and (vectors == vectors[0]).all():
        raise UserError(f"{label} gives all its {len(seen):,} texts one and the same vector: not sentence vectors; "
                        f"{_AGAIN}")


def distinct_rows(vectors: np.ndarray) -> int:
    """How many distinct rows (n, dim) ``vectors`` hold."""
    return len({row.tobytes() for row in np.ascontiguousarray(vectors)})


def check_distinct(file: EmbeddingsFile, n_texts: int, distinct: int, k: int) -> None:
    """A run's ``n_texts`` texts must get at least ``k`` ``distinct`` vectors from ``file``: K-Means would
    split identical points and score the noise (as ``core.pipeline.check_sample`` says of texts)."""
    if distinct < k:
        raise UserError(f"{file.path} gives the {n_texts:,} texts of this run only {distinct} distinct "
                        f"vector{'s' if distinct > 1 else ''}, fewer than k={k}; lower --k or {_AGAIN}",
                        app=f"the embeddings file gives the {n_texts:,} texts in use only {distinct} distinct "
                            f"vector{'s' if distinct > 1 else ''}, fewer than k={k}; lower Clusters (k) in the "
                            "sidebar, or upload the texts' sentence vectors under Embeddings")


def model_dim(model: str) -> int | None:
    """The dimension of ``model``'s sentence vectors, read from its folder's pooling config without
    loading it; None when that cannot be known offline (a model not here, or one with a Dense layer)."""
    import json

    from core.embedding.backends import resolve_model_path

    try:
        folder = Path(resolve_model_path(model))
        modules = json.loads((folder / "modules.json").read_text())
        if any(m.get("type", "").endswith(".Dense") for m in modules):
            return None
        pooling = next(m for m in modules if m.get("type", "").endswith(".Pooling"))
        return int(json.loads((folder / pooling["path"] / "config.json").read_text())["word_embedding_dimension"])
    except (UserError, OSError, ValueError, KeyError, StopIteration, TypeError):
        return None


class FileEmbedder:
    """The :class:`core.embedding.embed.Embedder` a run uses with ``--embeddings``: the file's vectors, looked up
    by text (never a model). Checks the model name at once: a file of another model is an error."""

    embeds_any_text = False  # only the texts the file holds (cluster names then skip the model)
    #: never read from or written to the embedding store: the store keys vectors by the fingerprint and
    #: backend an embedder names, which a file only claims; another file claiming the same (a corrected
    #: one, another user's) would be served these vectors. The file is in memory already.
    stored = False

    def __init__(self, file: EmbeddingsFile, *, model: str) -> None:
        if file.model != model:
            raise UserError(f"{file.path} holds vectors of model {file.model!r}, but this run uses {model!r}; "
                            f"pass --model {file.model} or embed the texts again with --model {model}",
                            app=f"the embeddings file holds vectors of model {file.model!r}, but this app embeds "
                                f"with {model!r}")
        expected = model_dim(model)
        if expected is not None and file.dim != expected:
            raise UserError(f"{file.path} holds vectors of {file.dim} dimensions, but model {model!r} makes "
                            f"{expected}: the file is not that model's; embed the texts again with "
                            f"`python -m core embed --model {model}`",
                            app=f"the embeddings file holds vectors of {file.dim} dimensions, but model {model!r} "
                                f"makes {expected}: the file is not that model's")
        self.file = file
        self.name = file.model
        self.fingerprint = file.fingerprint
        self.dim = file.dim
        self.backend = f"file ({file.backend})"

    @cached_property
    def cache_key(self) -> str:
        """The file's content (hashes, vectors, metadata): the embed stage's key names it, so a run from
        the file never meets a cached run of the model (or of another file) for the same texts."""
        from core.storage.results import array_key, stage_key

        return stage_key("file", self.file.model, self.file.fingerprint, self.file.backend,
                         stage_key(*self.file.hashes), array_key(self.file.vectors))

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        return self.file.lookup(list(texts))
