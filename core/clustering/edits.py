"""A user's edits of a clustering: split one cluster, merge several, rename one.

Every function takes the (n,) cluster ids of the texts and returns new ones; nothing is changed in
place. A cluster keeps its id through edits of other clusters (a merge leaves the merged ids unused,
a split's new parts take ids above the highest), so names and notes given to ids stay with their
clusters. :func:`edited_stage` gives an edited partition centres, keywords, representative texts and
the same scores as the pipeline's (``core.pipeline.score``), so it is drawn, scored and exported like
any other. Bad input raises one :class:`UserError` line and changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from core.clustering.cluster import Clustering, canonical, kmeans
from core.config import ClusterConfig
from core.naming.describe import ClusterSummary, Terms, nearest_to_centres
from core.errors import UserError
from core.naming.naming import PhraseEmbedder, name_keywords
from core.pipeline import ClusterStage, score

#: The longest name a user may give a cluster (a legend entry, a file's column).
MAX_NAME = 60
_MARKUP = re.compile(r"[<>*_`\[\]#|~\\$]|^[-+]\s|&#?\w+;")  # tags, emphasis, links, lists, entities


def check_name(name: str) -> str:
    """A user's cluster name, stripped; one clear line if it is empty, too long, or holds HTML or Markdown."""
    name = " ".join(str(name).split())
    if not name:
        raise UserError("type a name for the cluster")
    if len(name) > MAX_NAME:
        raise UserError(f"a cluster name can have at most {MAX_NAME} characters; this one has {len(name):,}")
    if _MARKUP.search(name):
        raise UserError("a cluster name is plain text: leave out HTML and Markdown characters (< > * _ ` [ ] # | ~ \\ $)")
    return name


def check_cluster(labels: np.ndarray, cluster: int) -> None:
    if not (np.asarray(labels) == int(cluster)).any():
        raise UserError(f"there is no cluster {cluster}")


def split(X: np.ndarray, labels: np.ndarray, texts: list[str], cluster: int, parts: int, *, seed: int) -> np.ndarray:
    """(m,) part ids in [0, parts) for the m texts of ``cluster``: K-Means on their rows of the (n, d)
    embeddings ``X`` (L2-normalised, as the pipeline's clusters are made on the sentence embeddings),
    numbered by size (part 0 the largest), as every clustering is.

    A split needs at least 2 parts and at most as many parts as the cluster has distinct texts (K-Means
    would otherwise split identical texts and name noise)."""
    check_cluster(labels, cluster)
    rows = np.flatnonzero(labels == cluster)
    distinct = len({texts[i] for i in rows})
    if isinstance(parts, bool) or not isinstance(parts, (int, np.integer)) or parts < 2:
        raise UserError(f"split a cluster into at least 2 parts, not {parts}")
    if parts > distinct:
        raise UserError(f"cluster {cluster} has {distinct} distinct text{'s' if distinct != 1 else ''}, too few for "
                        f"{parts} parts; choose at most {distinct}" if distinct > 1 else
                        f"cluster {cluster} has only one distinct text; it cannot be split")
    Y = np.asarray(X[rows], dtype=np.float32)
    Y = Y / np.maximum(np.linalg.norm(Y, axis=1, keepdims=True), 1e-12)
    return canonical(kmeans(Y, int(parts), seed=seed)).labels


def accept_split(labels: np.ndarray, cluster: int, parts: np.ndarray) -> np.ndarray:
    """(n,) ids with ``cluster`` replaced by its ``parts`` (m,): part 0 keeps the id, the others take
    new ids above the highest in use (every other cluster keeps its id, and so its name and note)."""
    check_cluster(labels, cluster)
    rows = np.flatnonzero(labels == cluster)
    if len(parts) != len(rows):
        raise UserError("the split no longer matches the cluster; split it again")
    out = np.array(labels, dtype=np.int64, copy=True)
    top = int(labels.max()) + 1
    _, codes = np.unique(parts, return_inverse=True)
    out[rows] = np.where(codes == 0, cluster, top + codes - 1)
    return out


