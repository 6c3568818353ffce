"""The embedder interface, the sentence-transformers embedder, and embedding through the store.

An embedder maps texts to L2-normalised float32 vectors of shape (n, dim). Only texts the store has
never seen (for this model's fingerprint and backend) are encoded; the rest are read back. The
backend is part of the key because backends differ in the last digits (int8 by about 1%): a vector
read back must be the one this backend would compute now, so a result never depends on which
backend filled the store.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from core.config import DEFAULT_MODEL, cache_dir
from core.embedding.embed_fingerprint import model_fingerprint
from core.storage.store import EmbeddingStore, text_key

log = logging.getLogger(__name__)

#: progress(done, total) while embedding.
Progress = Callable[[int, int], None]
CHUNK = 512  # at most this many texts encoded between progress reports and store writes
STEPS = 20  # ... and fewer texts than that when it takes fewer for about this many reports


class Embedder(Protocol):
    """What the pipeline needs of an embedding model."""

    name: str
    fingerprint: str  # identifies the weights; with the backend, the store's key
    dim: int
    backend: str

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray: ...


@dataclass(frozen=True)
class EmbedResult:
    """``vectors`` (n, dim) float32 in the order of the texts; store hits and misses; encode seconds."""

    vectors: np.ndarray
    hits: int
    misses: int
    seconds: float
    backend: str


class SentenceEmbedder:
    """A sentence-transformers model run by the fastest backend this machine supports.

    The loaded model is shared by every caller (threads, sessions) and never mutated after loading.
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, backend: str = "auto",
                 cache: Path | None = None) -> None:
        from core.embedding.backends import load_model, resolve_model_path

        self.name = model
        path = resolve_model_path(model)
        self.fingerprint = model_fingerprint(path)
        self._model = load_model(model, backend=backend, cache_dir=cache or cache_dir())
        self.dim = self._model.dim
        self.backend = self._model.backend

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=batch_size)


_EMBEDDERS: dict[tuple[str, str], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(model: str = DEFAULT_MODEL, backend: str = "auto") -> Embedder:
    """One shared embedder per (model, backend) in this process. A static (model2vec) model
    (``core.embedding.static_embedder``) has one backend whatever ``backend`` asks: it runs no network."""
    from core.embedding.backends import resolve_model_path
    from core.embedding.static_embedder import STATIC_BACKEND, StaticEmbedder, is_static_folder

    with _EMBEDDERS_LOCK:
        key = (model, backend)
        if key in _EMBEDDERS:
            return _EMBEDDERS[key]
        path = resolve_model_path(model)
        if is_static_folder(path):
            key = (model, STATIC_BACKEND)
            if key not in _EMBEDDERS:
                _EMBEDDERS[key] = StaticEmbedder(path, name=model)
            _EMBEDDERS[(model, backend)] = _EMBEDDERS[key]
        else:
            _EMBEDDERS[key] = SentenceEmbedder(model, backend=backend)
        return _EMBEDDERS[(model, backend)]


#: A backend's tag in the store key when its arithmetic changed (vectors computed before must not be
#: read back as its own): the torch backends embed every text in a call of its own on one thread
#: since "|one-text" (torch-fp32's "|one-thread" held padded batches too, those of batches of 64).
STORE_RECIPES = {name: "|one-text" for name in ("torch-fp32", "torch-bf16", "cuda-fp16", "cuda-fp32")}


def default_store() -> EmbeddingStore:
    return EmbeddingStore(cache_dir() / "embeddings.sqlite")


def default_results():
    """The on-disk cache of stage results beside the embedding store."""
    from core.storage.results import ResultCache

    return ResultCache(cache_dir() / "results")


def store_key(embedder: Embedder) -> str:
    """The store's model key: the weights' fingerprint and the backend that computes the vectors, with
    its ``STORE_RECIPES`` tag where its arithmetic changed."""
    return f"{embedder.fingerprint}|{embedder.backend}{STORE_RECIPES.get(embedder.backend, '')}"


def embed_texts(texts: list[str], embedder: Embedder, *, store: EmbeddingStore | None = None,
                batch_size: int = 64, progress: Progress | None = None) -> EmbedResult:
    """Embed ``texts`` -> (n, dim) float32, reading what the store has and writing what it lacks.

    Identical texts are encoded once. Misses are encoded longest-first in chunks of at most
    ``CHUNK`` (each text alone: see ``core.embedding.backends``); each chunk is written to the store as soon as
    it is done, so an interrupted run keeps its work. Vectors go straight into the (n, dim) result:
    a million texts hold one array, not a million small ones beside it.
    An embedder with ``stored = False`` never meets the store: a file of vectors (``core.embedding.embed_file``),
    whose key is only what the file claims, so its vectors would be served to any other file claiming
    the same; the static embedder (``core.embedding.static_embedder``), which computes a vector faster than
    SQLite saves one.
    """
    if not getattr(embedder, "stored", True):
        store = None
    n = len(texts)
    keys = [text_key(t) for t in texts]
    first: dict[bytes, int] = {}
    for row, key in enumerate(keys):
        first.setdefault(key, row)
    model_key = store_key(embedder)
    out = np.empty((n, embedder.dim), np.float32)
    found = store.get(model_key, list(first)) if store else {}
    for key, vector in found.items():
        out[first[key]] = vector
    todo = [key for key in first if key not in found]
    copies = Counter(keys)
    hits = n - sum(copies[k] for k in todo)
    order = sorted(todo, key=lambda k: len(texts[first[k]]), reverse=True)
    if progress:
        progress(hits, n)
    started = time.perf_counter()
    done = hits
    step = min(CHUNK, max(batch_size, -(-len(order) // STEPS)))  # small corpora report progress smoothly
    for start in range(0, len(order), step):
        chunk = order[start:start + step]
        rows = [first[k] for k in chunk]
        vectors = np.asarray(embedder.encode([texts[r] for r in rows], batch_size=batch_size), dtype=np.float32)
        if vectors.shape != (len(chunk), embedder.dim) or not np.isfinite(vectors).all():
            raise RuntimeError(f"the embedder returned a bad array of shape {vectors.shape}")
        out[rows] = vectors
        if store:
            store.put(model_key, zip(chunk, vectors))
        done += sum(copies[k] for k in chunk)
        if progress:
            progress(done, n)
    seconds = time.perf_counter() - started
    if len(first) < n:  # copies of a text take its first row's vector
        source = np.fromiter((first[k] for k in keys), np.int64, n)
        repeat = np.flatnonzero(source != np.arange(n))
        out[repeat] = out[source[repeat]]
    misses = n - hits
    log.info("embedded %d texts (%d from the store) in %.1f s with %s", n, hits, seconds, embedder.backend)
    return EmbedResult(vectors=out, hits=hits, misses=misses, seconds=seconds, backend=embedder.backend)
