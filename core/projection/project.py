"""2-D maps of the latent vectors, and the registry of projections: t-SNE (openTSNE, FFT-accelerated)
or UMAP, both seeded, or none.

:data:`REGISTRY` is the one list of projections: the config's validation, the CLI's ``--projection``
choices, a link's ``projection=`` parameter, the sidebar's *Map* options and the map's title all read
it, so a new projection is one :func:`register` call (with its layout function) in this file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.errors import UserError
from core.registry import Registry

log = logging.getLogger(__name__)
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


#: layout(X (n, d), seed, perplexity, progress) -> (n, 2) float32 coordinates.
Layout = Callable[[np.ndarray, int, float, "IterProgress | None"], np.ndarray]


@dataclass(frozen=True)
class Projection:
    """One way to draw the map. ``name`` is the config's, the CLI's and a link's value; ``label`` the
    method's own spelling (the sidebar, the map's title); ``layout`` None draws no map (the CLI's
    ``none``: the app always draws one). ``landmarks``: above ``core.projection.landmarks.LANDMARKS_ABOVE`` points
    it lays out landmarks and places the rest from them (a layout that scales badly)."""

    name: str
    label: str
    help: str
    layout: Layout | None
    landmarks: bool = False

    @property
    def draws(self) -> bool:
        return self.layout is not None


REGISTRY: Registry[Projection] = Registry("projection")
register, names, get = REGISTRY.register, REGISTRY.names, REGISTRY.named


def drawn() -> tuple[Projection, ...]:
    """The projections that draw a map (the app's and a link's choices), in the registry's order."""
    return tuple(p for p in REGISTRY.values() if p.draws)


def map_title(method: str, n: int) -> str:
    """The map's title for ``n`` points projected by ``method``: says when it was placed from landmarks."""
    from core.projection import landmarks  # torch: imported where a map is drawn, not where the registry is read

    projection = REGISTRY.get(method)
    title = f"{projection.label if projection else method} of the latent space"
    if projection is not None and projection.landmarks and landmarks.uses_landmarks(n):
        m = min(landmarks.N_LANDMARKS, n)
        title += f" ({m:,} landmarks; the other {n - m:,} points placed from their nearest landmarks)"
    return title


register(Projection("tsne", "t-SNE", "Keeps neighbourhoods: texts close in meaning stay close; distances between "
                    "far groups mean little.", lambda X, seed, perplexity, progress:
                    tsne(X, seed=seed, perplexity=perplexity, progress=progress), landmarks=True))
register(Projection("umap", "UMAP", "Keeps neighbourhoods and more of the layout between groups.",
                    lambda X, seed, perplexity, progress: umap(X, seed=seed)))
register(Projection("none", "No map", "No 2-D map (the command line's choice, to save its time).", None))


def project(X: np.ndarray, method: str, *, seed: int, perplexity: float = 30.0,
            progress: IterProgress | None = None) -> np.ndarray | None:
    """Project (n, d) ``X`` to (n, 2) with the registry's ``method``, or return None for one that draws
    no map. ``progress`` follows the layout's iterations where it reports them (t-SNE's). A projection
    marked ``landmarks`` lays out a map of more than ``core.projection.landmarks.LANDMARKS_ABOVE`` points from
    landmarks (see ``core.projection.landmarks``)."""
    from core.projection import landmarks

    projection = get(method)
    if projection.layout is None:
        return None
    if len(X) < MIN_POINTS:
        raise UserError(f"a map needs at least {MIN_POINTS} texts, got {len(X)}; raise the fraction")
    layout = projection.layout
    if projection.landmarks and landmarks.uses_landmarks(len(X)):
        return landmarks.landmark_map(X, lambda Y, report: layout(Y, seed, perplexity, report),
                                      seed=seed, progress=progress)
    return layout(X, seed, perplexity, progress)
