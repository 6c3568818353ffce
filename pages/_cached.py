"""Cached wrappers around ``core``: the app's only caches.

The embedding model is a ``st.cache_resource`` shared by every session (it is never mutated after
loading). Stage results live in bounded, process-wide LRU caches keyed by small explicit strings
(never by hashing large arrays); each stage's key is its own settings plus the key of the stage it
reads, so changing k reaches only the clustering. Stage results are made read-only, so sessions that
share them cannot disturb one another. The stages report progress through callbacks, which
Streamlit's own caches cannot carry (they replay elements and refuse outer containers).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import astuple, replace
from typing import Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from core import cluster as core_cluster
from core import pipeline
from core.config import RunConfig
from core.data import Corpus, read_table
from core.describe import Terms, describe, term_counts
from core.embed import EmbedResult, default_results, default_store, get_embedder
from core.encoder import Encoder
from core.errors import UserError
from core.results import stage_key as key_of


class StageCache:
    """A thread-safe LRU of at most ``size`` results; one computation per key at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()
        self.key_locks: dict[str, threading.Lock] = {}
        self.misses = 0

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a second session asking for the same key waits for the first
            try:
                with self.lock:
                    if key in self.items:
                        return self.items[key]
                value = compute()
                with self.lock:
                    self.misses += 1
                    self.items[key] = value
                    while len(self.items) > self.size:
                        self.items.popitem(last=False)
                return value
            finally:
                with self.lock:
                    self.key_locks.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.misses = 0


CACHES = {"upload": StageCache(4), "data": StageCache(4), "terms": StageCache(4), "embed": StageCache(4),
          "train": StageCache(8), "cluster": StageCache(48), "baseline": StageCache(16), "project": StageCache(8),
          "sweep": StageCache(8)}


def frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@st.cache_resource(show_spinner="Loading the embedding model ...", max_entries=2)
def embedder(model: str, backend: str):
    """The shared embedding model (one per model and backend for the whole server)."""
    return get_embedder(model, backend)


def upload_table(data: bytes, name: str) -> tuple[str, pd.DataFrame]:
    """Read an uploaded file (in memory; never written to disk) -> (content key, raw table)."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    return digest, CACHES["upload"].get(digest + name, lambda: read_table(data, name))


def corpus(source_key: str, source: str | pd.DataFrame, cfg: RunConfig) -> tuple[str, Corpus]:
    d = cfg.data
    key = key_of(source_key, d.text_col, d.label_col, d.fraction, cfg.seed)
    value = CACHES["data"].get(key, lambda: pipeline.load_stage(replace(d, source=source), cfg.seed))
    return key, value


def embeddings(data_key: str, texts: list[str], cfg: RunConfig, progress=None) -> tuple[str, EmbedResult]:
    key = key_of(data_key, astuple(cfg.embed))

    def compute() -> EmbedResult:
        model = embedder(cfg.embed.model, cfg.embed.backend)
        result = pipeline.embed_stage(texts, cfg.embed, embedder=model, store=default_store(), progress=progress)
        frozen(result.vectors)
        return result

    return key, CACHES["embed"].get(key, compute)


def encoder(embed_key: str, X: np.ndarray, cfg: RunConfig, progress=None) -> tuple[str, Encoder, np.ndarray]:
    """The trained encoder and latent vectors (also kept on disk, so a restart does not retrain)."""
    needs_k = pipeline.get_objective(cfg.encoder.objective).needs_k
    key = key_of(embed_key, astuple(cfg.encoder), cfg.seed, cfg.cluster.k if needs_k else None)

    def compute() -> tuple[str, Encoder, np.ndarray]:
        disk_key, model, latent = pipeline.trained(X, cfg.encoder, seed=cfg.seed, k=cfg.cluster.k,
                                                   results=default_results(), progress=progress)
        return disk_key, model, frozen(np.array(latent))

    disk_key, model, latent = CACHES["train"].get(key, compute)
    return disk_key, model, latent


def terms(data_key: str, texts: list[str]) -> Terms:
    """Word counts of the sample, counted once: keywords for any k are then one sparse product."""
    return CACHES["terms"].get(data_key, lambda: term_counts(texts))


def clustering(train_key: str, Z: np.ndarray, X: np.ndarray, truth: np.ndarray | None, words: Terms,
               cfg: RunConfig) -> tuple[pipeline.ClusterStage, list]:
    """K-Means + scores + cluster descriptions on the latent vectors: all that a change of k re-runs."""
    key = key_of(train_key, astuple(cfg.cluster))

    def compute():
        stage = pipeline.cluster_stage(Z, X, truth, cfg.cluster, cfg.seed)
        c = stage.clustering
        return stage, describe(words, Z, c.labels, c.centers)

    return CACHES["cluster"].get(key, compute)


def baseline(embed_key: str, X: np.ndarray, truth: np.ndarray | None, cfg: RunConfig) -> pipeline.ClusterStage:
    key = key_of(embed_key, astuple(cfg.cluster), cfg.seed)
    return CACHES["baseline"].get(key, lambda: pipeline.baseline_stage(X, truth, cfg.cluster, cfg.seed))


def projection(train_key: str, Z: np.ndarray, cfg: RunConfig) -> np.ndarray | None:
    """The 2-D map (also kept on disk)."""
    def compute():
        xy = pipeline.projected(Z, train_key, cfg.project, seed=cfg.seed, results=default_results())
        return None if xy is None else frozen(np.array(xy))

    return CACHES["project"].get(key_of(train_key, astuple(cfg.project), cfg.seed), compute)


def k_sweep(train_key: str, Z: np.ndarray, seed: int, ks: range = range(2, 13)) -> dict[str, list]:
    """Silhouette and Davies-Bouldin of K-Means on the latent vectors for each k (seeded samples)."""
    def compute():
        out: dict[str, list] = {"k": [], "silhouette": [], "davies_bouldin": []}
        for k in ks:
            if k >= len(Z):
                break
            labels = core_cluster.kmeans(Z, k, seed=seed, n_init=3).labels
            sil, db = core_cluster.internal_scores(Z, labels, sample=3000, seed=seed)
            out["k"].append(k)
            out["silhouette"].append(sil)
            out["davies_bouldin"].append(db)
        return out

    return CACHES["sweep"].get(key_of(train_key, seed, list(ks)), compute)


@st.cache_data(ttl=60, show_spinner="Fetching the data set from the Hugging Face hub ...")
def hub_file(source: str) -> tuple[str | None, str | None]:
    """(local path, None) once the hub file is in the hub cache, else (None, why); a failure is retried after a minute."""
    from core.data import hub_download

    try:
        return str(hub_download(source)), None
    except UserError as exc:
        return None, str(exc)
