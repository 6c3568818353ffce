"""K-Means, internal and label-based metrics, and matching clusters across runs."""
from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, davies_bouldin_score, normalized_mutual_info_score

from core.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clustering:
    """``labels`` (n,) int cluster ids; ``centers`` (m, d) in the clustered space, row i the centre of
    cluster ``cluster_ids[i]``. A computed clustering's ids are 0..k-1 (``ids`` empty); an edited one
    keeps the ids its clusters had (a merge leaves a gap, a split adds ids above the highest), so a
    name or note given to a cluster stays with it (``ids`` lists them)."""

    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    ids: tuple[int, ...] = ()

    @property
    def cluster_ids(self) -> tuple[int, ...]:
        return self.ids or tuple(range(len(self.centers)))


def check_k(k: int, n: int) -> None:
    """K-Means needs 2 <= k <= n, and k < n for the silhouette to exist."""
    if k < 2:
        raise UserError(f"k must be at least 2, got {k}")
    if k > n:
        raise UserError(f"k={k} is larger than the number of texts ({n}); lower k or raise the fraction")


SINGLE_THREAD_UP_TO = 5_000_000  # values in X; K-Means on fewer runs on one OpenMP thread
#: Restarts times points that one K-Means may spend: ``n_init`` (10) restarts up to 20,000 points,
#: fewer above, a single one above 100,000. One k-means++ start is scikit-learn's own ``n_init="auto"``;
#: with many points per cluster the restarts rarely differ, and each costs a full run.
RESTART_BUDGET = 10 * 20_000
#: Restarts times clusters: 10 restarts up to k = 20, fewer above (2 at k = 77, one from k = 101). With
#: many clusters each run's k-means++ start is most of its cost, and the restarts' best runs agree on
#: the partition as well as ten do (BANKING77 at k = 77, docs/benchmarks.md).
K_RESTART_BUDGET = 10 * 20


