"""Assigning new texts to a clustering (scikit-learn's ``predict``, BERTopic's ``transform``).

A :class:`ClusterModel` is a clustering as the user sees it (after splits and merges, with the user's
names) reduced to what placing a new text needs: the run's texts' sentence vectors (the reference
set), their cluster ids, their positions on the map, and the model that made the vectors. A new
text, embedded by the same model, takes the cluster its ``NEIGHBOURS`` nearest reference texts
(cosine) vote for, each vote weighted by its similarity; a text the run already holds keeps the
cluster the run gave it. The vote agrees with the clusters the
text's neighbours got, whatever made the clusters (the co-view's word-refined partition, a split, a
merge); a nearest centre, in the latent space or on the embeddings, assigns held-out AG News texts
less accurately (docs/benchmarks.md compares them).

The **confidence** (in [0, 1]) is the assigned cluster's share of the vote, lowered for a text that
lies farther from the run's texts than most of them lie from each other: times
``min(1, closeness / typical)``, where closeness is the mean similarity to the ``CLOSE`` nearest
reference texts and ``typical`` the ``TYPICAL_QUANTILE`` of that same closeness among the reference
texts themselves. A text of a topic the run never saw has neighbours spread over several clusters
and far away, and scores low on both. Texts below a threshold the user sets fit no cluster well:
:func:`candidates` lists them together, a candidate new cluster.

A text's **position** is the weighted mean (``1 / distance^2``, as ``core.projection.landmarks.place``) of the
map positions of those of its neighbours that are in its own cluster: the old points never move,
and a new point lands in its cluster's region of the map, among the texts it resembles.

Shapes: reference ``vectors`` (n, dim) L2-normalised; ``clusters`` (n,); ``xy`` (n, 2) or None;
new texts' vectors (m, dim). Plain Python: no Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from core.errors import UserError

#: Reference texts that vote for a new text's cluster (and place it on the map).
NEIGHBOURS = 50
#: A new text this similar to a reference text is that text (the same vector, up to float16 rounding):
#: it keeps the run's cluster, whatever its neighbours vote.
DUPLICATE = 0.9999
#: The nearest reference texts whose mean similarity is a text's closeness to the run.
CLOSE = 5
#: A reference text's closeness below which a new text's confidence is lowered: this quantile of the
#: closeness of the reference texts to each other.
TYPICAL_QUANTILE = 0.25
#: Reference texts whose closeness to the others measures the typical closeness (a seeded sample).
TYPICAL_SAMPLE = 2_000
#: Above this many texts, the reference set is a seeded sample of each cluster (bounds the model's size
#: and the time to assign: every new text is compared with every reference text).
MAX_REFERENCES = 10_000
#: The least reference texts a cluster keeps when the set is sampled (a small cluster must stay assignable).
MIN_PER_CLUSTER = 200
#: Similarities computed at once (float32: 256 MB): new texts are compared with the reference set in
#: chunks of ``CHUNK_VALUES // n`` rows (few large products run faster than many small ones).
CHUNK_VALUES = 64 << 20
#: The columns :meth:`Assigned.table` adds to a new text's row.
COLUMNS = ("cluster", "cluster_name", "confidence", "x", "y")


@dataclass(frozen=True)
class Assigned:
    """New texts assigned: ``clusters`` (m,) ids, ``names`` (m,) their clusters' names, ``confidence``
    (m,) in [0, 1], ``xy`` (m, 2) positions on the run's map (NaN where the run has no map)."""

    clusters: np.ndarray
    names: list[str]
    confidence: np.ndarray
    xy: np.ndarray

    def __len__(self) -> int:
        return len(self.clusters)

    def candidates(self, threshold: float) -> np.ndarray:
        """Rows of the texts that fit no cluster: see :func:`candidates`."""
        return candidates(self, threshold)

    def table(self) -> pd.DataFrame:
        """One row per text: ``cluster, cluster_name, confidence, x, y``."""
        return pd.DataFrame({"cluster": self.clusters.astype(np.int64), "cluster_name": self.names,
                             "confidence": np.round(self.confidence.astype(np.float64), 4),
                             "x": self.xy[:, 0].astype(np.float64), "y": self.xy[:, 1].astype(np.float64)})


