"""Topics over time on the Map page: when the file has a date column, each cluster's share of the texts
of each day, week, month or year (``core.clustering.timeline``) as a stacked area chart under the map. A brush
across the chart lists the texts of that span under the map, as a selection on the map does; a click
on a cluster's band lists its texts of that period and focuses the cluster.

The chart's selection comes back on the next run, before the chart is drawn again: :func:`prepare`
reads it (the page lists its texts right under the map) and :func:`draw` draws the chart lower down."""
from __future__ import annotations

import html
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.plots.plots import CHART_CONFIG, group_colour
from core.storage.results import array_key, stage_key
from core.clustering.timeline import Timeline, bin_name, selection_rows, timeline

from . import _cached as cached
from . import _state as S
from ._safe import plain


@dataclass
class TimeState:
    """The time chart of one run: the date ``column`` and its (n,) ``dates``, the counts per bin
    (``line``), the chart's widget ``key``, and the rows and cluster its last selection stands for."""

    column: str
    options: list[str]
    dates: pd.Series
    line: Timeline
    key: str
    rows: np.ndarray
    focus: int | None
    fresh: bool  # the selection is new in this run (its focus not yet applied)


def prepare(view, keep: np.ndarray) -> TimeState | None:
    """The time chart's state for the texts ``keep`` (n,) bool, with what its last selection selects;
    None when the data has no date column."""
    found = cached.session().dates(view)
    if not found:
        return None
    options = list(found)
    if st.session_state.get(S.TIME_COLUMN) not in options:
        st.session_state.pop(S.TIME_COLUMN, None)  # another file's column
    column = st.session_state.get(S.TIME_COLUMN) or options[0]
    dates = found[column]
    line = timeline(dates, view.labels, view.ids, keep)
    if line is None:
        return None
    # a key per column and clustering: a selection made on other curves is not read against these
    key = f"{S.TIME_CHART}:{stage_key(column, view.keys['sample'], line.period, array_key(view.labels), array_key(keep))}"
    event = st.session_state.get(key) or {}
    selection = dict(event.get("selection") or {})
    rows, focus = selection_rows(selection, line, dates, view.labels, keep) if selection else (np.array([], int), None)
    signature = json.dumps([key, selection.get("box"), [(p.get("curve_number"), p.get("x")) for p in
                                                        selection.get("points") or []]], default=str)
    fresh = bool(selection) and st.session_state.get(S.TIME_FOCUS_SEEN) != signature
    if fresh:
        st.session_state[S.TIME_FOCUS_SEEN] = signature
    return TimeState(column, options, dates, line, key, rows, focus, fresh)


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def figure(view, line: Timeline, colours: dict | None, focus: int | None) -> go.Figure:
    """Each cluster's share of each bin as stacked areas (trace j is cluster ``line.ids[j]``), in the map's
    colours; the ``focus`` cluster bright and the others faint."""
    fig = go.Figure()
    shares, counts = line.shares, line.counts
    for j, c in enumerate(line.ids):
        solid = group_colour(c, j, colours)
        faint = focus is not None and c != focus
        fig.add_trace(go.Scatter(
            x=line.starts, y=shares[:, j], name=html.escape(view.name(c)), stackgroup="shares", mode="lines",
            line={"width": 0.5 if faint else (2.5 if c == focus else 1), "color": solid},
            fillcolor=_rgba(solid, 0.15 if faint else 0.75), customdata=counts[:, j],
            hovertemplate=html.escape(view.name(c)) + "<br>%{x|%Y-%m-%d}: %{y:.0%} (%{customdata:,} texts)"
                          "<extra></extra>"))
    fig.update_layout(height=300, margin={"t": 10, "b": 10, "l": 10, "r": 10}, dragmode="select",
                      selectdirection="h", showlegend=line.counts.shape[1] <= 12, hovermode="closest",
                      yaxis={"tickformat": ".0%", "range": [0, 1], "title": "share of texts"},
                      xaxis={"title": None})
    return fig


def draw(view, state: TimeState, colours: dict | None) -> None:
    """The chart (and, for several date columns, which one it follows)."""
    line = state.line
    dated = int(line.counts.sum())
    period = bin_name(line.period)
    title, picker = st.columns([3, 1], vertical_alignment="bottom")
    title.markdown(f"**Clusters over time** · each cluster's share of the texts of each {period} "
                   f"({dated:,} texts dated by '{plain(state.column)}')")
    if len(state.options) > 1:
        picker.selectbox("Date column", state.options, key=S.TIME_COLUMN, format_func=plain)
    focus = st.session_state.get(S.FOCUS_CLUSTER)
    st.plotly_chart(figure(view, line, colours, focus if focus in view.ids else None), key=state.key,
                    on_select="rerun", selection_mode=("points", "box"), width="stretch", config=CHART_CONFIG)
    st.caption(f"Drag across the chart to list the texts of a span under the map; click a cluster's band to list "
               f"its texts of that {period} and focus it (Find a cluster on the map brings one forward).")
