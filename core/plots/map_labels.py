"""Cluster names drawn on the map, placed as datamapplot places them: at each cluster, sized by the
cluster's size, kept from overlapping.

datamapplot (Lutz Healy's) puts a cluster's label over its points, its font size growing with the
cluster's size, and moves labels apart until no two overlap, with a thin line back to the cluster
when a label had to move. :func:`place_labels` does this greedily: the largest cluster first, each
label at its cluster's anchor (the cluster's point nearest the median of its points, so always on
the cluster even when it is not convex), else at the nearest free spot on rings around it, up to
``MAX_SHIFT_PX``; a label with no free spot that near stays unplaced (``placed=False``): the map's
frame shows it when a zoom makes room (the frame hides any label that would overlap one before it).

Geometry is in screen pixels over an assumed plot area (:class:`Frame`): a label's font size and its
box are pixels, the map's axes are data units, and the frame converts. The frame assumed is narrower
than the map is drawn at on a 1440-px screen, so boxes are, if anything, too wide in data units and
labels placed apart here stay apart there. Plain Python and NumPy; no Plotly.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Hashable

import numpy as np

MIN_FONT_PX, MAX_FONT_PX = 11.0, 17.0
CHAR_EM = 0.62       # a character's width in ems (sans-serif, a little wide: boxes err on the large side)
LINE_EM = 1.25       # a line's height in ems
PAD_PX = 3.0         # around the text, inside its box
GAP_PX = 2.0         # between two boxes
WRAP_CHARS = 18      # a label's lines: datamapplot wraps at 16 characters
MAX_LINES = 3
MAX_SHIFT_PX = 140.0  # farthest a label moves from its anchor
RING_STEP_PX = 10.0


@dataclass(frozen=True)
class Frame:
    """The plot area a placement assumes: ``width`` x ``height`` pixels over ``x_range`` x ``y_range``."""

    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def per_px(self) -> tuple[float, float]:
        """Data units per pixel along x and y."""
        return ((self.x_range[1] - self.x_range[0]) / self.width, (self.y_range[1] - self.y_range[0]) / self.height)


@dataclass(frozen=True)
class Label:
    """One cluster's label: its ``lines`` of text at ``size`` px, its box centred at (``x``, ``y``) and
    ``width`` x ``height`` (data units); (``anchor_x``, ``anchor_y``) is the cluster's point it names.
    ``placed``: it has a spot free of the labels before it at the frame's zoom (else it sits on its
    anchor, to be shown when a zoom makes room)."""

    group: Hashable
    lines: tuple[str, ...]
    size: float
    x: float
    y: float
    width: float
    height: float
    anchor_x: float
    anchor_y: float
    placed: bool
    count: int

    @property
    def moved(self) -> bool:
        return (self.x, self.y) != (self.anchor_x, self.anchor_y)

    def box(self) -> tuple[float, float, float, float]:
        """(x0, x1, y0, y1) in data units."""
        return (self.x - self.width / 2, self.x + self.width / 2, self.y - self.height / 2, self.y + self.height / 2)


def extent(xy: np.ndarray, pad: float = 0.04) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x range, y range) of the (n, 2) points, each widened by ``pad`` of its span on both sides
    (the map's axes: the points fill the frame)."""
    lo, hi = np.min(xy, axis=0).astype(float), np.max(xy, axis=0).astype(float)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def wrap(name: str, width: int = WRAP_CHARS, lines: int = MAX_LINES) -> tuple[str, ...]:
    """A name on at most ``lines`` lines of about ``width`` characters (the last ends with … when cut)."""
    out = textwrap.wrap(" ".join(str(name).split()), width=width, break_long_words=True) or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: max(1, width - 1)].rstrip() + "…"
    return tuple(out)


def font_sizes(counts: np.ndarray, low: float = MIN_FONT_PX, high: float = MAX_FONT_PX) -> np.ndarray:
    """Font sizes (px) growing with the square root of each cluster's size, from ``low`` to ``high``."""
    root = np.sqrt(np.asarray(counts, dtype=np.float64))
    if not len(root) or root.max() == root.min():
        return np.full(len(root), high if len(root) <= 1 else (low + high) / 2)
    return low + (high - low) * (root - root.min()) / (root.max() - root.min())


