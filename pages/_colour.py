"""Any column of the file on the map: "Colour by" it, "Show only" some of its values, and display
names for the label column. The grouping itself is ``core.session.view.Columns``; these are the widgets."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.plots import category_colours, label_colours, map_figure, numeric_map_figure
from core.session.view import Columns

from . import _cached as cached
from . import _state as S
from ._safe import plain

CLUSTER, LABEL, CONFIDENCE = "Cluster", "True label", "Confidence"
ALL = "(all texts)"


def columns(cols: Columns) -> dict[str, str]:
    """The columns one can colour or filter by: {option shown: the column's key in ``cols``}."""
    out = {LABEL: Columns.LABEL} if cols.has_label else {}
    for name, key in cols.others().items():
        out[name if name not in (CLUSTER, LABEL, CONFIDENCE, ALL) else f"{name} (column)"] = key
    return out


def label_names(corpus) -> dict[str, str]:
    """{label value: display name} of ``corpus`` from the sidebar's "Label names" box (empty when none
    are given)."""
    text = st.session_state.get(S.LABEL_NAMES) or ""
    if not corpus.label_col or not text.strip():
        return {}
    return Columns.of(corpus).label_names(text)[0]


@dataclass
class Colouring:
    """What colours the map: groups with a name and colour each, or numbers on a scale (``values``)."""

    groups: np.ndarray | None
    names: dict
    colours: dict | None = None
    values: np.ndarray | None = None
    column: str = ""
    by_confidence: bool = False
    clusters: bool = False  # the groups are the clusters (coloured by cluster or by confidence)
    labelled: bool = False  # the groups are named on the map (a level of the tree: groups of clusters)
    time: bool = False  # ``values`` are dates (days since 1970) on a continuous time scale

    def figure(self, xy: np.ndarray, rows: np.ndarray, hover: list[str], title: str, *,
               highlight: np.ndarray | None = None, confidence: np.ndarray | None = None) -> go.Figure:
        """The map of the (m,) ``rows`` drawn (``xy``, ``hover``, ``highlight`` (a search's hits) and
        ``confidence`` already cut to them)."""
        if self.values is not None:
            # dates (days since 1970): the colour bar and hovers read as dates
            return numeric_map_figure(xy, self.values[rows], self.column, hover, rows, title=title, dates=self.time)
        return map_figure(xy, self.groups[rows], self.names, hover, rows, title=title, colours=self.colours,
                          highlight=highlight, values=confidence if self.by_confidence else None)


def _categories(groups) -> Colouring:
    """The map coloured by a column's groups (``core.session.view.Columns.colour_groups``), in their order."""
    return Colouring(groups.labels, {g: g for g in groups.order}, category_colours(groups.order))


def colour_by(view, container) -> Colouring:
    """The "Colour by" radio (in ``container``): the clusters, the label, or any other column of the file.
    A choice the data does not have (from a link, or another file's column) falls back to the clusters."""
    cols = view.columns()
    options = columns(cols)
    chosen = st.session_state.get(S.COLOUR_BY)
    if chosen is not None and chosen not in (CLUSTER, CONFIDENCE) and chosen not in options:
        container.warning(f"This data has no column '{plain(chosen)}' to colour by; the map is coloured by "
                          "cluster.", icon=":material/palette:")
        del st.session_state[S.COLOUR_BY]
    choice = container.radio("Colour by", [CLUSTER, *options, CONFIDENCE], horizontal=True, key=S.COLOUR_BY,
                             format_func=plain,
                             help="The clusters, the label, any other column of the file (few values: a colour "
                                  "each; a number or a date: a scale; many values: the 20 most frequent and '(other)'), or "
                                  "each text's confidence in its cluster.")
    if choice in (CLUSTER, CONFIDENCE):
        return Colouring(view.labels, view.names(), by_confidence=choice == CONFIDENCE, clusters=True)
    if options[choice] == Columns.LABEL:
        groups, order = cols.label_groups()
        # a label takes the colour of the cluster it mostly falls in: toggling compares by eye
        names = label_names(view.corpus)
        return Colouring(groups, {g: names.get(g, g) for g in order}, label_colours(groups, view.labels))
    groups = cols.colour_groups(options[choice])
    if groups.kind in ("numeric", "time"):
        return Colouring(None, {}, values=groups.values, column=choice, time=groups.kind == "time")
    return _categories(groups)


def show_only(corpus) -> tuple[np.ndarray, str | None]:
    """(n,) bool: the rows of ``corpus`` the sidebar's "Show only" keeps (all when it is off), and a line
    saying so."""
    everything = np.ones(len(corpus), dtype=bool)
    cols = Columns.of(corpus)
    options = columns(cols)
    column = st.session_state.get(S.FILTER_COLUMN)
    picked = st.session_state.get(f"{S.FILTER_VALUES}:{column}") or []
    if column not in options or not picked:
        return everything, None
    picked = cols.present(options[column], picked)
    if not picked:
        return everything, None
    mask = cols.rows_with(options[column], picked)
    names = label_names(corpus) if options[column] == Columns.LABEL else {}
    listed = ", ".join(names.get(p, p) for p in picked[:5]) + (" ..." if len(picked) > 5 else "")
    return mask, f"Showing only {column}: {listed} ({int(mask.sum()):,} of {len(mask):,} texts)."


def column_controls(source, cfg) -> None:
    """The sidebar's "Columns" expander: "Show only" values of a column, and the label's display names.
    Nothing when the data has no label and no other column; its widgets only while it is open."""
    if source is None:
        return
    try:
        _, corpus = cached.bench().corpus(source, cfg)
    except Exception:  # the page says what is wrong
        return
    cols = Columns.of(corpus)
    options = columns(cols)
    if not options:
        return
    # drawn only while open (like "Encoder and seed", pages/_sidebar.py); the widgets keep their values
    # while not drawn (persist_state)
    columns_box = st.expander("Columns: show only, label names", icon=":material/filter_alt:", key=S.COLUMNS_OPEN,
                              on_change="rerun")
    if not columns_box.open:
        return
    with columns_box:
        if st.session_state.get(S.FILTER_COLUMN) not in (None, ALL, *options):
            del st.session_state[S.FILTER_COLUMN]  # another file's column
        column = st.selectbox("Show only", [ALL, *options], key=S.FILTER_COLUMN, persist_state="session",
                              help="Keep only the texts with some values of a column, on the map and in the lists.")
        if column != ALL:
            key = f"{S.FILTER_VALUES}:{column}"
            if key in st.session_state:
                st.session_state[key] = cols.present(options[column], st.session_state[key])
            names = label_names(corpus) if options[column] == Columns.LABEL else {}
            st.multiselect(f"Values of {plain(column)}", list(cols.filter_groups(options[column]).order), key=key,
                           placeholder="(all)", persist_state="session",
                           format_func=lambda v: names.get(v, v))
        if corpus.label_col:
            _label_names_box(cols)


def _label_names_box(cols: Columns) -> None:
    values = cols.label_values()
    numbers = cols.numbered_labels()  # numbers (AG News' 1-4) say nothing: every value is listed to name
    example = "\n".join(f"{v}=" for v in values[: 30 if numbers else 4])
    hint = " The labels are numbers: give them names." if numbers else ""
    text = st.text_area("Label names", key=S.LABEL_NAMES, placeholder=example or "1=World", height=100,
                        persist_state="session",
                        max_chars=5_000, help="One 'value=name' per line, e.g. 1=World; the names replace the "
                                              f"values in the legend and the lists.{hint}")
    if text and text.strip():
        _, problems = cols.label_names(text)
        if problems:
            st.caption(plain("Not used: " + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "") + "."))