def candidates(assigned: Assigned, threshold: float) -> np.ndarray:
    """(c,) sorted rows of the texts whose confidence is below ``threshold`` (in [0, 1]): a candidate
    new cluster, to be looked at together. A threshold of 0 lists none."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise UserError(f"the confidence threshold must be between 0 and 1, got {threshold!r}")
    return np.flatnonzero(np.asarray(assigned.confidence) < threshold)


@dataclass(frozen=True)
class ClusterModel:
    """A clustering that assigns new texts (see the module's docstring).

    ``model``, ``fingerprint`` and ``backend`` name the sentence model (and how it ran) that made
    ``vectors``: new texts must be embedded by it. ``names`` maps each cluster id to its name as the
    user sees it (``"3: Markets"``); ``text_col`` the column the run read its texts from (``"title +
    description"`` for joined columns, as ``core.tables.data.Corpus.text_col`` names them); ``typical`` the
    reference texts' typical closeness (:func:`typical_closeness`; computed when not given)."""

    vectors: np.ndarray
    clusters: np.ndarray
    names: dict[int, str]
    xy: np.ndarray | None
    model: str
    fingerprint: str
    backend: str
    text_col: str | None = None
    typical: float | None = None
    _reference: torch.Tensor | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.vectors)
        if self.vectors.ndim != 2 or len(self.clusters) != n or n == 0:
            raise ValueError(f"need (n, dim) vectors and (n,) clusters, got {self.vectors.shape} and "
                             f"{np.shape(self.clusters)}")
        if self.xy is not None and np.shape(self.xy) != (n, 2):
            raise ValueError(f"need (n, 2) positions, got {np.shape(self.xy)}")
        missing = set(np.unique(self.clusters).tolist()) - set(self.names)
        if missing:
            raise ValueError(f"clusters without a name: {sorted(missing)[:5]}")
        reference = torch.from_numpy(_unit(self.vectors))
        object.__setattr__(self, "_reference", reference)
        if self.typical is None:
            object.__setattr__(self, "typical", typical_closeness(reference))

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def ids(self) -> list[int]:
        """The cluster ids, in order."""
        return sorted(int(c) for c in np.unique(self.clusters))

    @staticmethod
    def of(run: Any, labels: np.ndarray, names: dict[int, str], *, fingerprint: str, backend: str) -> "ClusterModel":
        """The clusters ``labels`` (n,) of a :class:`core.pipeline.RunResult`, named by ``names``. The
        reference set is the run's base-model vectors (what a new text's embedding can be compared
        with, also after Refine), sampled down to ``MAX_REFERENCES`` by :func:`reference_rows`."""
        labels = np.asarray(labels, dtype=np.int64)
        rows = reference_rows(labels, run.config.seed)
        xy = None if run.xy is None else np.asarray(run.xy, dtype=np.float32)[rows]
        return ClusterModel(np.asarray(run.base_vectors, dtype=np.float32)[rows], labels[rows],
                            {int(c): names[int(c)] for c in np.unique(labels)}, xy, run.config.embed.model,
                            fingerprint, backend, run.corpus.text_col)

    @staticmethod
    def from_view(view: Any, *, fingerprint: str, backend: str) -> "ClusterModel":
        """The clusters a :class:`core.session.view.View` shows: edited, with the user's names."""
        return ClusterModel.of(view.result, view.labels, view.names(), fingerprint=fingerprint, backend=backend)

    def assign(self, vectors: np.ndarray) -> Assigned:
        """Assign the (m, dim) sentence vectors of new texts (made by this model's sentence model)."""
        Q = np.asarray(vectors, dtype=np.float32)
        if Q.ndim != 2 or Q.shape[1] != self.dim:
            raise UserError(f"the new texts' vectors have {Q.shape[-1] if Q.ndim else 0} dimensions, the clusters' "
                            f"{self.dim}: they were not embedded by the same model")
        if not np.isfinite(Q).all():
            raise UserError("some of the new texts' vectors are not finite numbers")
        ids = np.asarray(self.ids, dtype=np.int64)
        codes = torch.from_numpy(np.searchsorted(ids, self.clusters))
        positions = None if self.xy is None else torch.tensor(np.asarray(self.xy, dtype=np.float32))
        k = min(NEIGHBOURS, len(self.clusters))
        typical = max(float(self.typical or 0.0), 1e-6)
        out_code = np.empty(len(Q), dtype=np.int64)
        out_conf = np.empty(len(Q), dtype=np.float64)
        out_xy = np.full((len(Q), 2), np.nan, dtype=np.float32)
        chunk = max(256, CHUNK_VALUES // len(self.clusters))
        with torch.no_grad():
            for start in range(0, len(Q), chunk):
                part = torch.from_numpy(_unit(Q[start:start + chunk]))
                sims, near = torch.topk(part @ self._reference.T, k, dim=1)
                votes = torch.zeros((len(part), len(ids)), dtype=torch.float32)
                votes.scatter_add_(1, codes[near], sims.clamp_min(0) + 1e-6)
                winner = votes.argmax(1)
                same = sims[:, 0] >= DUPLICATE  # a text the run holds keeps the run's cluster
                winner = torch.where(same, codes[near[:, 0]], winner)
                share = votes.gather(1, winner[:, None])[:, 0] / votes.sum(1)
                closeness = sims[:, :CLOSE].mean(1)
                rows = slice(start, start + len(part))
                out_code[rows] = winner.numpy()
                out_conf[rows] = (share * (closeness / typical).clamp(0, 1)).numpy()
                if positions is not None:
                    out_xy[rows] = _placed(sims, near, codes, winner, positions).numpy()
        clusters = ids[out_code]
        return Assigned(clusters, [self.names[int(c)] for c in clusters], np.clip(out_conf, 0.0, 1.0), out_xy)


def typical_closeness(reference: torch.Tensor, *, seed: int = 0) -> float:
    """The ``TYPICAL_QUANTILE`` of the closeness (mean similarity to the ``CLOSE`` nearest others) of
    up to ``TYPICAL_SAMPLE`` seeded rows of the (n, dim) unit ``reference`` vectors to the rest."""
    n = len(reference)
    if n < 2:
        return 1.0
    rows = np.sort(np.random.default_rng(seed).choice(n, size=min(n, TYPICAL_SAMPLE), replace=False))
    with torch.no_grad():
        sims = reference[torch.from_numpy(rows)] @ reference.T
        sims[torch.arange(len(rows)), torch.from_numpy(rows)] = -2.0  # not itself
        near = torch.topk(sims, min(CLOSE, n - 1), dim=1).values.mean(1)
    return float(np.quantile(near.numpy(), TYPICAL_QUANTILE))


def _placed(sims: torch.Tensor, near: torch.Tensor, codes: torch.Tensor, winner: torch.Tensor,
            positions: torch.Tensor) -> torch.Tensor:
    """(b, 2) the weighted mean (1 / distance^2) of the positions of each row's neighbours that are in
    its assigned cluster (at least the one that won the vote has some)."""
    d2 = (2 - 2 * sims).clamp_min(0)  # squared Euclidean distance between unit vectors
    same = codes[near] == winner[:, None]
    weights = torch.where(same, 1.0 / (d2 + 1e-6), torch.zeros_like(d2))
    weights = weights / weights.sum(1, keepdim=True)
    return (weights[:, :, None] * positions[near]).sum(1)


def _unit(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    return np.ascontiguousarray(X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12))


def reference_rows(labels: np.ndarray, seed: int, limit: int = MAX_REFERENCES) -> np.ndarray:
    """(r,) sorted rows of the (n,) ``labels`` kept as reference texts: all of them up to ``limit``,
    else a seeded sample of each cluster in proportion to its size (at least ``MIN_PER_CLUSTER``
    texts, or all of a smaller cluster)."""
    labels = np.asarray(labels)
    if len(labels) <= limit:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    kept = []
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        take = min(len(rows), max(MIN_PER_CLUSTER, int(round(limit * len(rows) / len(labels)))))
        kept.append(rng.choice(rows, size=take, replace=False))
    return np.sort(np.concatenate(kept))


def text_columns(text_col: str | None, columns: list[str]) -> str | tuple[str, ...] | None:
    """The column(s) of a new table to read texts from as the run read its own: ``text_col`` if the
    table has it, its parts if it joined several (``"title + description"``) and the table has them
    all, else None (the table's text column is detected as for a run)."""
    if not text_col:
        return None
    if text_col in columns:
        return text_col
    parts = tuple(text_col.split(" + "))
    return parts if len(parts) > 1 and all(p in columns for p in parts) else None


def texts_of(table: pd.DataFrame, text_col: str | tuple[str, ...] | None, name: str = "the new file"
             ) -> tuple[np.ndarray, list[str]]:
    """((m,) rows of ``table`` that hold a text, their m texts): read from ``text_col`` (detected as a
    run detects it when None) and cleaned as a run's texts are (``core.tables.data``)."""
    from core.tables.data import build_corpus

    named = table.copy(deep=False)
    named.attrs["name"] = name
    corpus = build_corpus(named, text_col=text_col)
    return corpus.frame["id"].to_numpy(dtype=np.int64), corpus.texts


def with_assignments(table: pd.DataFrame, rows: np.ndarray, assigned: Assigned) -> pd.DataFrame:
    """``table``'s columns, then ``cluster, cluster_name, confidence, x, y`` for its (m,) ``rows``
    (empty for the other rows: they hold no text). A column of ``table`` with one of those names
    (a file assigned before) is replaced."""
    out = table.drop(columns=[c for c in COLUMNS if c in table.columns]).reset_index(drop=True)
    n = len(out)
    cluster = np.full(n, -1, dtype=np.int64)
    names = np.full(n, None, dtype=object)
    conf, xy = np.full(n, np.nan), np.full((n, 2), np.nan)
    cluster[rows], names[rows], conf[rows], xy[rows] = assigned.clusters, assigned.names, assigned.confidence, \
        assigned.xy
    out["cluster"] = pd.array(np.where(cluster >= 0, cluster, 0), dtype="Int64")
    out.loc[cluster < 0, "cluster"] = pd.NA
    out["cluster_name"], out["confidence"] = names, np.round(conf, 4)
    out["x"], out["y"] = xy[:, 0], xy[:, 1]
    return out
