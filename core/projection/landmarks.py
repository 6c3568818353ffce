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

Corpora of at most ``LANDMARKS_ABOVE`` points are laid out by t-SNE on all of them, as before. Above
``CELLS_ABOVE`` points the nearest landmarks are searched among the nearby cells of landmarks only
(:func:`place_by_cells`).
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
#: Above this many points the nearest landmarks are searched among a few cells of landmarks, not all
#: of them (:func:`place_by_cells`): the (n, 20,000) distances were most of a million-point map. At or
#: below it, every landmark (exact), so maps of such corpora are unchanged. Read at call time.
CELLS_ABOVE = 100_000
#: Cells the landmarks are grouped in (K-Means on their latent vectors), and the cells searched for
#: the points nearest each cell: about ``PROBE_CELLS / CELLS`` of the landmarks per point (15 %).
CELLS = 200
PROBE_CELLS = 30

def placement_key(n: int) -> tuple[str, ...]:
    """An extra key part for a map of ``n`` points placed by cells (:func:`place_by_cells`): empty at or
    below ``CELLS_ABOVE`` (those maps' keys, and cached maps, stay as they were)."""
    return () if n <= CELLS_ABOVE else (f"placed from {PROBE_CELLS} of {CELLS} cells above {CELLS_ABOVE}",)


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


def place_by_cells(Z: np.ndarray, rows: np.ndarray, xy: np.ndarray, *, seed: int,
                   neighbours: int = PLACE_NEIGHBOURS, cells: int = CELLS, probe: int = PROBE_CELLS,
                   chunk: int = 8192) -> np.ndarray:
    """:func:`place`, with each point's nearest landmarks searched among a share of them only.

    The (m, d) landmarks ``Z[rows]`` are grouped in ``cells`` cells by a seeded K-Means; the points
    whose nearest cell centre is cell c are compared with the landmarks of the ``probe`` cells whose
    centres are nearest c's (c among them): a point's ten nearest landmarks lie around it, so in its
    own cell and the ones next to it. Each point is compared with about ``probe / cells`` of the
    landmarks (15 % by default), with the same weights as :func:`place`. Deterministic."""
    from sklearn.cluster import KMeans

    Z = np.asarray(Z, dtype=np.float32)
    xy = np.asarray(xy, dtype=np.float32)
    m = len(rows)
    cells = max(1, min(cells, m // max(4 * neighbours, 1)))
    probe = min(probe, cells)
    if cells < 2:
        return place(Z, rows, xy, neighbours=neighbours)
    L = np.ascontiguousarray(Z[rows])
    grouping = KMeans(n_clusters=cells, n_init=1, random_state=seed, max_iter=50).fit(L)
    centres = grouping.cluster_centers_.astype(np.float32)
    members = [np.flatnonzero(grouping.labels_ == c) for c in range(cells)]
    centre_d = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    probed = np.argsort(centre_d, axis=1, kind="stable")[:, :probe]  # (cells, probe): c itself first
    out = np.empty((len(Z), 2), dtype=np.float32)
    is_landmark = np.zeros(len(Z), dtype=bool)
    is_landmark[rows] = True
    out[rows] = xy
    others = np.flatnonzero(~is_landmark)
    own = np.empty(len(others), dtype=np.int64)  # each point's nearest cell centre
    c_sq = (centres * centres).sum(1)
    for start in range(0, len(others), chunk):
        part = Z[others[start:start + chunk]]
        own[start:start + chunk] = np.argmin(c_sq[None, :] - 2 * part @ centres.T, axis=1)
    positions = torch.from_numpy(xy)
    with torch.no_grad():
        for c in range(cells):
            points = others[own == c]
            if not len(points):
                continue
            candidates = np.concatenate([members[j] for j in probed[c]])
            C = torch.from_numpy(np.ascontiguousarray(L[candidates]))
            C_sq = (C * C).sum(1)
            k = min(neighbours, len(candidates))
            for start in range(0, len(points), chunk):
                part = points[start:start + chunk]
                P = torch.from_numpy(np.ascontiguousarray(Z[part]))
                partial = torch.addmm(C_sq[None, :].expand(len(part), -1), P, C.T, alpha=-2)
                near_d2, near = torch.topk(partial, k, dim=1, largest=False)
                near_d2 = (near_d2 + (P * P).sum(1, keepdim=True)).clamp_min_(0)
                weights = 1.0 / (near_d2 + 1e-12)
                weights /= weights.sum(1, keepdim=True)
                chosen = torch.from_numpy(candidates)[near]
                out[part] = (weights[:, :, None] * positions[chosen]).sum(1).numpy()
    return out


def landmark_map(Z: np.ndarray, layout: Layout, *, seed: int, progress: IterProgress | None = None) -> np.ndarray:
    """(n, 2) map of the (n, d) ``Z``: ``layout`` on ``N_LANDMARKS`` seeded rows, the rest :func:`place`-d."""
    rows = landmark_rows(len(Z), N_LANDMARKS, seed)
    log.info("map of %d points: laid out %d landmarks, placing the other %d from their %d nearest landmarks",
             len(Z), len(rows), len(Z) - len(rows), PLACE_NEIGHBOURS)
    xy = layout(np.ascontiguousarray(Z[rows]), progress)
    if len(Z) > CELLS_ABOVE:
        return place_by_cells(Z, rows, xy, seed=seed)
    return place(Z, rows, xy)
