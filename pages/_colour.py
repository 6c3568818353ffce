"""Any column of the file on the map: "Colour by" it, "Show only" some of its values, and display
names for the label column. The grouping itself is ``core.tables.column_groups``; these are the widgets."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.tables.column_groups import (EXTRA, MISSING, OTHER, Groups, colour_groups, date_text, date_ticks, extra_columns,
                                filter_groups, integer_labels, natural_key, parse_label_names, present, shown)
from core.tables.data import Corpus
from core.plots.plots import colour, label_colours, map_figure, numeric_map_figure

from . import _cached as cached
from . import _state as S
from ._safe import plain

CLUSTER, LABEL, CONFIDENCE = "Cluster", "True label", "Confidence"
ALL = "(all texts)"
GREY = "#BAB0AC"


def columns(corpus: Corpus) -> dict[str, str]:
    """The columns one can colour or filter by: {option shown: column of ``corpus.frame``}."""
    out = {LABEL: "label"} if corpus.label_col else {}
    for name in extra_columns(corpus.frame):
        out[name if name not in (CLUSTER, LABEL, CONFIDENCE, ALL) else f"{name} (column)"] = EXTRA + name
    return out


def label_names(corpus: Corpus) -> dict[str, str]:
    """{label value: display name} from the sidebar's "Label names" box (empty when none are given)."""
    text = st.session_state.get(S.LABEL_NAMES) or ""
    if not corpus.label_col or not text.strip():
        return {}
    values = set(corpus.frame["label"].dropna().astype(str))
    return parse_label_names(text, values)[0]


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
            if self.time:  # days since 1970: the colour bar and hovers read as dates
                return numeric_map_figure(xy, self.values[rows], self.column, hover, rows, title=title,
                                          ticks=date_ticks(self.values[rows]), value_text=date_text(self.values[rows]))
            return numeric_map_figure(xy, self.values[rows], self.column, hover, rows, title=title)
        return map_figure(xy, self.groups[rows], self.names, hover, rows, title=title, colours=self.colours,
                          highlight=highlight, values=confidence if self.by_confidence else None)


def _categories(groups: Groups, names: dict[str, str] | None = None) -> Colouring:
    names = names or {}
    palette = iter(range(10_000))
    colours = {g: GREY if g in (MISSING, OTHER) else colour(next(palette)) for g in groups.order}
    return Colouring(groups.labels, {g: names.get(g, g) for g in groups.order}, colours)


def colour_by(view, container) -> Colouring:
    """The "Colour by" radio (in ``container``): the clusters, the label, or any other column of the file.
    A choice the data does not have (from a link, or another file's column) falls back to the clusters."""
    corpus = view.corpus
    options = columns(corpus)
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
    frame = corpus.frame
    if options[choice] == "label":
        groups = frame["label"].fillna(MISSING).astype(str).to_numpy()
        # a label takes the colour of the cluster it mostly falls in: toggling compares by eye
        return Colouring(groups, {g: label_names(corpus).get(g, g) for g in sorted(set(groups), key=natural_key)},
                         label_colours(groups, view.labels))
    groups = colour_groups(frame[options[choice]])
    if groups.kind in ("numeric", "time"):
        return Colouring(None, {}, values=groups.values, column=choice, time=groups.kind == "time")
    return _categories(groups)


def show_only(corpus: Corpus) -> tuple[np.ndarray, str | None]:
    """(n,) bool: the rows the sidebar's "Show only" keeps (all when it is off), and a line saying so."""
    everything = np.ones(len(corpus), dtype=bool)
    options = columns(corpus)
    column = st.session_state.get(S.FILTER_COLUMN)
    picked = st.session_state.get(f"{S.FILTER_VALUES}:{column}") or []
    if column not in options or not picked:
        return everything, None
    groups = filter_groups(corpus.frame[options[column]])
    picked = present(groups, picked)
    if not picked:
        return everything, None
    mask = shown(groups, picked)
    names = label_names(corpus) if options[column] == "label" else {}
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
    options = columns(corpus)
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
            groups = filter_groups(corpus.frame[options[column]])
            key = f"{S.FILTER_VALUES}:{column}"
            if key in st.session_state:
                st.session_state[key] = present(groups, st.session_state[key])
            names = label_names(corpus) if options[column] == "label" else {}
            st.multiselect(f"Values of {plain(column)}", list(groups.order), key=key, placeholder="(all)",
                           persist_state="session",
                           format_func=lambda v: names.get(v, v))
        if corpus.label_col:
            _label_names_box(corpus)


def _label_names_box(corpus: Corpus) -> None:
    values = sorted(set(corpus.frame["label"].dropna().astype(str)))
    numbers = integer_labels(set(values))  # numbers (AG News' 1-4) say nothing: every value is listed to name
    example = "\n".join(f"{v}=" for v in values[: 30 if numbers else 4])
    hint = " The labels are numbers: give them names." if numbers else ""
    text = st.text_area("Label names", key=S.LABEL_NAMES, placeholder=example or "1=World", height=100,
                        persist_state="session",
                        max_chars=5_000, help="One 'value=name' per line, e.g. 1=World; the names replace the "
                                              f"values in the legend and the lists.{hint}")
    if text and text.strip():
        _, problems = parse_label_names(text, set(values))
        if problems:
            st.caption(plain("Not used: " + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "") + "."))
