"""A map of a big corpus from landmarks: t-SNE on a seeded sample, every other point placed from its
nearest landmarks.

t-SNE's cost grows with the number of points (about 6 CPU minutes for 120,000 latent vectors on a
2-core machine), yet a map on a screen shows no more structure at 120,000 points than at 20,000.
Above ``LANDMARKS_ABOVE`` points, t-SNE lays out ``N_LANDMARKS`` of them (a seeded uniform sample,
so every cluster keeps its share in expectation), and each other point goes to the weighted mean of
the 2-d positions of its ``PLACE_NEIGHBOURS`` nearest landmarks in the latent space (weights
``1 / distance^2``): a point sits among the landmarks it resembles, the whole map is drawn, and the
cost of the rest is one chunked distance computation.

The sample is uniform rather than stratified by cluster on purpose: the map's key holds no k (a
change of k must not redraw the map), so nothing here may depend on the clusters.

Corpora of at most ``LANDMARKS_ABOVE`` points are laid out by t-SNE on all of them, as before.
"""
from __future__ import annotations

import logging
from typing import Callable

import numpy as np
import torch

log = logging.getLogger(__name__)

#: Above this many points the t-SNE map is laid out from landmarks. Read at call time (tests lower it).
LANDMARKS_ABOVE = 20_000
#: Points t-SNE lays out when the map is made from landmarks.
N_LANDMARKS = 20_000
#: Landmarks whose positions place each other point.
PLACE_NEIGHBOURS = 10

#: progress(done, total) in t-SNE iterations (placing the rest is reported as the last one).
IterProgress = Callable[[int, int], None]
#: layout(X, progress) -> (m, 2): the projection used on the landmarks.
Layout = Callable[[np.ndarray, IterProgress | None], np.ndarray]


def uses_landmarks(n: int) -> bool:
    """Whether a map of ``n`` points is laid out from landmarks."""
    return n > LANDMARKS_ABOVE


def landmark_rows(n: int, m: int, seed: int) -> np.ndarray:
    """(min(m, n),) sorted row indices of a seeded uniform sample of ``n`` rows."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=min(m, n), replace=False))


def place(Z: np.ndarray, rows: np.ndarray, xy: np.ndarray, *, neighbours: int = PLACE_NEIGHBOURS,
          chunk: int = 2048) -> np.ndarray:
    """(n, 2) positions of all rows of (n, d) ``Z`` given the (m, 2) positions ``xy`` of its ``rows``.

    A landmark keeps its own position; every other row goes to the mean of the positions of its
    ``neighbours`` nearest landmarks (Euclidean, in ``Z``), weighted by ``1 / distance^2``, so a row
    that nearly coincides with a landmark lands on it. Memory is ``chunk * m`` distances at a time.
    """
    Z = np.asarray(Z, dtype=np.float32)
    xy = np.asarray(xy, dtype=np.float32)
    if len(rows) != len(xy) or len(rows) == 0:
        raise ValueError(f"need one position per landmark, got {len(rows)} landmarks and {len(xy)} positions")
    out = np.empty((len(Z), 2), dtype=np.float32)
    is_landmark = np.zeros(len(Z), dtype=bool)
    is_landmark[rows] = True
    out[rows] = xy
    others = np.flatnonzero(~is_landmark)
    L = torch.from_numpy(np.ascontiguousarray(Z[rows]))
    L_sq = (L * L).sum(1)
    positions = torch.from_numpy(xy)
    k = min(neighbours, len(rows))
    with torch.no_grad():
        for start in range(0, len(others), chunk):
            part = others[start:start + chunk]
            P = torch.from_numpy(np.ascontiguousarray(Z[part]))
            # |l|^2 - 2 p.l ranks the landmarks as |p - l|^2 does, in one fused product; |p|^2 is added
            # to the k kept only (a third of the time of the whole distance matrix)
            partial = torch.addmm(L_sq[None, :].expand(len(part), -1), P, L.T, alpha=-2)
            near_d2, near = torch.topk(partial, k, dim=1, largest=False)
            near_d2 = (near_d2 + (P * P).sum(1, keepdim=True)).clamp_min_(0)
            weights = 1.0 / (near_d2 + 1e-12)
            weights /= weights.sum(1, keepdim=True)
            out[part] = (weights[:, :, None] * positions[near]).sum(1).numpy()
    return out


def landmark_map(Z: np.ndarray, layout: Layout, *, seed: int, progress: IterProgress | None = None) -> np.ndarray:
    """(n, 2) map of the (n, d) ``Z``: ``layout`` on ``N_LANDMARKS`` seeded rows, the rest :func:`place`-d."""
    rows = landmark_rows(len(Z), N_LANDMARKS, seed)
    log.info("map of %d points: laid out %d landmarks, placing the other %d from their %d nearest landmarks",
             len(Z), len(rows), len(Z) - len(rows), PLACE_NEIGHBOURS)
    xy = layout(np.ascontiguousarray(Z[rows]), progress)
    return place(Z, rows, xy)
