"""The map: the 2-D projection coloured by cluster with the clusters' names on it, the texts behind a
selection or a search right under it, then the metric cards."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.tables.csv_export import safe_csv
from core.tables.export import export_name
from core.projection.project import map_title
from core.plots.map_points import MAX_DRAWN, drawn_rows, hover_titles
from pages import _link, _mapchart, _search, _timeline
from pages import _state as S
from pages._cards import metric_cards
from pages._colour import colour_by, show_only
from pages._common import page_view
from pages._tree import group_colouring, leaf_colours, leaf_note, level_control
from pages._map_overlay import HEIGHT, colour_note, find_cluster, labels_toggle, overlay
from pages._safe import plain, plain_name
from pages._selection import remember

HINT = ("drag a box or lasso, or click a point, to list its texts under the map; click a cluster's name or "
        "legend entry to zoom to it")
#: No title on this page: the sidebar names it, and the map and its controls fit a 1440 x 900 screen.

view = page_view(provisional=True)
corpus, scores = view.corpus, view.clusters.scores
st.caption(f"{len(corpus):,} texts from {plain(view.source.label)} · {plain(view.cfg.embed.model)} "
           f"({plain(view.embedded.backend)}) · "
           f"encoder objective '{view.cfg.encoder.objective}', latent {view.cfg.encoder.latent} · k = {view.k} · "
           ":material/touch_app: " + HINT)


if view.xy is None:
    st.info("Too few texts to draw a map; raise the sample fraction in the sidebar.")
    metric_cards(view)
    st.stop()

frame = corpus.frame
colour_column, level_column, labels_column, find_column, floor_column = st.columns(
    [2.3, 1.0, 0.8, 1.5, 1.2], vertical_alignment="bottom")
colouring = colour_by(view, colour_column)  # the clusters, the label, any other column, or the confidence
by_cluster = colouring.clusters and not colouring.by_confidence
level = level_control(view, level_column) if by_cluster else view.k  # the clusters, or groups of the tree
if level < view.k:
    colouring = group_colouring(view, level)
elif by_cluster:
    colouring.colours = leaf_colours(view)  # many clusters: by their upper-level group
show_labels = labels_toggle(labels_column)
zoom = find_cluster(view, find_column)
conf = _search.confidence(view)
keep = _search.visible(conf, floor_column)  # texts below the confidence floor are neither drawn nor listed
found = _search.controls(view, conf, keep)  # what a search highlights (None: no search)

rows = drawn_rows(view.labels, view.cfg.seed)  # every point up to MAX_DRAWN, else a stratified sample
if len(rows) < len(frame):
    st.caption(f"Showing {len(rows):,} of {len(frame):,} points (a stratified sample: the map draws at most "
               f"{MAX_DRAWN:,}); selections list only drawn points.")
kept, only = show_only(corpus)  # the sidebar's "Show only"
rows = rows[keep[rows] & kept[rows]]
timed = _timeline.prepare(view, keep & kept)  # a date column's chart (drawn lower down) and what it selected
if only:
    st.caption(plain(only))
fig = colouring.figure(view.xy[rows], rows, hover_titles(frame["title"].to_numpy()[rows]),
                       map_title(view.cfg.project.method, len(frame)),
                       highlight=None if found is None else found.mask[rows], confidence=conf[rows])
# Plotly.js in the page, the points sent as binary arrays, the clusters' names drawn over them
event = _mapchart.chart(fig, key=S.MAP_CHART, height=HEIGHT,
                        **overlay(colouring, view.xy[rows], rows, labels=show_labels, zoom=zoom))
if by_cluster and level == view.k and leaf_note(view.k):
    st.caption(leaf_note(view.k))
elif colouring.clusters and colour_note(view.k):
    st.caption(colour_note(view.k))


def _row_id(point: dict) -> int | None:
    """A point's row id from ``customdata`` (a list, or in the browser a dict keyed "0")."""
    data = point.get("customdata")
    if isinstance(data, dict):
        data = data.get("0", next(iter(data.values()), None))
    if isinstance(data, (list, tuple)):
        data = data[0] if data else None
    try:
        return int(data) if data is not None else None
    except (TypeError, ValueError):
        return None


def selection(selected: list[int]) -> None:
    """The texts of a selection on the map, right under it, with a download and a link to their cluster."""
    table = pd.DataFrame({"cluster": view.labels[selected], "title": frame["title"].to_numpy()[selected],
                          "text": frame["text"].to_numpy()[selected]})
    if corpus.label_col:
        table["label"] = frame["label"].to_numpy()[selected]
    st.subheader(f"{len(selected):,} selected text{'' if len(selected) == 1 else 's'}")
    if len(selected) == 1:
        _search.nearest_button(view, selected[0])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"text": st.column_config.TextColumn(width="large")})
    export = view.assignments().iloc[selected]
    st.download_button("Download the selection (CSV)", safe_csv(export),
                       export_name(corpus.source, view.k, "selection", "csv"), "text/csv", icon=":material/download:",
                       on_click="ignore")  # a download needs no rerun
    top = int(pd.Series(view.labels[selected]).mode().iloc[0])
    if event.get("focus") is None:  # unless a click on a cluster's name came after the selection
        _link.focus_on(view, top)  # the Clusters page opens this one; the link names it while the data stay
    remember(view, selected)  # and lists the selection itself
    # a link, not st.switch_page: browser-side navigation keeps every sidebar setting
    st.page_link("pages/clusters.py", label=f"Open the selection and cluster {plain_name(view.name(top))} on the Clusters page",
                 icon=":material/arrow_forward:")


def focused(cluster: int) -> None:
    """The cluster in focus (a name or legend entry clicked on the map, "Find a cluster", a link): where to read it."""
    st.page_link("pages/clusters.py", label=f"Open cluster {plain_name(view.name(cluster))} ({view.summary(cluster).size:,} texts) "
                                            "on the Clusters page", icon=":material/arrow_forward:")


points = (event or {}).get("selection", {}).get("points", []) if event else []
selected = sorted({r for r in map(_row_id, points) if r is not None and 0 <= r < len(frame)})
if not selected and timed is not None and len(timed.rows):  # a brush or click on the time chart
    selected = timed.rows.tolist()
if timed is not None and timed.fresh and timed.focus in view.ids:
    _link.focus_on(view, timed.focus)
if event.get("focus") in view.ids and st.session_state.get(S.MAP_FOCUS_SEEN) != event["focus_n"]:
    st.session_state[S.MAP_FOCUS_SEEN] = event["focus_n"]  # each click once: a later selection or find wins
    _link.focus_on(view, event["focus"])  # the Clusters page opens it; the link names it
_search.results(found)  # what the map highlights, right under it
if selected:
    selection(selected)
if (not selected or event.get("focus") is not None) and st.session_state.get(S.FOCUS_CLUSTER) in view.ids:
    focused(st.session_state[S.FOCUS_CLUSTER])
if timed is not None:
    _timeline.draw(view, timed, colouring.colours if by_cluster and level == view.k else None)
metric_cards(view)  # under the map and the texts it lists
