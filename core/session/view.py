"""What a user sees of one run: the data source, the run's result and the clusters shown (a project
version's, with its edits, names and notes). Built by :class:`core.session.session.Session`; read by the
pages and exports. Plain Python: no Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.clustering.cluster_stage import ClusterStage
from core.naming.describe import ClusterSummary
from core.embedding.embed_file import FileEmbedder
from core.tables.export import assignments_table, cluster_name, confidence
from core.embedding.kept_vectors import KeptVectors
from core.pipeline import RunResult, metrics_document
from core.storage.projects import Version


@dataclass(frozen=True)
class DataSource:
    """A data source ready for the pipeline: ``value`` is a path or address, or an uploaded table;
    ``key`` names the data for the caches (an upload: its content). ``data``: an upload's bytes, kept
    with its project."""

    key: str
    value: str | pd.DataFrame = field(compare=False)
    label: str
    text_col: str | tuple[str, ...] | None = None
    label_col: str | None = None
    is_demo: bool = False
    n_rows: int | None = None  # rows in the file, when known before the run (an upload)
    embeddings: FileEmbedder | None = field(default=None, compare=False)  # vectors from an uploaded file
    kind: str = "path"         # demo | hub | upload | path (core.storage.projects.Source.kind)
    data: bytes | None = field(default=None, compare=False, repr=False)
    kept: KeptVectors | None = field(default=None, compare=False, repr=False)  # an imported project's own vectors

    @property
    def run_key(self) -> str:
        """Names the data and where its vectors come from (a run's progress and jobs; ``key`` names the data)."""
        return self.key if self.embeddings is None else f"{self.key}|embeddings:{self.embeddings.cache_key}"


@dataclass
class View:
    """One run as the pages see it: ``stage`` is the clusters shown (the version's, edited or not);
    ``user_names`` and ``notes`` the user's, by cluster id. ``baseline_of()`` computes K-Means on the
    raw embeddings with this k (the cards' yardstick), ``baseline_ready()`` returns it if already cached."""

    source: DataSource
    result: RunResult
    stage: ClusterStage
    version: Version | None = None
    user_names: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    baseline_of: Callable[[], ClusterStage] | None = field(default=None, repr=False)
    baseline_ready: Callable[[], ClusterStage | None] | None = field(default=None, repr=False)

    cfg = property(lambda self: self.result.config)
    corpus = property(lambda self: self.result.corpus)
    embedded = property(lambda self: self.result.embeddings)
    encoder = property(lambda self: self.result.encoder)
    latent = property(lambda self: self.result.latent)
    xy = property(lambda self: self.result.xy)
    words = property(lambda self: self.result.terms)
    keys = property(lambda self: self.result.keys)
    timings = property(lambda self: self.result.timings)  # this rerun's seconds per stage (near 0 when cached)
    clusters = property(lambda self: self.stage)
    labels = property(lambda self: self.stage.clustering.labels)         # (n,) cluster ids
    summaries = property(lambda self: self.stage.summaries)              # one per cluster, in id order

    @property
    def ids(self) -> list[int]:
        """The ids of the clusters shown, in order (0..k-1 until a merge leaves a gap or a split adds ids)."""
        return [s.cluster for s in self.summaries]

    @property
    def k(self) -> int:
        return len(self.summaries)

    @property
    def history(self) -> tuple[str, ...]:
        return self.version.history if self.version else ()

    @property
    def edited(self) -> bool:
        """Whether the clusters were split or merged (names and notes alone leave the partition as computed)."""
        return self.version is not None and self.version.labels is not None

    def summary(self, cluster: int) -> ClusterSummary:
        for s in self.summaries:
            if s.cluster == cluster:
                return s
        raise KeyError(cluster)

    def name(self, cluster: int, words: int = 3) -> str:
        """The one place names come from: ``"3: the user's name"``, else the id and first keywords."""
        if cluster in self.user_names:
            return f"{cluster}: {self.user_names[cluster]}"
        try:
            return cluster_name(self.summary(cluster), words)
        except KeyError:
            return f"{cluster}: (no such cluster)"

    def names(self) -> dict[int, str]:
        return {c: self.name(c) for c in self.ids}

    @property
    def baseline(self) -> ClusterStage:
        """K-Means on the raw embeddings with this k and seed (computed here unless already cached)."""
        if self.baseline_of is None:
            raise RuntimeError("this view has no baseline")
        return self.baseline_of()

    def baseline_if_ready(self) -> ClusterStage | None:
        return self.baseline_ready() if self.baseline_ready else None

    def confidence(self) -> np.ndarray:
        """(n,) each text's confidence in its cluster (see ``core.tables.export.confidence``)."""
        return confidence(self.latent, self.stage.clustering.centers)

    def assignments(self) -> pd.DataFrame:
        """The assignments table as the CLI writes it, with the clusters shown and their names; when they
        were split or merged, ``cluster_as_computed`` says where each text was before the edits."""
        computed = self.result.clusters.clustering.labels if self.edited else None
        return assignments_table(self.corpus, self.labels, self.names(), self.confidence(), self.xy,
                                 computed=computed)

    def metrics(self) -> dict[str, Any]:
        """The same ``metrics.json`` as the CLI's for these settings (the source named as the CLI names it),
        with the clusters shown and whether and how they were edited."""
        from dataclasses import replace

        cfg = self.cfg
        as_cli = replace(cfg, data=replace(cfg.data, source=self.corpus.source))
        doc = metrics_document(as_cli, self.corpus, self.embedded, self.stage.scores, self.baseline.scores,
                               self.timings, self.result.refine)
        return doc | {"k": self.k, "cluster_ids": self.ids,
                      "edits": {"edited": self.edited, "renamed": sorted(self.user_names),
                                "history": list(self.history),
                                "names": {str(c): n for c, n in sorted(self.user_names.items())},
                                "notes": {str(c): n for c, n in sorted(self.notes.items())}}}
