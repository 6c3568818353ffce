"""Runs the cached stages for the current settings, with progress in the page and errors as messages.

Every page calls :func:`current_view`; it returns everything the pages draw, or stops the page with
one clear message when something is wrong (never a traceback).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Callable, TypeVar

import numpy as np
import streamlit as st

from core.cluster import align_to
from core.config import RunConfig
from core.describe import ClusterSummary
from core.errors import UserError, app_message
from core.export import cluster_name
from core.pipeline import ClusterStage, RunResult, metrics_document, run

from . import _cached as cached
from . import _state as S
from ._first_look import FirstLookSlot
from ._progress import ProgressPanel, stop_if_cancelled, work_key
from ._safe import plain
from ._sidebar import Source

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class View:
    """One run of the pipeline as the pages see it: the run itself, plus cluster ids aligned to the
    session's previous run of the same texts (stable colours)."""

    source: Source
    result: RunResult
    labels: np.ndarray                      # (n,) aligned cluster ids
    summaries: list[ClusterSummary]         # indexed by aligned id
    user_names: dict[int, str] = field(default_factory=dict)  # names the user gave (pages/_edits.py)

    cfg = property(lambda self: self.result.config)
    corpus = property(lambda self: self.result.corpus)
    embedded = property(lambda self: self.result.embeddings)
    encoder = property(lambda self: self.result.encoder)
    latent = property(lambda self: self.result.latent)
    clusters = property(lambda self: self.result.clusters)
    xy = property(lambda self: self.result.xy)
    words = property(lambda self: self.result.terms)
    keys = property(lambda self: self.result.keys)
    timings = property(lambda self: self.result.timings)  # this rerun's seconds per stage (near 0 when cached)

    @property
    def k(self) -> int:
        return len(self.summaries)

    def name(self, cluster: int, words: int = 3) -> str:
        """The one place names come from: the user's name if given, else the first keywords."""
        if cluster in self.user_names:
            return f"{cluster}: {self.user_names[cluster]}"
        return cluster_name(self.summaries[cluster], words)  # summaries are renumbered to the aligned ids

    def names(self) -> dict[int, str]:
        return {c: self.name(c) for c in range(self.k)}

    @property
    def baseline(self) -> ClusterStage:
        """K-Means on the raw embeddings with this k and seed (computed here unless already cached)."""
        return guarded(lambda: cached.baseline(self.result))

    def baseline_if_ready(self) -> ClusterStage | None:
        return cached.baseline_if_ready(self.result)

    def metrics(self) -> dict:
        """The same ``metrics.json`` as the CLI's for these settings (the source named as the CLI names
        it, not by the app's cache key)."""
        cfg = self.cfg
        as_cli = replace(cfg, data=replace(cfg.data, source=self.corpus.source))
        doc = metrics_document(as_cli, self.corpus, self.embedded, self.clusters.scores, self.baseline.scores,
                               self.timings, self.result.refine)
        return doc | {"k": self.k}  # an edited partition's own number of clusters (a split or a merge)


def _aligned(data_key: str, stage: ClusterStage) -> tuple[np.ndarray, list[ClusterSummary]]:
    """Renumber clusters to match this session's previous clustering of the same texts."""
    labels = stage.clustering.labels
    previous = st.session_state.setdefault(S.PREVIOUS_LABELS, {})
    prev = previous.get(data_key)
    new = labels if prev is None or len(prev) != len(labels) else align_to(prev, labels)
    previous.clear()  # one entry: the current data
    previous[data_key] = new
    order = {int(c): int(new[np.flatnonzero(labels == c)[0]]) for c in np.unique(labels)}
    renamed = sorted((ClusterSummary(order.get(s.cluster, s.cluster), s.size, s.keywords, s.examples)
                      for s in stage.summaries), key=lambda s: s.cluster)
    return new, renamed


def _build(source: Source, cfg: RunConfig, provisional: bool = False) -> View:
    work = work_key(source.run_key, cfg)
    stop_if_cancelled(work)
    progress, look = ProgressPanel(work), FirstLookSlot() if provisional else None
    result = run(cfg, source=source.value, key=source.key, cache=cached.CACHE, embedder=source.embeddings,
                 load_embedder=cached.embedder, store=cached.store(), progress=progress, baseline=False,
                 on_embedded=look)
    progress.clear()
    if look:
        look.clear()
    labels, summaries = _aligned(result.keys["sample"], result.clusters)
    cached.precompute(result)
    return View(source, result, labels, summaries)


def current_view(source: Source | None, cfg: RunConfig, provisional: bool = False) -> View:
    """The view for the sidebar's settings; stops the page with a message if it cannot be built.
    ``provisional``: draw a provisional map while the encoder trains (the map page)."""
    if source is None:
        st.info("Choose a data source in the sidebar (upload a file, or pick the demo corpus).")
        st.stop()
    from ._edits import with_edits  # the session's splits, merges and names of this clustering

    return with_edits(guarded(lambda: _build(source, cfg, provisional)))


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
