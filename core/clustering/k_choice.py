"""How many clusters: the range k may take, the ks a sweep covers, and a suggested k with its reason.

:data:`K_RANGE` is the one range of k (the app's slider and number box, a link's ``k``, the
background pass); a corpus of ``n`` texts allows at most ``n // 5`` of it (:func:`k_max`: clusters
of five texts on average are about as fine as a reader can use, and K-Means needs k < n).

A new data source starts at :func:`quick_suggestion`'s k: K-Means on a sample of the raw embeddings
for k = 2..30, scored by silhouette (cosine). It is cheap (a few seconds), known as soon as the
embeddings are, and says what it is; the Quality page's sweep scores the map's own clusters.
Plain NumPy and scikit-learn.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

K_MIN, K_MAX = 2, 200
#: Every k a user may choose (``range``: ``K_RANGE.stop - 1`` is the largest).
K_RANGE = range(K_MIN, K_MAX + 1)
TEXTS_PER_CLUSTER = 5      # k at most n / 5
#: The Quality page's sweep: every k up to DENSE_TOP, then LADDER (on request: each k costs a full clustering).
DENSE_TOP = 20
LADDER = (25, 30, 40, 50, 60, 80, 100, 125, 150, 175, 200)
#: The quick suggestion: ks 2..SUGGEST_TOP on a sample of SUGGEST_SAMPLE texts, K-Means with SUGGEST_RESTARTS.
SUGGEST_TOP = 30
SUGGEST_SAMPLE = 1_500
SUGGEST_RESTARTS = 2


def k_max(n: int | None) -> int:
    """The largest k for ``n`` texts: ``n // 5`` within :data:`K_RANGE` (and at least 3, so the slider
    has a range); :data:`K_MAX` when ``n`` is unknown."""
    if not n:
        return K_MAX
    return int(max(K_MIN + 1, min(K_MAX, n // TEXTS_PER_CLUSTER)))


def sweep_ks(top: int, *, extended: bool = False, current: int | None = None) -> list[int]:
    """The ks a sweep scores, in order: every k from 2 to ``DENSE_TOP`` (the first part), with
    ``extended`` the ladder above it, all at most ``top``; plus ``current`` (the k in use) when it is
    in range, so the sweep always places it."""
    ks = set(range(K_MIN, min(DENSE_TOP, top) + 1))
    if extended:
        ks |= {k for k in LADDER if k <= top}
    if current is not None and K_MIN <= current <= top:
        ks.add(current)
    return sorted(ks)


@dataclass(frozen=True)
class Suggestion:
    """A suggested ``k`` and a one-line ``reason`` a person can check; ``ks``/``scores`` what it read."""

    k: int
    reason: str
    ks: tuple[int, ...] = ()
    scores: tuple[float, ...] = ()


def pick(ks: list[int], scores: list[float | None], *, what: str, low: int = K_MIN,
         high: int | None = None) -> Suggestion | None:
    """The k of the highest score (``what`` names it, e.g. "silhouette"), with a reason that says when it
    is an edge: the lowest k tried (``low``: scores often favour the coarsest split), the highest k
    tried while the range goes on to ``high`` (the sweep has not looked above it), or the top of the
    whole range. None when nothing was scored."""
    pairs = [(k, s) for k, s in zip(ks, scores) if s is not None and np.isfinite(s)]
    if not pairs:
        return None
    best_k, best = max(pairs, key=lambda p: (p[1], -p[0]))  # ties: the smaller k
    first, last = pairs[0][0], pairs[-1][0]
    tried = f"k = {first}..{last}" if len(pairs) > 1 else f"k = {first}"
    reason = f"the highest {what} ({best:.3f}) of {tried}"
    if best_k == first and first <= low and len(pairs) > 1:
        reason += (f"; it is the lowest k tried, and {what} often favours the coarsest split: look also at the "
                   "next peak")
        inner = [(k, s) for i, (k, s) in enumerate(pairs[1:-1], start=1)
                 if s >= pairs[i - 1][1] and s >= pairs[i + 1][1]]
        if inner:
            peak_k, peak = max(inner, key=lambda p: (p[1], -p[0]))
            reason += f" (k = {peak_k}, {peak:.3f})"
    elif best_k == last and len(pairs) > 1:
        if high is not None and last < high:
            reason += f"; it is the highest k tried: k above {last} (up to {high}) was not tried and may score higher"
        else:
            reason += "; it is the top of the range"
    return Suggestion(int(best_k), reason, tuple(k for k, _ in pairs), tuple(float(s) for _, s in pairs))


def quick_suggestion(X: np.ndarray, seed: int, top: int) -> Suggestion:
    """A k for the (n, dim) raw embeddings ``X``: K-Means (``SUGGEST_RESTARTS`` restarts) on a seeded
    sample of at most ``SUGGEST_SAMPLE`` L2-normalised rows for k = 2..min(``SUGGEST_TOP``, ``top``),
    each scored by its silhouette (cosine) on that sample; :func:`pick` chooses. One OpenMP thread:
    it runs beside a user's page."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    n = len(X)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.permutation(n)[:SUGGEST_SAMPLE])
    V = np.asarray(X, dtype=np.float64)[rows]
    V /= np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
    D = np.clip(1.0 - V @ V.T, 0.0, None)
    np.fill_diagonal(D, 0.0)
    last = min(SUGGEST_TOP, top, len(V) - 1)
    ks, scores = [], []
    with threadpool_limits(limits=1):
        for k in range(K_MIN, last + 1):
            labels = KMeans(k, n_init=SUGGEST_RESTARTS, random_state=seed).fit(V).labels_
            ks.append(k)
            scores.append(float(silhouette_score(D, labels, metric="precomputed")) if len(set(labels)) > 1 else None)
    sample = f"a sample of {len(V):,} texts" if len(V) < n else f"all {n:,} texts"
    picked = pick(ks, scores, what="silhouette", high=top)
    if picked is None:
        return Suggestion(min(max(K_MIN, 4), top), "too few distinct texts to score; the default k")
    return Suggestion(picked.k, f"K-Means on the raw embeddings ({sample}, cosine): {picked.reason}",
                      picked.ks, picked.scores)
