"""Which points a map draws and what each one carries to the browser.

A map draws every point up to :data:`MAX_DRAWN` (WebGL draws 200,000 in a browser without a GPU);
above it, a stratified sample in which every group keeps its share. Each drawn point carries only
its coordinates (float32), its row id and a short hover title, so 200,000 points stay a few MB.
"""
from __future__ import annotations

import numpy as np

MAX_DRAWN = 200_000
HOVER_CHARS = 80


def drawn_rows(groups: np.ndarray, seed: int, limit: int = MAX_DRAWN) -> np.ndarray:
    """Sorted row ids to draw of the (n,) ``groups`` (cluster ids): all of them up to ``limit``, else
    a seeded sample of about ``limit`` in which every group keeps its share (at least one row)."""
    groups = np.asarray(groups)
    n = len(groups)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(groups == g))[: max(1, int(limit * np.mean(groups == g)))]
              for g in np.unique(groups)]
    return np.sort(np.concatenate(picked))


def hover_titles(titles: list[str] | np.ndarray, limit: int = HOVER_CHARS) -> list[str]:
    """Each title cut to ``limit`` characters (an ellipsis marks a cut): the hover needs no more."""
    return [t if len(t) <= limit else t[: limit - 1] + "…" for t in map(str, titles)]