def restarts(n: int, n_init: int, k: int = 2) -> int:
    """The restarts K-Means makes on ``n`` points into ``k`` clusters when asked for ``n_init``: at most
    ``RESTART_BUDGET // n`` and ``K_RESTART_BUDGET // k``, and at least one (so corpora of up to 20,000
    texts, at k up to 20, keep all 10)."""
    return max(1, min(n_init, RESTART_BUDGET // max(n, 1), K_RESTART_BUDGET // max(k, 1)))


#: Rows of the seeded sample whose best of ``n_init`` K-Means runs starts K-Means on a corpus above
#: ``core.training.neighbours.SAMPLE_ABOVE`` rows (:func:`sample_start`).
START_ROWS = RESTART_BUDGET // 10


def sample_start(X: np.ndarray, k: int, *, seed: int, n_init: int) -> np.ndarray | None:
    """(k, d) starting centres for K-Means on the (n, d) ``X`` above ``core.training.neighbours.SAMPLE_ABOVE``
    rows: the centres of the best (lowest inertia) of :func:`restarts` runs on a seeded sample of
    ``START_ROWS`` rows. A single k-means++ start on all rows (what the restart budget leaves a big
    corpus) falls into a worse optimum for some seeds (docs/benchmarks.md), while ten runs on a sample
    cost a few seconds and find the better one. None at or below the threshold (results unchanged)."""
    from core.training import neighbours  # read at call time (tests lower it); no torch import for small uses

    n = len(X)
    if n <= neighbours.SAMPLE_ABOVE or n <= START_ROWS:
        return None
    rows = np.sort(np.random.default_rng(seed).choice(n, size=START_ROWS, replace=False))
    runs = restarts(START_ROWS, n_init, k)
    log.info("K-Means on %d points into %d clusters: started from the best of %d run(s) on %d of them",
             n, k, runs, START_ROWS)
    model = KMeans(n_clusters=k, n_init=runs, random_state=seed)
    with _controller().limit(limits=1, user_api="openmp"):
        model.fit(np.asarray(X)[rows])
    return model.cluster_centers_


def restarts_said(n: int, n_init: int, k: int) -> str:
    """How K-Means starts on ``n`` points into ``k`` clusters, in words: its :func:`restarts`, or above
    the sample threshold the best of that many runs on a sample (:func:`sample_start`)."""
    from core.training import neighbours

    if n > neighbours.SAMPLE_ABOVE and n > START_ROWS:
        runs = restarts(START_ROWS, n_init, k)
        return f"started from the best of {runs} run{'s' * (runs != 1)} on a sample of {START_ROWS:,} texts"
    runs = restarts(n, n_init, k)
    return f"{runs} restart{'s' * (runs != 1)}"


def kmeans(X: np.ndarray, k: int, *, seed: int, n_init: int = 10) -> Clustering:
    """K-Means on (n, d) ``X`` with ``random_state=seed`` and an explicit ``n_init``.

    Up to ``SINGLE_THREAD_UP_TO`` values (12,000 x 384 embeddings, or 78,000 x 64 latent vectors)
    it runs on one OpenMP thread: as fast as two on a small machine when idle, far faster when
    another K-Means (the app's background thread, another session) holds the cores, and the labels
    no longer depend on the number of cores (scikit-learn's chunked sums do). Big inputs make fewer
    restarts than ``n_init``, and so do many clusters (:func:`restarts`); above
    ``core.training.neighbours.SAMPLE_ABOVE`` rows one run starts from a sample's best centres (:func:`sample_start`).
    """
    check_k(k, len(X))
    start = sample_start(X, k, seed=seed, n_init=n_init)
    runs = 1 if start is not None else restarts(len(X), n_init, k)
    if start is None and runs < n_init:
        log.info("K-Means on %d points into %d clusters: %d restart(s) instead of %d", len(X), k, runs, n_init)
    model = KMeans(n_clusters=k, n_init=runs, random_state=seed, **({} if start is None else {"init": start}))
    single = X.size <= SINGLE_THREAD_UP_TO
    with _controller().limit(limits=1, user_api="openmp") if single else contextlib.nullcontext():
        model.fit(X)
    labels = model.labels_.astype(np.int64)
    if len(np.unique(labels)) < k:
        log.warning("K-Means found only %d distinct clusters for k=%d (many identical texts?)",
                    len(np.unique(labels)), k)
    return Clustering(labels=labels, centers=model.cluster_centers_.astype(np.float32),
                      inertia=float(model.inertia_))


@functools.cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def silhouette(X: np.ndarray, labels: np.ndarray, *, metric: str = "euclidean", sample: int | None = None,
               seed: int = 0, chunk: int = 2048) -> float:
    """Mean silhouette of (n,) ``labels`` on (n, d) ``X``, as scikit-learn's ``silhouette_score``.

    Above ``sample`` points it scores the same seeded sample scikit-learn would
    (``RandomState(seed).permutation(n)[:sample]``). Distances are float32 matrix products, and the
    per-cluster sums are one product with a one-hot matrix, done in row chunks of ``chunk``: about three
    times faster than scikit-learn at 3,000 points, which matters at every change of k.
    ``metric`` is ``euclidean`` or ``cosine``.
    """
    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"unsupported metric {metric!r}")
    if sample and len(X) > sample:
        keep = np.random.RandomState(seed).permutation(len(X))[:sample]
        X, labels = X[keep], labels[keep]
    Y = np.asarray(X, dtype=np.float32)
    if metric == "cosine":
        Y = Y / np.maximum(np.linalg.norm(Y, axis=1, keepdims=True), 1e-12)
    _, codes = np.unique(labels, return_inverse=True)
    n, k = len(Y), int(codes.max()) + 1
    onehot = np.zeros((n, k), dtype=np.float32)
    onehot[np.arange(n), codes] = 1
    sizes = onehot.sum(axis=0)
    squares = np.einsum("ij,ij->i", Y, Y)
    values = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        dist = Y[rows] @ Y.T  # the Gram block, turned into distances in place (no temporaries)
        if metric == "cosine":
            np.subtract(1, dist, out=dist)
        else:
            dist *= -2
            dist += squares[None, :]
            dist += squares[rows, None]
        np.maximum(dist, 0, out=dist)
        if metric != "cosine":
            np.sqrt(dist, out=dist)
        dist[np.arange(dist.shape[0]), np.arange(start, rows.stop)] = 0
        sums = (dist @ onehot).astype(np.float64)  # (rows, k): distance to all points of each cluster
        own = codes[rows]
        own_size = sizes[own] - 1
        a = sums[np.arange(len(own)), own] / np.maximum(own_size, 1)
        means = sums / sizes
        means[np.arange(len(own)), own] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b - a) / np.maximum(a, b)
        values[rows] = np.where((own_size > 0) & np.isfinite(s), s, 0.0)  # singletons score 0
    return float(values.mean())


