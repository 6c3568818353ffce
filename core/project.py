"""2-D maps of the latent vectors: t-SNE (openTSNE, FFT-accelerated) or UMAP, both seeded."""
from __future__ import annotations

import logging
from typing import Callable

import numpy as np

from . import landmarks
from .errors import UserError

log = logging.getLogger(__name__)
METHODS = ("tsne", "umap", "none")
MIN_POINTS = 5


def effective_perplexity(n: int, perplexity: float) -> float:
    """t-SNE needs n > 3 * perplexity: lower it for small inputs (and say so)."""
    limit = (n - 1) / 3.0
    if perplexity > limit:
        log.warning("perplexity %.0f is too large for %d points; using %.1f", perplexity, n, limit)
        return max(limit, 1.0)
    return perplexity


FFT_FROM = 2_000  # openTSNE: Barnes-Hut below this many points, FFT-interpolated gradients from here on
FFT_INTS_IN_INTERVAL = 4  # grid boxes 4 units wide instead of 1: much faster, trustworthiness unchanged
#: progress(iterations done, iterations in all) during t-SNE's optimisation.
IterProgress = Callable[[int, int], None]
TSNE_ITERS = (250, 500)  # openTSNE's early exaggeration and main phases (its defaults)
REPORT_EVERY = 25  # iterations between progress reports


def tsne(X: np.ndarray, *, seed: int, perplexity: float = 30.0, n_jobs: int | None = None,
         progress: IterProgress | None = None) -> np.ndarray:
    """t-SNE of (n, d) ``X`` -> (n, 2) float32 with openTSNE (PCA init, annoy neighbours from 2,000 points).

    From 2,000 points the gradients are FFT-interpolated on a grid of boxes 4 units wide. openTSNE's
    default (1 unit) lets the grid, and the cost of every iteration, grow as the map spreads out
    (the comparison with the default and with scikit-learn's TSNE is in docs/benchmarks.md).
    ``n_jobs`` None: one thread below ``FFT_FROM`` points (Barnes-Hut's threads on a small map spend
    more time waiting for each other than computing), two from there. ``progress`` is called every
    ``REPORT_EVERY`` iterations; an exception it raises stops the optimisation.
    """
    from openTSNE import TSNE

    perplexity = effective_perplexity(len(X), perplexity)
    large = len(X) >= FFT_FROM
    n_jobs = n_jobs or (2 if large else 1)
    callbacks = {}
    if progress:
        done, total = [0], sum(TSNE_ITERS)

        def report(iteration: int, error: float, embedding: np.ndarray) -> bool:
            done[0] = min(done[0] + REPORT_EVERY, total)
            progress(done[0], total)
            return False

        callbacks = {"callbacks": report, "callbacks_every_iters": REPORT_EVERY}
    gradients = {"negative_gradient_method": "fft", "ints_in_interval": FFT_INTS_IN_INTERVAL} if large else \
        {"negative_gradient_method": "bh"}
    model = TSNE(n_components=2, perplexity=perplexity, initialization="pca", metric="euclidean",
                 neighbors="annoy" if large else "exact", random_state=seed, n_jobs=n_jobs, verbose=False,
                 early_exaggeration_iter=TSNE_ITERS[0], n_iter=TSNE_ITERS[1], **gradients, **callbacks)
    return np.asarray(model.fit(np.ascontiguousarray(X, dtype=np.float64)), dtype=np.float32)


def umap(X: np.ndarray, *, seed: int, n_neighbors: int = 15) -> np.ndarray:
    """UMAP of (n, d) ``X`` -> (n, 2) float32 with ``random_state=seed`` (single-threaded, reproducible)."""
    import umap as umap_lib

    n_neighbors = min(n_neighbors, len(X) - 1)
    model = umap_lib.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=seed,
                          init="spectral" if len(X) > n_neighbors + 2 else "random")
    return np.asarray(model.fit_transform(X), dtype=np.float32)


def project(X: np.ndarray, method: str, *, seed: int, perplexity: float = 30.0,
            progress: IterProgress | None = None) -> np.ndarray | None:
    """Project (n, d) ``X`` to (n, 2) with ``method`` (``tsne``, ``umap``) or return None for ``none``.
    ``progress`` follows t-SNE's iterations (UMAP reports none). A t-SNE map of more than
    ``core.landmarks.LANDMARKS_ABOVE`` points is laid out from landmarks (see ``core.landmarks``)."""
    if method not in METHODS:
        raise UserError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    if method == "none":
        return None
    if len(X) < MIN_POINTS:
        raise UserError(f"a map needs at least {MIN_POINTS} texts, got {len(X)}; raise the fraction")
    if method == "umap":
        return umap(X, seed=seed)
    if landmarks.uses_landmarks(len(X)):
        return landmarks.landmark_map(X, lambda Y, report: tsne(Y, seed=seed, perplexity=perplexity, progress=report),
                                      seed=seed, progress=progress)
    return tsne(X, seed=seed, perplexity=perplexity, progress=progress)
