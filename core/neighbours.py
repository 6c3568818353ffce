"""Nearest neighbours in the raw embedding space, and the input noise used by neighbour objectives.

Everything here is k-free: the neighbour count comes from the data size, never from the number of
clusters or from labels.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def default_n_neighbors(n: int) -> int:
    """Neighbours per point for ``n`` points: ``sqrt(n) / 5`` clipped to [5, 20], at most ``n - 1``.

    Small corpora (which may hold many small classes) get few neighbours so that a point's
    neighbours stay inside its class; 7,600 points get 17, 10,000 or more get 20.
    """
    return max(1, min(n - 1, min(20, max(5, round(math.sqrt(n) / 5)))))


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


def feature_dropout(x: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Zero each coordinate with probability ``p`` and rescale the rest (input augmentation).

    The mask is drawn on the CPU from ``generator`` so the result is the same on every device.
    """
    if p <= 0:
        return x
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep.to(device=x.device, dtype=x.dtype) / (1 - p)
