"""Runs the cached stages for the current settings, with progress in the page and errors as messages.

Every page calls :func:`current_view`; it returns everything the pages draw, or stops the page with
one clear message when something is wrong (never a traceback).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import numpy as np
import streamlit as st

from core.cluster import align_to
from core.config import RunConfig
from core.data import Corpus
from core.describe import ClusterSummary, Terms
from core.embed import EmbedResult
from core.encoder import Encoder
from core.errors import UserError, app_message
from core.pipeline import ClusterStage, check_sample

from . import _cached as cached
from . import _state as S
from ._safe import plain
from ._sidebar import Source

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class View:
    """One run as the pages see it. Cluster ids are aligned to the previous run's (stable colours)."""

    cfg: RunConfig
    source: Source
    corpus: Corpus
    embedded: EmbedResult
    encoder: Encoder
    latent: np.ndarray
    clusters: ClusterStage
    labels: np.ndarray                      # (n,) aligned cluster ids
    summaries: list[ClusterSummary]         # indexed by aligned id
    xy: np.ndarray | None
    words: Terms                            # the texts' term counts, for cluster keywords
    keys: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, as the CLI's metrics.json

    @property
    def k(self) -> int:
        return len(self.summaries)

    def name(self, cluster: int, words: int = 3) -> str:
        keywords = self.summaries[cluster].keywords[:words]
        return f"{cluster}: " + (", ".join(keywords) if keywords else "(no keywords)")

    def names(self) -> dict[int, str]:
        return {c: self.name(c) for c in range(self.k)}

    @property
    def baseline(self) -> ClusterStage:
        """K-Means on the raw embeddings with this k and seed (computed here unless already cached)."""
        return guarded(lambda: cached.baseline(self.keys["embed"], self.embedded.vectors, self.corpus.labels,
                                               self.cfg))

    def baseline_if_ready(self) -> ClusterStage | None:
        return cached.baseline_if_ready(self.keys["embed"], self.cfg)


class _Progress:
    """Draws stage progress into one placeholder, only while a stage is actually computing."""

    def __init__(self) -> None:
        self.slot = st.empty()

    def __call__(self, stage: str, done: int, total: int, message: str) -> None:
        self.slot.progress(min(done / max(total, 1), 1.0), text=f"{stage}: {message}")

    def clear(self) -> None:
        self.slot.empty()


def _aligned(data_key: str, stage: ClusterStage, summaries: list[ClusterSummary]
             ) -> tuple[np.ndarray, list[ClusterSummary]]:
    """Renumber clusters to match this session's previous clustering of the same texts."""
    labels = stage.clustering.labels
    previous = st.session_state.setdefault(S.PREVIOUS_LABELS, {})
    prev = previous.get(data_key)
    new = labels if prev is None or len(prev) != len(labels) else align_to(prev, labels)
    previous.clear()  # one entry: the current data
    previous[data_key] = new
    order = {int(c): int(new[np.flatnonzero(labels == c)[0]]) for c in np.unique(labels)}
    renamed = sorted((ClusterSummary(order.get(s.cluster, s.cluster), s.size, s.keywords, s.examples)
                      for s in summaries), key=lambda s: s.cluster)
    return new, renamed


def _build(source: Source, cfg: RunConfig) -> View:
    progress = _Progress()
    timings: dict[str, float] = {}
    start = clock = time.perf_counter()

    def lap(name: str) -> None:  # this run's seconds per stage (near 0 where a cache answered)
        nonlocal clock
        now = time.perf_counter()
        timings[name], clock = now - clock, now

    data_key, corpus = cached.corpus(source.key, source.value, cfg)
    check_sample(corpus, cfg.cluster.k)
    lap("load")
    embed_key, embedded = cached.embeddings(data_key, corpus.texts, cfg, progress)
    X = embedded.vectors
    lap("embed")
    train_key, encoder, latent = cached.encoder(embed_key, X, cfg, progress)
    lap("train")
    words = cached.terms(data_key, corpus.texts)
    stage, summaries = cached.clustering(train_key, latent, X, corpus.labels, words, cfg)
    labels, summaries = _aligned(data_key, stage, summaries)
    lap("cluster")
    if cfg.project.method != "none" and len(corpus) >= 5:
        progress(cfg.project.method, 0, 1, f"drawing the map with {cfg.project.method} ...")
    xy = cached.projection(train_key, latent, cfg) if len(corpus) >= 5 else None
    lap("project")
    timings["total"] = time.perf_counter() - start
    progress.clear()
    cached.precompute(train_key, embed_key, latent, X, corpus.labels, words, cfg)
    return View(cfg, source, corpus, embedded, encoder, latent, stage, labels, summaries, xy, words,
                {"data": data_key, "embed": embed_key, "train": train_key}, timings)


def current_view(source: Source | None, cfg: RunConfig) -> View:
    """The view for the sidebar's settings; stops the page with a message if it cannot be built."""
    if source is None:
        st.info("Choose a data source in the sidebar (upload a file, or pick the demo corpus).")
        st.stop()
    return guarded(lambda: _build(source, cfg))


def guarded(compute: Callable[[], T]) -> T:
    """``compute()``, or one clear message in the page and a stopped page if it fails (never a traceback)."""
    try:
        return compute()
    except UserError as exc:
        st.error(plain(app_message(exc)), icon=":material/error:")
        st.caption("Change the settings in the sidebar, or pick another data source.")
    except MemoryError:
        st.error("Out of memory: lower the sample fraction and try again.")
    except Exception as exc:  # never a traceback in the page
        log.exception("a stage failed")
        st.error(f"Something went wrong ({type(exc).__name__}: {plain(str(exc)[:300])}). "
                 "Try other settings or another data source; the server log has the details.")
    st.stop()
    raise AssertionError("unreachable")