def anchor(xy: np.ndarray) -> np.ndarray:
    """The point of (m, 2) ``xy`` nearest the median of its points (on the cluster even when it is not convex)."""
    median = np.median(xy, axis=0)
    return xy[int(np.argmin(((xy - median) ** 2).sum(axis=1)))]


def _offsets(max_shift: float, step: float) -> np.ndarray:
    """(m, 2) pixel offsets to try, nearest first: none, then rings of growing radius."""
    out = [np.zeros((1, 2))]
    for radius in np.arange(step, max_shift + 1e-9, step):
        n = max(8, int(2 * np.pi * radius / step))
        angles = np.arange(n) * 2 * np.pi / n + np.pi / 2  # starting above the anchor
        out.append(np.column_stack([np.cos(angles), np.sin(angles)]) * radius)
    return np.concatenate(out)


def place_labels(xy: np.ndarray, groups: np.ndarray, names: dict, frame: Frame, *,
                 max_shift_px: float = MAX_SHIFT_PX) -> list[Label]:
    """One :class:`Label` per group of ``names`` (in ``names``' keys) that has points in (n,) ``groups``,
    over (n, 2) ``xy``, largest group first. Placed labels' boxes (with ``GAP_PX`` between them) never
    overlap and lie inside the frame; each is within ``max_shift_px`` of its anchor."""
    groups = np.asarray(groups)
    present = [(g, np.flatnonzero(groups == g)) for g in names]
    present = [(g, rows) for g, rows in present if len(rows)]
    present.sort(key=lambda item: -len(item[1]))  # stable: ties keep names' order
    if not present:
        return []
    sizes = font_sizes(np.array([len(rows) for _, rows in present]))
    px, py = frame.per_px
    x0, x1 = frame.x_range
    y0, y1 = frame.y_range
    offsets = _offsets(max_shift_px, RING_STEP_PX)
    boxes = np.empty((0, 4))  # placed boxes in pixels: left, right, bottom, top
    out: list[Label] = []
    for (group, rows), size in zip(present, sizes):
        lines = wrap(names[group])
        w_px = max(len(line) for line in lines) * CHAR_EM * size + 2 * PAD_PX
        h_px = len(lines) * LINE_EM * size + 2 * PAD_PX
        ax, ay = anchor(np.asarray(xy[rows], dtype=np.float64))
        cx, cy = (ax - x0) / px + offsets[:, 0], (ay - y0) / py + offsets[:, 1]  # candidate centres, pixels
        left, right, bottom, top = cx - w_px / 2, cx + w_px / 2, cy - h_px / 2, cy + h_px / 2
        inside = (left >= 0) & (right <= frame.width) & (bottom >= 0) & (top <= frame.height)
        free = inside.copy()
        if len(boxes):
            clash = ((left[:, None] < boxes[None, :, 1] + GAP_PX) & (right[:, None] > boxes[None, :, 0] - GAP_PX)
                     & (bottom[:, None] < boxes[None, :, 3] + GAP_PX) & (top[:, None] > boxes[None, :, 2] - GAP_PX))
            free &= ~clash.any(axis=1)
        spot = int(np.argmax(free)) if free.any() else None
        if spot is not None:
            boxes = np.vstack([boxes, [left[spot], right[spot], bottom[spot], top[spot]]])
            x, y = x0 + cx[spot] * px, y0 + cy[spot] * py
        else:
            x, y = ax, ay
        out.append(Label(group, lines, round(float(size), 1), float(x), float(y), float(w_px * px), float(h_px * py),
                         float(ax), float(ay), spot is not None, len(rows)))
    return out


def group_boxes(xy: np.ndarray, groups: np.ndarray, keys: list, *, low: float = 2.0, high: float = 98.0,
                pad: float = 0.15) -> dict:
    """{group: (x0, x1, y0, y1)}: what a zoom to each group of ``keys`` shows, its points from the
    ``low`` to the ``high`` percentile (a few strays do not widen it) plus ``pad`` of that span
    (at least a twentieth of the whole map's, so a tight cluster still shows its neighbours)."""
    whole = np.ptp(xy, axis=0) if len(xy) else np.ones(2)
    out = {}
    for key in keys:
        rows = np.flatnonzero(groups == key)
        if not len(rows):
            continue
        lo = np.percentile(xy[rows], low, axis=0)
        hi = np.percentile(xy[rows], high, axis=0)
        margin = np.maximum((hi - lo) * pad, whole / 20)
        lo, hi = lo - margin, hi + margin
        out[key] = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    return out
