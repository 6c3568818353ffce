"""The clusters' colours: 40 that a person can tell apart on the map, built glasbey-style.

Glasbey et al. (2007) build a categorical palette by adding, one at a time, the candidate colour
farthest (in a perceptual space) from every colour already chosen. :func:`glasbey` does that in
CIELAB (the distance a test of the palette reports, ``ΔE*ab``) over an sRGB grid, starting from the
nine first colours of the map's earlier palette (Tableau's, which people already tell apart; the
first maps of a small k keep their look) and keeping only colours that read on a light and a dark
page (lightness ``L*`` 40..80) and that are not greys (chroma at least 25: grey is reserved for
missing values and "(other)") nor neon (chroma at most 90).

:data:`PALETTE` is that result, committed as constants (``python benchmarks/make_palette.py``
prints it again; ``tests/test_palette.py`` checks both agree). Its closest pair of the 40 is about
24.5 ``ΔE*ab`` apart (about ten just-noticeable differences); the old 20-colour palette had two
oranges 7.4 apart. Above 40 clusters colours repeat (``colour(i)`` wraps): the map's labels and
hover texts name each cluster.
"""
from __future__ import annotations

import numpy as np

#: The seeds: the first nine colours of the map's earlier palette (Tableau 10 without its grey).
SEEDS = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#EECA3B")
LIGHTNESS = (40.0, 80.0)  # L*: visible on white and on Streamlit's dark background
CHROMA = (25.0, 90.0)     # not a grey, not neon
GRID_STEP = 5             # sRGB candidates: every 5th value of each channel

PALETTE: tuple[str, ...] = (
    "#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#EECA3B", "#5546DC",
    "#FA0AAF", "#96D705", "#E687FF", "#7D7300", "#4B8CFF", "#00E15F", "#C8C887", "#00DCAF", "#AF2369", "#416946",
    "#00C8FF", "#964B05", "#784BA5", "#DC2800", "#A500B4", "#FF0073", "#F5AA6E", "#B9C3FF", "#FF7DC3", "#006E78",
    "#B4D25A", "#9B4650", "#37A500", "#FA0041", "#F0AFFA", "#00966E", "#C341AA", "#BE8700", "#91D2A0", "#1EA5FA",
)
DISTINCT = len(PALETTE)  # clusters up to this many get a colour each


def colour(i: int) -> str:
    """The colour of cluster ``i`` (the palette repeats above :data:`DISTINCT`)."""
    return PALETTE[int(i) % DISTINCT]


def hex_to_rgb(colours) -> np.ndarray:
    """(m, 3) uint8 from ``#RRGGBB`` strings."""
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=np.uint8).reshape(-1, 3)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB values in 0..255 -> CIELAB (D65 white), float64."""
    rgb = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    delta = 6 / 29
    f = np.where(xyz > delta ** 3, np.cbrt(xyz), xyz / (3 * delta ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def closest_pair(colours) -> tuple[float, str, str]:
    """(the smallest CIELAB distance ``ΔE*ab`` between two of ``colours``, that pair)."""
    colours = list(colours)
    lab = srgb_to_lab(hex_to_rgb(colours))
    d = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=-1)
    np.fill_diagonal(d, np.inf)
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    return float(d[i, j]), colours[i], colours[j]


def glasbey(n: int = 40, seeds: tuple[str, ...] = SEEDS) -> tuple[str, ...]:
    """``n`` colours: ``seeds``, then greedily the allowed sRGB grid colour farthest in CIELAB from all
    chosen so far (ties: the first in grid order, so the result is deterministic)."""
    grid = np.arange(0, 256, GRID_STEP)
    rgb = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    lab = srgb_to_lab(rgb)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    allowed = ((lab[:, 0] >= LIGHTNESS[0]) & (lab[:, 0] <= LIGHTNESS[1])
               & (chroma >= CHROMA[0]) & (chroma <= CHROMA[1]))
    lab, rgb = lab[allowed], rgb[allowed]
    chosen = list(seeds)
    seed_lab = srgb_to_lab(hex_to_rgb(seeds))
    nearest = np.min(np.linalg.norm(lab[:, None, :] - seed_lab[None, :, :], axis=-1), axis=1)
    while len(chosen) < n:
        i = int(np.argmax(nearest))
        chosen.append("#%02X%02X%02X" % tuple(int(v) for v in rgb[i]))
        nearest = np.minimum(nearest, np.linalg.norm(lab - lab[i], axis=1))
    return tuple(chosen[:n])
