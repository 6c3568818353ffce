"""Which points a map draws and what each one carries to the browser.

A map draws every point up to :data:`MAX_DRAWN` (1,000,000: WebGL in a browser without a GPU draws
them in seconds, Plotly's scattergl drawing a level of detail above 100,000); above it, a stratified
sample in which every group keeps its share. Each drawn point carries only its coordinates (float32),
its row id (int32) and a short hover title (one line of one UTF-8 buffer, :func:`hover_buffer`), so a
million points are about 12 MB and their titles; no Python object is made per point.
"""
from __future__ import annotations

import numpy as np

MAX_DRAWN = 1_000_000
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



def hover_buffer(titles: list[str] | np.ndarray, limit: int = HOVER_CHARS) -> bytes:
    """The (n,) ``titles`` as one UTF-8 buffer of n lines (joined by ``\\n``, no trailing one): each cut
    to ``limit`` characters as :func:`hover_titles` cuts it, a line break inside a title made a space,
    and ``&``, ``<``, ``>`` escaped (Plotly renders a subset of HTML in hover texts: titles show
    literally). The same lines as ``hover_titles`` then ``core.plots.plots``' escaping, but the cutting touches
    only the long titles and the rest runs over the joined text, not title by title (a million titles
    in a fraction of a second)."""
    titles = titles.tolist() if isinstance(titles, np.ndarray) else list(titles)
    if not titles:
        return b""
    try:
        joined = "\n".join(titles)
    except TypeError:  # not all strings
        titles = list(map(str, titles))
        joined = "\n".join(titles)
    long = np.flatnonzero(np.fromiter(map(len, titles), dtype=np.int64, count=len(titles)) > limit)
    if len(long):
        for i, title in zip(long.tolist(), hover_titles([titles[i] for i in long], limit)):
            titles[i] = title
        joined = "\n".join(titles)
    if joined.count("\n") != len(titles) - 1:  # a title with a line break of its own: one line each
        joined = "\n".join(t.replace("\n", " ") for t in titles)
    joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return joined.encode("utf-8", "replace")
