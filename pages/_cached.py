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
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import astuple, replace
from typing import Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from core import pipeline
from core.config import RunConfig
from core.data import Corpus, read_table
from core.describe import Terms, describe, term_counts
from core.embed import EmbedResult, default_results, default_store, get_embedder
from core.encoder import Encoder
from core.errors import UserError
from core.results import stage_key as key_of

log = logging.getLogger(__name__)

#: Fill the cluster and baseline caches for every k of the slider in the background (see :func:`precompute`).
PRECOMPUTE = os.environ.get("CLUSTERLENS_PRECOMPUTE", "1") != "0"
K_RANGE = range(2, 21)  # the k slider's range


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

    def peek(self, key: str) -> Any | None:
        """The cached value, or None without computing anything."""
        with self.lock:
            return self.items.get(key)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.misses = 0


CACHES = {"upload": StageCache(4), "data": StageCache(4), "terms": StageCache(4), "embed": StageCache(4),
          "train": StageCache(8), "cluster": StageCache(64), "baseline": StageCache(48), "project": StageCache(8)}


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


def _baseline_key(embed_key: str, cfg: RunConfig) -> str:
    return key_of(embed_key, astuple(cfg.cluster), cfg.seed)


def baseline(embed_key: str, X: np.ndarray, truth: np.ndarray | None, cfg: RunConfig) -> pipeline.ClusterStage:
    """K-Means on the raw (n, dim) embeddings with the same k and seed: the cards' yardstick."""
    return CACHES["baseline"].get(_baseline_key(embed_key, cfg),
                                  lambda: pipeline.baseline_stage(X, truth, cfg.cluster, cfg.seed))


def baseline_if_ready(embed_key: str, cfg: RunConfig) -> pipeline.ClusterStage | None:
    """The baseline if it is already computed (by an earlier run or :func:`precompute`), else None."""
    return CACHES["baseline"].peek(_baseline_key(embed_key, cfg))


_generation = {"current": 0}
_generation_lock = threading.Lock()
_started: OrderedDict[str, bool] = OrderedDict()  # precompute keys, most recent last


def precompute(train_key: str, embed_key: str, Z: np.ndarray, X: np.ndarray, truth: np.ndarray | None,
               words: Terms, cfg: RunConfig) -> threading.Thread | None:
    """Fill the cluster caches for every k of the slider, nearest the current k first, then the
    raw-embedding baselines, in one low-priority background thread. Each call with new inputs (another
    k, other vectors, another session's) takes over: the earlier thread stops at its next k, and
    what it had done stays cached. Once it has run, a change of k costs only the alignment and the
    figure. Returns the thread (None when these inputs were already handled, or when switched off)."""
    if not PRECOMPUTE:
        return None
    key = key_of(train_key, embed_key, cfg.seed, astuple(cfg.cluster))
    with _generation_lock:
        if key in _started:
            return None
        _started[key] = True
        while len(_started) > 64:
            _started.popitem(last=False)
        _generation["current"] += 1
        generation = _generation["current"]
    here = cfg.cluster.k
    ks = sorted((k for k in K_RANGE if k < len(Z)), key=lambda k: (abs(k - here), k))

    def work() -> None:
        _lower_priority()
        try:
            for stage, k in [("cluster", k) for k in ks] + [("baseline", k) for k in ks]:
                if _generation["current"] != generation:  # taken over: a later call may run these again
                    with _generation_lock:
                        _started.pop(key, None)
                    return
                at_k = replace(cfg, cluster=replace(cfg.cluster, k=k))
                if stage == "cluster":
                    clustering(train_key, Z, X, truth, words, at_k)
                else:
                    baseline(embed_key, X, truth, at_k)
        except Exception:  # a background nicety must never take the server down
            log.exception("precomputing clusterings failed")

    thread = threading.Thread(target=work, name=f"clusterlens-precompute-{generation}", daemon=True)
    thread.start()
    return thread


def _lower_priority() -> None:
    """Run this thread (and the OpenMP workers it starts) at the lowest CPU priority, where the OS
    allows it, so that the foreground stays responsive on a small machine."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


def projection(train_key: str, Z: np.ndarray, cfg: RunConfig) -> np.ndarray | None:
    """The 2-D map (also kept on disk)."""
    def compute():
        xy = pipeline.projected(Z, train_key, cfg.project, seed=cfg.seed, results=default_results())
        return None if xy is None else frozen(np.array(xy))

    return CACHES["project"].get(key_of(train_key, astuple(cfg.project), cfg.seed), compute)


def k_sweep(train_key: str, Z: np.ndarray, X: np.ndarray, truth: np.ndarray | None, words: Terms,
            cfg: RunConfig, ks: range = range(2, 13)) -> dict[str, list]:
    """Silhouette, Davies-Bouldin (and ACC, NMI: None without labels) of K-Means on the (n, latent)
    vectors for each k in ``ks``.

    Each k is the same cached clustering the map and the cards use at that k (usually already
    computed by :func:`precompute`), so the sweep and the cards always agree."""
    out: dict[str, list] = {"k": [], "silhouette": [], "davies_bouldin": [], "acc": [], "nmi": []}
    for k in ks:
        if k >= len(Z):
            break
        stage, _ = clustering(train_key, Z, X, truth, words, replace(cfg, cluster=replace(cfg.cluster, k=k)))
        out["k"].append(k)
        out["silhouette"].append(stage.scores.silhouette)
        out["davies_bouldin"].append(stage.scores.davies_bouldin)
        out["acc"].append(stage.scores.acc)
        out["nmi"].append(stage.scores.nmi)
    return out


@st.cache_data(ttl=60, show_spinner="Fetching the data set from the Hugging Face hub ...")
def hub_file(source: str) -> tuple[str | None, str | None]:
    """(local path, None) once the hub file is in the hub cache, else (None, why); a failure is retried after a minute."""
    from core.data import hub_download

    try:
        return str(hub_download(source)), None
    except UserError as exc:
        return None, str(exc)