def internal_scores(X: np.ndarray, labels: np.ndarray, *, metric: str = "euclidean",
                    sample: int | None = 10_000, seed: int = 0) -> tuple[float | None, float | None]:
    """(silhouette, Davies-Bouldin) of ``labels`` on (n, d) ``X``; ``None`` where undefined.

    The silhouette uses ``metric`` and, above ``sample`` points, a seeded sample of them (see
    :func:`silhouette`). Davies-Bouldin is Euclidean; for ``metric="cosine"`` it is computed on the
    L2-normalised rows, where Euclidean distance is a monotone function of cosine distance.
    """
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels > len(X) - 1:
        return None, None
    sil = silhouette(X, labels, metric=metric, sample=sample, seed=seed)
    Y = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12) if metric == "cosine" else X
    db = float(davies_bouldin_score(Y, labels))
    return sil, db


def confusion(true: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contingency table (n_pred, n_true) with the cluster ids and label values it is indexed by."""
    clusters, p = np.unique(pred, return_inverse=True)
    classes, t = np.unique(true, return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (p, t), 1)
    return table, clusters, classes


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the (n,) labellings ``a`` and ``b`` make the same groups, whatever their numbers."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if not len(a):
        return True
    ga, ia = np.unique(a, return_inverse=True)
    gb, ib = np.unique(b, return_inverse=True)
    if len(ga) != len(gb):
        return False
    # the distinct (a, b) pairs, as one integer each (np.unique over columns sorts rows: far slower)
    return len(np.unique(ia.astype(np.int64) * len(gb) + ib)) == len(ga)


def known_labels(true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) bool mask of the rows with a label, and those labels as strings."""
    true = np.asarray(true, dtype=object)
    known = ~pd.isna(true)
    return known, true[known].astype(str)


def label_scores(true: np.ndarray | None, pred: np.ndarray) -> dict[str, float | None]:
    """ACC under the best one-to-one matching (Hungarian), NMI and ARI; ``None`` without labels.

    Rows whose label is missing are left out.
    """
    if true is None:
        return {"acc": None, "nmi": None, "ari": None}
    known, t = known_labels(true)
    if len(t) < 2:
        return {"acc": None, "nmi": None, "ari": None}
    p = pred[known]
    table, _, _ = confusion(t, p)
    rows, cols = linear_sum_assignment(-table)
    return {"acc": float(table[rows, cols].sum() / len(t)),
            "nmi": float(normalized_mutual_info_score(t, p)),
            "ari": float(adjusted_rand_score(t, p))}


def canonical_order(labels: np.ndarray) -> np.ndarray:
    """(k,) the old ids of the (n,) ``labels`` (ids 0..k-1) in their canonical order: the largest
    cluster first, ties broken by the first row each cluster holds. Numbering clusters so makes the
    numbers (and the colours that follow them) a function of the partition alone: whoever computes
    it, on any server, along any path of changes, sees the same cluster 0."""
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) else 0
    sizes = np.bincount(labels, minlength=k)
    first = np.full(k, len(labels), dtype=np.int64)
    np.minimum.at(first, labels, np.arange(len(labels)))
    return np.lexsort((first, -sizes))


def canonical(clustering: Clustering) -> Clustering:
    """``clustering`` renumbered in :func:`canonical_order` (its centres reordered to match)."""
    order = canonical_order(clustering.labels)
    if np.array_equal(order, np.arange(len(order))):
        return clustering
    lut = np.empty(len(order), dtype=np.int64)
    lut[order] = np.arange(len(order))
    return Clustering(lut[clustering.labels], np.asarray(clustering.centers)[order], clustering.inertia)


def align_to(previous: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Renumber ``labels`` so each new cluster takes the id of the previous cluster it overlaps most.

    Both are (n,) labels of the same points. Matching is one-to-one (Hungarian on the overlap);
    clusters left over (when k grew) get the smallest unused ids. Returns the renumbered labels.
    """
    table, new_ids, old_ids = confusion(previous, labels)  # rows: new clusters, cols: old ones
    rows, cols = linear_sum_assignment(-table)
    mapping = {int(new_ids[r]): int(old_ids[c]) for r, c in zip(rows, cols)}
    free = (i for i in range(len(new_ids) + len(old_ids)) if i not in set(mapping.values()))
    for cid in new_ids:
        if int(cid) not in mapping:
            mapping[int(cid)] = next(free)
    # ids must stay in [0, k): compact them while keeping matched ids where possible
    k = len(new_ids)
    if max(mapping.values()) >= k:
        used = sorted(mapping, key=lambda c: mapping[c])
        keep = {c: mapping[c] for c in used if mapping[c] < k}
        spare = iter(sorted(set(range(k)) - set(keep.values())))
        mapping = {c: keep[c] if c in keep else next(spare) for c in mapping}
    lut = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    for c, target in mapping.items():
        lut[c] = target
    return lut[labels]
