"""The tree of clusters in the app (``core.clustering.hierarchy``): the Map page's "Level" control (the map
coloured and labelled by the groups of a cut of the tree), the colours of many clusters (above the
palette's distinct colours, clusters of one upper-level group share a colour), the tree drawn as an
icicle, and "Merge" of a branch, which is the session's merge edit."""
from __future__ import annotations

import html

import plotly.graph_objects as go
import streamlit as st

from core.clustering.hierarchy import Tree, levels
from core.plots.palette import DISTINCT
from core.plots.plots import colour

from . import _cached as cached
from . import _state as S
from ._colour import Colouring
from ._view import guarded


#: The "Level" of the clusters themselves: kept as this, not as k, so that it stays the clusters when k changes.
CLUSTERS = 0


def level_name(m: int, k: int) -> str:
    return f"{k} clusters" if m in (k, CLUSTERS) else "1 group" if m == 1 else f"{m} groups"


def level_control(view, container) -> int:
    """The "Level" selectbox (in ``container``): the clusters or a number of groups of the tree; the number
    of groups chosen (k for the clusters). Nothing is drawn for fewer than 4 clusters (no level between)."""
    options = [CLUSTERS] + levels(view.k)[1:]
    if len(options) < 2:
        return view.k
    if st.session_state.get(S.MAP_LEVEL) not in options:
        st.session_state.pop(S.MAP_LEVEL, None)  # another k, or a merge, left no such level
    chosen = int(container.selectbox(
        "Level", options, key=S.MAP_LEVEL, format_func=lambda m: level_name(m, view.k),
        help="The clusters, or groups of similar clusters (their centres joined into a tree, each group named "
             "by the words typical of it): the map is coloured and labelled by the groups. The Hierarchy page "
             "shows the tree."))
    return view.k if chosen == CLUSTERS else chosen


def group_colouring(view, m: int) -> Colouring:
    """The map coloured by the m groups of the tree's cut at m, each labelled with its name."""
    tree = guarded(lambda: cached.session().hierarchy(view))
    names = {g: f"Group {g + 1}: {node.name}" for g, node in enumerate(tree.cut(m))}
    return Colouring(tree.group_labels(view.labels, m), names, labelled=True)


def upper_level(k: int) -> int | None:
    """The level whose groups colour k clusters when k outnumbers the palette's distinct colours (the
    largest level of at most DISTINCT groups), else None (a colour per cluster)."""
    if k <= DISTINCT:
        return None
    return next(m for m in levels(k, most=99) if m <= DISTINCT)


def leaf_colours(view) -> dict[int, str] | None:
    """{cluster id: colour} for many clusters: each its upper-level group's colour, so similar clusters
    share one and the labels tell them apart (None at most DISTINCT clusters)."""
    m = upper_level(view.k)
    if m is None:
        return None
    tree = guarded(lambda: cached.session().hierarchy(view, named=False))  # colours need no names
    return {c: colour(g) for c, g in tree.groups(m).items()}


def leaf_note(k: int) -> str | None:
    m = upper_level(k)
    if m is None:
        return None
    return (f"{k} clusters, {DISTINCT} distinct colours: clusters are coloured by their group of {m} in the tree "
            "(similar clusters share a colour); the labels, the legend and each point's hover name its cluster.")


def tree_figure(tree: Tree, at: list[int]) -> go.Figure:
    """An icicle of the groups of the levels ``at`` (the root on top, the clusters at the bottom), each
    box as wide as its texts; a click on a box zooms into it."""
    shown = tree.shown_nodes(at)
    numbers = {n.node for n in shown}
    parents = [tree.shown_parent(n, numbers) for n in shown]
    fig = go.Figure(go.Icicle(
        ids=[str(n.node) for n in shown], parents=["" if p is None else str(p) for p in parents],
        labels=[html.escape(n.name) for n in shown], values=[n.size for n in shown], branchvalues="total",
        customdata=[[len(n.clusters)] for n in shown], tiling={"orientation": "v"}, maxdepth=4,
        hovertemplate="%{label}<br>%{value:,} texts in %{customdata[0]} clusters<extra></extra>",
        marker={"colors": [_node_colour(tree, n.node) for n in shown]}))
    fig.update_layout(margin={"t": 10, "l": 0, "r": 0, "b": 0}, height=420)
    return fig


def _node_colour(tree: Tree, node: int) -> str:
    """A box's colour: that of its group in the cut at 2 (the root grey), so the two halves read apart."""
    if node == tree.root.node:
        return "#E5E5E5"
    halves = tree.groups(2)
    first = tree.nodes[node].clusters[0]
    return colour(halves[first])


def merge_branch(view, clusters: list[int]) -> None:
    """One click: the branch's clusters merged, as the session's merge edit (saved with the project)."""
    what = cached.session().merge(view, clusters)
    st.session_state[S.TREE_DONE] = what[0].upper() + what[1:] + "."
    st.rerun()
