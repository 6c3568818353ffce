"""What the Map page draws over its points: the clusters' names (placed by ``core.plots.map_labels.place_labels``),
the zoom box of each legend group, and "Find a cluster", which zooms to one. The map's frame does the
drawing and the zooming (``pages/_mapchart.py``); this module lays out the widgets and builds its
arguments."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.plots import DISTINCT, extent, Frame, group_boxes, group_colour, place_labels

from . import _link
from . import _state as S
from ._colour import Colouring
from ._mapchart import label_args

#: The map component's height (px), and the plot area inside it: the figure's margins (title 40,
#: bottom 10) and the frame's own 10 px come off it.
HEIGHT = 560
PLOT_HEIGHT = HEIGHT - 10 - 40 - 10
#: The plot area's width the labels are placed for: narrower than the map on a 1440-px screen (about
#: 1,000 px less the legend), so labels placed apart here stay apart there; the frame hides any that
#: would still overlap (a narrow window).
PLOT_WIDTH = 640


def labels_toggle(container) -> bool:
    """The "Labels" toggle (on by default)."""
    return bool(container.toggle("Labels", value=True, key=S.MAP_LABELS,
                                 help="The clusters' names on the map, larger for larger clusters. Click a name, "
                                      "or an entry of the legend, to zoom to its cluster and focus it."))


def find_cluster(view, container) -> dict | None:
    """"Find a cluster" (type to search the names): the zoom request for the map, or None."""
    names = view.names()

    def picked() -> None:
        cluster = st.session_state.get(S.FIND_CLUSTER)
        if cluster in names:
            number = st.session_state.get(S.MAP_ZOOM, (None, 0))[1] + 1
            st.session_state[S.MAP_ZOOM] = (cluster, number)
            _link.focus_on(view, cluster)  # the Clusters page opens it; the link names it

    if st.session_state.get(S.FIND_CLUSTER) not in (None, *names):
        del st.session_state[S.FIND_CLUSTER]  # a cluster merged away, another k
    container.selectbox("Find a cluster", list(names), index=None, key=S.FIND_CLUSTER, on_change=picked,
                        format_func=lambda c: names[c], placeholder=f"{len(names)} clusters: type a word",
                        help="Zooms the map to the cluster and focuses it (the Clusters page opens it). Double-click "
                             "the map to see all of it again.")
    cluster, number = st.session_state.get(S.MAP_ZOOM, (None, 0))
    return {"cluster": cluster, "n": number} if cluster in names else None


def overlay(colouring: Colouring, xy: np.ndarray, rows: np.ndarray, *, labels: bool,
            zoom: dict | None) -> dict:
    """The map component's ``labels``, ``groups`` and ``zoom`` arguments for the ``rows`` drawn at
    (m, 2) ``xy``. Labels name clusters (colouring by cluster or by confidence), not other columns'
    values; every group has a zoom box (a legend click), only clusters a focus."""
    if colouring.groups is None:  # a number column on a scale: no groups
        return {}
    groups = colouring.groups[rows]
    keys = {g: str(i) for i, g in enumerate(colouring.names)}  # the traces' legend groups (core.plots.plots.map_figure)
    by_cluster = colouring.clusters
    boxes = group_boxes(xy, groups, list(colouring.names))
    out: dict = {"groups": {keys[g]: {"box": list(box), "cluster": int(g) if by_cluster else None}
                            for g, box in boxes.items()}}
    if labels and (by_cluster or colouring.labelled) and len(xy):
        x_range, y_range = extent(xy)
        placed = place_labels(xy, groups, colouring.names, Frame(PLOT_WIDTH, PLOT_HEIGHT, x_range, y_range))
        colours = {g: group_colour(g, i, colouring.colours) for i, g in enumerate(colouring.names)}
        out["labels"] = label_args(placed, keys, colours)
    if zoom is not None and by_cluster and zoom["cluster"] in keys:
        out["zoom"] = {"key": keys[zoom["cluster"]], "n": zoom["n"]}
    return out


def colour_note(k: int) -> str | None:
    """A line for the map when its clusters outnumber the palette's distinct colours."""
    if k <= DISTINCT:
        return None
    return (f"{k} clusters, {DISTINCT} distinct colours: colours repeat (cluster i takes colour i mod {DISTINCT}); "
            "the labels, the legend and each point's hover name its cluster.")
