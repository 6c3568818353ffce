"""What a user sees of one run: the data source, the run's result and the clusters shown (a project
version's, with its edits, names and notes). Built by :class:`core.session.session.Session`; read by the
pages and exports: besides the run's arrays, a :class:`View` answers what a page shows of them (the
points a map draws, the exports as files, a text's nearest texts, the levels of the tree, the
clusters against the labels, the k sweep's plan), so that a page needs no other module of core.
:class:`Columns` (a file's columns as colour groups and filters) is the pages' handle on a corpus
that has no view yet (the sidebar's). Plain Python: no Streamlit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.naming import search
from core.clustering.cluster import confusion, restarts_said, same_partition
from core.clustering.cluster_stage import ClusterMethod, ClusterStage, get_method
from core.tables.column_groups import Columns, natural_key
from core.tables.csv_export import safe_csv
from core.naming.describe import ClusterSummary
from core.embedding.embed_file import FileEmbedder
from core.tables.export import assignments_table, cluster_name, clusters_document, confidence, export_name
from core.clustering.hierarchy import levels
from core.clustering.k_choice import SweepPlan, sweep_plan
from core.embedding.kept_vectors import KeptVectors
from core.plots.map_points import MAX_DRAWN, drawn_rows
from core.pipeline import RunResult, metrics_document
from core.projection.project import map_title
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


@dataclass(frozen=True)
class Download:
    """A file a page offers: its ``data`` (text for CSV and JSON, bytes otherwise), ``name`` (the
    data's name, k and what it holds, as the CLI names its files) and ``mime`` type."""

    data: str | bytes
    name: str
    mime: str


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
    max_drawn = MAX_DRAWN  # a map draws every point up to this many, else a stratified sample (drawn_rows)

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

    # -- what the pages show of it --------------------------------------------------------------------
    def kmeans_own(self, base: ClusterStage) -> bool:
        """Whether these clusters are K-Means' own ``base`` partition: the default method's check against
        the texts' words moved no text (too few texts, or no clear evidence) and nothing was edited."""
        return (self.cfg.cluster.method == "coview" and not self.edited
                and same_partition(self.labels, base.clustering.labels))

    def columns(self) -> Columns:
        """The file's label and other columns, to colour the map by and to show only some values of."""
        return Columns.of(self.corpus)

    def drawn_rows(self) -> np.ndarray:
        """Sorted row ids the map draws: every text up to :attr:`max_drawn`, else a seeded sample in which
        every cluster keeps its share (``core.plots.map_points``)."""
        return drawn_rows(self.labels, self.cfg.seed)

    def map_title(self) -> str:
        """The map's title: the projection, and how its points were placed."""
        return map_title(self.cfg.project.method, len(self.corpus))

    def nearest(self, row: int, n: int, keep: np.ndarray) -> search.Hits:
        """The ``n`` texts nearest in meaning to text ``row`` among the (n,) bool ``keep`` (cosine on the
        raw embeddings; the text itself is ``chosen``, not listed)."""
        rows, sims = search.nearest_to_row(self.embedded.vectors, row, n, keep=keep, unit_rows=True)
        return search.Hits(len(keep), rows, sims, chosen=row)

    def least_typical(self, conf: np.ndarray, cluster: int, n: int, keep: np.ndarray) -> np.ndarray:
        """The rows of ``cluster`` with the lowest (n,) confidence ``conf`` (:meth:`confidence`), at most
        ``n``, lowest first, among the (n,) bool ``keep``."""
        return search.least_typical(conf, self.labels, cluster, n, keep=keep)

    def levels(self, most: int = 6) -> list[int]:
        """The numbers of groups the tree of these clusters is cut at (``core.clustering.hierarchy.levels``): k first,
        at most ``most`` of them; known without building the tree."""
        return levels(self.k, most)

    def confusion(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The clusters against the labels: (table (k, c) texts of cluster i with label j, the cluster ids,
        the label values in natural order ("2" before "10"), a missing label as "(missing)")."""
        truth = self.corpus.frame["label"].fillna("(missing)").astype(str).to_numpy()
        table, clusters, classes = confusion(truth, self.labels)
        order = sorted(range(len(classes)), key=lambda i: natural_key(str(classes[i])))
        return table[:, order], clusters, classes[order]

    @property
    def cluster_method(self) -> ClusterMethod:
        """The clustering method of these settings (its label, its sentence for the Quality page)."""
        return get_method(self.cfg.cluster.method)

    def restarts(self) -> str:
        """How K-Means starts for these texts and this k, in words: its restarts (fewer than asked on big
        corpora), or the best of a few runs on a sample above 100,000 texts."""
        return restarts_said(len(self.corpus), self.cfg.cluster.n_init, self.k)

    def sweep_plan(self, *, extended: bool = False) -> SweepPlan:
        """The ks the Quality page's sweep scores for these texts, this k among them (``core.clustering.k_choice``)."""
        return sweep_plan(len(self.corpus), self.k, extended=extended)

    # -- exports ---------------------------------------------------------------------------------------
    def export_name(self, what: str, suffix: str) -> str:
        """``"news-k4-assignments.csv"``: the file name of an export, as the CLI names its files."""
        return export_name(self.corpus.source, self.k, what, suffix)

    def assignments_csv(self, rows: np.ndarray | list[int] | None = None) -> Download:
        """The assignments table (:meth:`assignments`) as CSV safe to open in a spreadsheet: every text's,
        or only those of ``rows`` (a selection on the map, named so)."""
        table = self.assignments()
        if rows is not None:
            table = table.iloc[rows]
        return Download(safe_csv(table), self.export_name("assignments" if rows is None else "selection", "csv"),
                        "text/csv")

    def clusters_json(self) -> Download:
        """``clusters.json``: per cluster its id, name (the user's, if given), size, keywords and texts."""
        doc = clusters_document(self.summaries, self.corpus.texts, self.names())
        return Download(json.dumps(doc, indent=2, ensure_ascii=False), self.export_name("clusters", "json"),
                        "application/json")

    def metrics_json(self) -> Download:
        """``metrics.json`` (:meth:`metrics`; computes the baseline unless cached)."""
        return Download(json.dumps(self.metrics(), indent=2, default=str), self.export_name("metrics", "json"),
                        "application/json")

    def encoder_weights(self) -> Download:
        """The encoder's weights (safetensors)."""
        return Download(self.encoder.to_bytes(), self.export_name("encoder", "safetensors"),
                        "application/octet-stream")