def merge(labels: np.ndarray, clusters: list[int]) -> tuple[np.ndarray, int]:
    """Merge ``clusters`` into the smallest of their ids; the others' ids are no longer used (every
    other cluster keeps its id). Returns the (n,) new ids and the id the merged cluster has."""
    chosen = sorted({int(c) for c in clusters})
    if len(chosen) < 2:
        raise UserError("pick two or more clusters to merge")
    for c in chosen:
        check_cluster(labels, c)
    if len(chosen) == len(np.unique(labels)):
        raise UserError("merging every cluster would leave one; keep at least two clusters")
    out = np.array(labels, dtype=np.int64, copy=True)
    out[np.isin(out, chosen)] = chosen[0]
    return out, chosen[0]


def centres_of(Z: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(m, d) the mean of the (n, d) ``Z``'s rows in each of the m clusters ``ids`` (in that order)."""
    return np.stack([Z[labels == c].mean(0) for c in ids]).astype(np.float32)


def describe_parts(Z: np.ndarray, X: np.ndarray, labels: np.ndarray, phrases: Terms,
                   embed: PhraseEmbedder | None) -> list[ClusterSummary]:
    """Size, names (``core.naming.naming``) and the 5 texts nearest each centre in ``Z``, for every cluster id
    present in the (n,) ``labels``, in id order (``ClusterSummary.cluster`` is the id)."""
    ids, codes = np.unique(labels, return_inverse=True)
    centers = centres_of(Z, codes, np.arange(len(ids)))
    keywords = name_keywords(phrases, codes, len(ids), X, embed)
    nearest = nearest_to_centres(Z, codes, centers, top=5)
    sizes = np.bincount(codes, minlength=len(ids))
    return [ClusterSummary(int(c), int(sizes[i]), keywords[i], nearest[i]) for i, c in enumerate(ids)]


def edited_stage(Z: np.ndarray, X: np.ndarray, labels: np.ndarray, truth: np.ndarray | None, phrases: Terms,
                 embed: PhraseEmbedder | None, cfg: ClusterConfig, seed: int) -> ClusterStage:
    """An edited (n,) partition as the pipeline's cluster stage: centres in the (n, latent) ``Z`` (one
    per id present, ``Clustering.ids``), the same scores (silhouette and Davies-Bouldin in ``Z`` and on
    the (n, dim) embeddings ``X``, label agreement when ``truth`` is known), names and representative texts."""
    labels = np.asarray(labels, dtype=np.int64)
    ids, codes = np.unique(labels, return_inverse=True)
    centers = centres_of(Z, codes, np.arange(len(ids)))
    inertia = float(((Z - centers[codes]) ** 2).sum())
    return ClusterStage(Clustering(labels, centers, inertia, tuple(int(c) for c in ids)),
                        score(Z, X, labels, truth, cfg, seed), describe_parts(Z, X, labels, phrases, embed))


@dataclass(frozen=True)
class Edits:
    """The edits of one clustering (``key``: its data, encoder settings and k). ``stage`` is the edited
    partition (None: not edited, only renamed); ``names`` the user's names by cluster id; ``history``
    one line per edit, oldest first."""

    key: str
    stage: ClusterStage | None = None
    names: dict[int, str] = field(default_factory=dict)
    history: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.stage is None and not self.names

    def renamed(self, cluster: int, name: str, k: int) -> "Edits":
        if not 0 <= int(cluster) < k:
            raise UserError(f"there is no cluster {cluster}")
        name = check_name(name)
        return Edits(self.key, self.stage, self.names | {int(cluster): name},
                     self.history + (f"renamed cluster {cluster} to '{name}'",))

    def with_stage(self, stage: ClusterStage, names: dict[int, str], what: str) -> "Edits":
        return Edits(self.key, stage, names, self.history + (what,))
