"""Nearest neighbours in the raw embedding space, and the input noise used by neighbour objectives.

Everything here is k-free: the neighbour count comes from the data size, never from the number of
clusters or from labels.
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading

import numpy as np
import torch
from torch.nn import functional as F

log = logging.getLogger(__name__)

#: Above this many points the neighbour graph is approximate (NN-descent): the exact graph costs
#: n^2 similarities (about 7 minutes for 120,000 texts here). At or below it, the exact graph, so
#: results for such corpora are unchanged. Read at call time (tests lower it).
ANN_ABOVE = 20_000
#: NN-descent's own seed: fixed, so the graph (and everything trained on it) is a function of the
#: data alone, the same for every run seed.
ANN_SEED = 0
#: Candidates kept per point while NN-descent refines its graph (more: higher recall, slower).
ANN_CANDIDATES = 30
#: Above this many rows the encoder trains on, and the co-view votes on, a seeded sample of
#: ``SAMPLE_ROWS`` of them (:func:`scale_sample`) instead of all: the neighbour graph of a million
#: 256-d vectors alone was most of a cold million-text run, while the encoder takes a capped number
#: of steps anyway and a neighbourhood vote needs no million voters. At or below it, every row, so
#: results (and cache keys) for such corpora are unchanged. Read at call time (tests lower them).
SAMPLE_ABOVE = 100_000
SAMPLE_ROWS = 100_000
#: The sample's own seed: fixed, so the training graph and the co-view's graph are the same one
#: (computed once) and the co-view's inputs stay free of the run's seed, as the graph is.
SAMPLE_SEED = 0


def default_n_neighbors(n: int) -> int:
    """Neighbours per point for ``n`` points: ``sqrt(n) / 5`` clipped to [5, 20], at most ``n - 1``.

    Small corpora (which may hold many small classes) get few neighbours so that a point's
    neighbours stay inside its class; 7,600 points get 17, 10,000 or more get 20.
    """
    return max(1, min(n - 1, min(20, max(5, round(math.sqrt(n) / 5)))))


def scale_sample(n: int) -> np.ndarray | None:
    """(SAMPLE_ROWS,) sorted row indices of a seeded uniform sample of ``n`` rows when ``n`` is above
    ``SAMPLE_ABOVE``, else None (use every row). A function of ``n`` alone (``SAMPLE_SEED``)."""
    if n <= SAMPLE_ABOVE:
        return None
    rng = np.random.default_rng(SAMPLE_SEED)
    return np.sort(rng.choice(n, size=min(SAMPLE_ROWS, n), replace=False))


def sample_key(n: int) -> tuple[str, ...]:
    """An extra key part for stages that work on :func:`scale_sample`'s rows: empty at or below
    ``SAMPLE_ABOVE`` rows (their keys, and cached results, stay as they were)."""
    return () if n <= SAMPLE_ABOVE else (f"sample {SAMPLE_ROWS} of rows above {SAMPLE_ABOVE}",)


def cosine_knn(X: torch.Tensor, n_neighbors: int, chunk: int = 2048) -> torch.Tensor:
    """Indices (n, n_neighbors) of each row's nearest other rows by cosine similarity.

    Exact and deterministic; memory is ``chunk * n`` similarities at a time. Ties are broken by
    ``torch.topk``; a row is never its own neighbour.
    """
    n = len(X)
    if not 1 <= n_neighbors < n:
        raise ValueError(f"need 1 <= n_neighbors < n, got n_neighbors={n_neighbors} for n={n}")
    unit = F.normalize(X, dim=1)
    out = []
    with torch.no_grad():
        for start in range(0, n, chunk):
            sim = unit[start:start + chunk] @ unit.T
            rows = torch.arange(sim.shape[0], device=X.device)
            sim[rows, rows + start] = -math.inf
            out.append(sim.topk(n_neighbors, dim=1).indices)
    return torch.cat(out)


def nearest_neighbours(X: torch.Tensor, n_neighbors: int) -> torch.Tensor:
    """Indices (n, n_neighbors) of each row's nearest other rows of (n, d) ``X`` by cosine similarity.

    Exact (:func:`cosine_knn`) up to ``ANN_ABOVE`` rows, approximate above (:func:`approximate_knn`).
    The result is on ``X``'s device; a row is never its own neighbour.
    """
    if len(X) <= ANN_ABOVE:
        return cosine_knn(X, n_neighbors)
    data = np.ascontiguousarray(X.detach().cpu().numpy(), dtype=np.float32)
    memo = (hashlib.sha256(memoryview(data).cast("B")).hexdigest(), n_neighbors, ANN_SEED)  # no copy of the array
    with _LAST_LOCK:  # the training objective and the co-view reassignment ask for the same graph
        found = _LAST.get(memo)
    if found is None:
        found = approximate_knn(data, n_neighbors)
        log.info("approximate %d-neighbour graph of %d points (NN-descent)", n_neighbors, len(data))
        with _LAST_LOCK:
            _LAST.clear()
            _LAST[memo] = found
    return torch.from_numpy(found.copy()).to(X.device)


#: Rows of the warm-up's array: enough for NN-descent's every step (its trees, its iterations) to run.
WARM_ROWS = 3_000
_WARM_LOCK = threading.Lock()
_warm: list[threading.Thread] = []  # the one warm-up of this process, once started


def warm_up() -> None:
    """Start compiling NN-descent's numba code in a daemon thread, once per process (later calls do
    nothing): a run of more than ``ANN_ABOVE`` texts calls it as its embedding starts, so the compile
    (tens of seconds, the same whatever the data) overlaps the embedding instead of following it.
    It builds the graph of a small fixed array; nothing of it reaches a result."""
    with _WARM_LOCK:
        if _warm:
            return
        data = np.random.default_rng(0).standard_normal((WARM_ROWS, 16)).astype(np.float32)
        thread = threading.Thread(target=_compile, args=(data,), name="nn-descent warm-up", daemon=True)
        _warm.append(thread)
    thread.start()


def _compile(data: np.ndarray) -> None:
    try:
        approximate_knn(data, 5)
    except Exception:  # noqa: BLE001 - a warm-up only: the run's own call reports any real fault
        log.debug("the NN-descent warm-up failed", exc_info=True)


_LAST: dict[tuple[str, int, int], np.ndarray] = {}  # the last approximate graph (one entry: they are large)
_LAST_LOCK = threading.Lock()


def approximate_knn(X: np.ndarray, n_neighbors: int, *, seed: int = ANN_SEED) -> np.ndarray:
    """Indices (n, n_neighbors) int64 of each row's approximate nearest other rows of (n, d) ``X`` (cosine).

    pynndescent's NN-descent on one thread with a fixed seed, so the graph is deterministic. Its
    graph holds each point itself (usually first); that entry is dropped, or the last one when a
    duplicate point took its place. The first call in a process compiles numba code (minutes on a
    busy 2-core machine); later calls reuse it.
    """
    from pynndescent import NNDescent

    n = len(X)
    if not 1 <= n_neighbors < n:
        raise ValueError(f"need 1 <= n_neighbors < n, got n_neighbors={n_neighbors} for n={n}")
    unit = np.asarray(X, dtype=np.float32)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    # euclidean on unit vectors orders neighbours as cosine does, and is pynndescent's fastest metric;
    # its n_neighbors counts the point itself
    index = NNDescent(unit, metric="euclidean", n_neighbors=min(n - 1, max(ANN_CANDIDATES, n_neighbors + 1)),
                      random_state=seed, n_jobs=1, low_memory=True, verbose=False)
    graph = index.neighbor_graph[0]
    rows = np.arange(n)[:, None]
    not_self = graph != rows
    # keep the first n_neighbors entries that are not the row itself (stable order)
    order = np.argsort(~not_self, axis=1, kind="stable")
    picked = np.take_along_axis(graph, order, axis=1)[:, :n_neighbors]
    if (picked < 0).any():  # NN-descent may leave a slot empty on tiny or degenerate data
        raise RuntimeError("the approximate neighbour graph is incomplete")
    return picked.astype(np.int64)


def feature_dropout(x: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Zero each coordinate with probability ``p`` and rescale the rest (input augmentation).

    The mask is drawn on the CPU from ``generator`` so the result is the same on every device.
    """
    if p <= 0:
        return x
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep.to(device=x.device, dtype=x.dtype) / (1 - p)
