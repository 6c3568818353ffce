"""The app's caches around ``core``: the only Streamlit caching in the repo.

Stage results live in one :class:`core.cache.MemoryCache` shared by every session, over the disk
cache (trained encoders and maps survive a restart); the pipeline's own stage keys index it, so the
app and the CLI share one key scheme. Values are read-only, so sessions that share them cannot
disturb one another. The embedding model is a ``st.cache_resource``: one per (model, backend) for
the whole server, never mutated after loading.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from typing import Any, Callable

import pandas as pd
import streamlit as st

from core import background, pipeline
from core.cache import DiskCache, MemoryCache
from core.config import RunConfig, cache_dir
from core.data import Corpus, read_table
from core.embed import default_results, default_store, get_embedder
from core.embed_file import FileEmbedder, distinct_rows, read_embeddings, text_hashes
from core.limits import Limits
from core.store import EmbeddingStore
from core.errors import UserError

log = logging.getLogger(__name__)

#: Fill the cluster and baseline caches for every k of the slider in the background.
PRECOMPUTE = os.environ.get("CLUSTERLENS_PRECOMPUTE", "1") != "0"
K_RANGE = background.K_RANGE


class _Disk:
    """The disk cache under the cache folder as it is now (tests point it elsewhere per test): one
    ``ResultCache`` per folder, so its warn-once state holds across reruns."""

    def __init__(self) -> None:
        self.by_folder: dict[str, DiskCache] = {}
        self.lock = threading.Lock()

    def fetch(self, stage: str, key: str, compute: Callable[[], Any], codec=None) -> Any:
        folder = str(cache_dir())
        with self.lock:
            disk = self.by_folder.get(folder) or self.by_folder.setdefault(folder, DiskCache(default_results()))
        return disk.fetch(stage, key, compute, codec)


CACHE = MemoryCache({"upload": 4, "read": 4, "sample": 8, "terms": 8, "embed": 4, "train": 8, "cluster": 64,
                     "baseline": 48, "project": 8}, _Disk())


@st.cache_resource(show_spinner="Loading the embedding model ...", max_entries=2)
def embedder(model: str, backend: str):
    """The shared embedding model (one per model and backend for the whole server)."""
    return get_embedder(model, backend)


@st.cache_resource(show_spinner=False)
def _store_in(folder: str) -> EmbeddingStore:
    return default_store()


def store() -> EmbeddingStore:
    """The embedding store of the current cache folder, opened once (its warn-once state holds)."""
    return _store_in(str(cache_dir()))


def upload_table(data: bytes, name: str, limits: Limits) -> tuple[str, pd.DataFrame]:
    """Read an uploaded file (in memory; never written to disk) -> (content key, raw table); a Parquet
    file over ``limits``' rows per upload is refused before its rows are read (a refusal is not cached)."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    return digest, CACHE.fetch("upload", digest + name, lambda: read_table(data, name, limits=limits))


def embeddings_file(data: bytes, name: str, model: str) -> FileEmbedder:
    """An uploaded embeddings file (read in memory; never written to disk) as the embedder of a run of
    ``model``, by content; raises UserError for a file that is not one, or another model's or width's."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    file = CACHE.fetch("embeddings_file", digest + name,
                       lambda: read_embeddings(data, name=name, limits=Limits.from_env()))
    return CACHE.fetch("embeddings_file", f"{digest}{name}|{model}", lambda: FileEmbedder(file, model=model))


def texts_without_vectors(embedder: FileEmbedder, sample_key: str, texts: list[str]) -> tuple[int, str | None, int]:
    """(how many of a sample's texts the file has no vector for, the first of them, how many distinct
    vectors it gives the sample's texts), once per file and sample."""
    def count() -> tuple[int, str | None, int]:
        have = set(embedder.file.hashes)
        missing = [t for t, h in zip(texts, text_hashes(texts)) if h not in have]
        if missing:
            return len(missing), missing[0][:60].replace("\n", " "), 0
        return 0, None, distinct_rows(embedder.file.lookup(texts))

    return CACHE.fetch("embeddings_file", f"{embedder.cache_key}|{sample_key}", count)


def corpus(source_key: str, source: str | pd.DataFrame, cfg: RunConfig) -> tuple[str, Corpus]:
    """The sample the run for ``cfg`` reads, through the same cached read and sample stages as the
    run itself (the sidebar shows its size before the run starts; the run then finds it cached)."""
    read_key, full = pipeline.read_stage(source_key, source, cfg.data, CACHE)
    return pipeline.sample_stage(read_key, full, cfg.data, cfg.seed, CACHE)


def precompute(result: pipeline.RunResult) -> None:
    """Every other k of the slider, clustered ahead of the user (see ``core.background``)."""
    if PRECOMPUTE:
        background.precompute_ks(result.keys, result.latent, result.embeddings.vectors, result.corpus.texts,
                                 result.corpus.labels, result.terms, result.config, CACHE, result.base_vectors)


def _base_key(result: pipeline.RunResult) -> str:
    """The base model's embed key (the baseline's parent; the same as ``embed`` unless refined)."""
    return result.keys.get("base_embed", result.keys["embed"])


def baseline_if_ready(result: pipeline.RunResult) -> pipeline.ClusterStage | None:
    """The raw-embedding baseline if it is already computed (by an earlier run or the background)."""
    cfg = result.config
    return CACHE.peek("baseline", pipeline.baseline_key(_base_key(result), result.keys["sample"],
                                                        cfg.cluster, cfg.seed, len(result.corpus.texts)))


def baseline(result: pipeline.RunResult) -> pipeline.ClusterStage:
    """K-Means on the raw embeddings with this k and seed: the cards' yardstick."""
    cfg = result.config
    return pipeline.baseline_stage(_base_key(result), result.keys["sample"], result.base_vectors,
                                   result.corpus.labels, cfg.cluster, cfg.seed, CACHE)[1]


def k_sweep(result: pipeline.RunResult) -> dict[str, list]:
    return background.k_sweep(result.keys, result.latent, result.embeddings.vectors, result.corpus.texts,
                              result.corpus.labels, result.terms, result.config, CACHE, base=result.base_vectors)


@st.cache_data(ttl=60, show_spinner="Fetching the data set from the Hugging Face hub ...")
def hub_file(source: str) -> tuple[str | None, str | None]:
    """(local path, None) once the hub file is in the hub cache, else (None, why); a failure is retried after a minute."""
    from core.data import hub_download

    try:
        return str(hub_download(source)), None
    except UserError as exc:
        return None, str(exc)
