"""Editing the clusters on the Clusters page: split one (previewed as a sub-map and sub-lists), merge
several, rename one, keep a note on one. The logic and the saving are the session's
(``core.session.session``): each edit is written to the project's version of these settings at once, so it
survives a change of k (which shows another version) and the end of the session.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.errors import UserError, app_message
from core.plots.plots import CHART_CONFIG, map_figure
from core.session.session import SplitPreview

from . import _cached as cached
from . import _state as S
from ._safe import plain, plain_name


def _done(message: str) -> None:
    st.session_state[S.EDIT_DONE] = message
    st.rerun()


def edit_panel(view) -> bool:
    """The edit controls. Returns True while a split is previewed (the page then shows only that)."""
    preview = st.session_state.get(S.SPLIT_PREVIEW)
    if isinstance(preview, SplitPreview) and view.version is not None and preview.version == view.version.id \
            and preview.cluster in view.ids:
        _show_split(view, preview)
        return True
    done = st.session_state.pop(S.EDIT_DONE, None)
    if done:
        st.success(plain(done), icon=":material/check:")
    ids = view.ids
    with st.container(border=True):
        st.markdown(":material/edit: **Edit the clusters:** split one, merge several, or give one a name. "
                    "Edits are saved with the project at once, for these settings.")
        split_col, merge_col, rename_col = st.columns(3)
        with split_col:
            c = st.selectbox("Cluster to split", ids, format_func=view.name, key=S.SPLIT_CLUSTER)
            parts = st.number_input("Parts", 2, 20, 2, key=S.SPLIT_PARTS, help="How many parts to split it into.")
            if st.button("Split this cluster", icon=":material/call_split:"):
                _try(lambda: _start_split(view, int(c), int(parts)))
        with merge_col:
            chosen = st.multiselect("Clusters to merge", ids, format_func=view.name, key=S.MERGE)
            if st.button("Merge clusters", icon=":material/call_merge:"):
                _try(lambda: _done(_sentence(cached.session().merge(view, chosen))))
        with rename_col:
            c = st.selectbox("Cluster to rename", ids, format_func=view.name, key=S.RENAME_CLUSTER)
            name = st.text_input("New name", key=S.RENAME_TO, placeholder="plain text, up to 60 characters")
            if st.button("Rename", icon=":material/label:"):
                _try(lambda: _done(f"Cluster {int(c)} is now named '{cached.session().rename(view, int(c), name)}'."))
        if view.history:
            st.caption("Edits so far: " + plain("; ".join(view.history)) + ". The cards, the map, the Quality page "
                       "and the exports use the edited clusters.")
            if st.button("Undo all edits", icon=":material/undo:"):
                _try(lambda: (cached.session().undo_edits(view), st.rerun()))
    return False


def note_box(view, cluster: int) -> None:
    """A cluster's free-text note, saved with the project when it changes."""
    key = f"{S.NOTE}:{view.version.id if view.version else ''}:{cluster}"
    current = view.notes.get(cluster, "")

    def save() -> None:
        try:
            cached.session().note(view, cluster, st.session_state.get(key, ""))
        except UserError as exc:
            st.session_state[f"{key}:error"] = app_message(exc)

    st.text_area("Note", current, key=key, on_change=save, height=68, placeholder="Your notes on this cluster",
                 help="Kept with the project, on this cluster (it follows the cluster through other edits).")
    problem = st.session_state.pop(f"{key}:error", None)
    if problem:
        st.error(plain(problem), icon=":material/error:")


def _sentence(what: str) -> str:
    return what[0].upper() + what[1:] + "."


def _try(action) -> None:
    """Run an edit; bad input is one message under the controls and changes nothing."""
    try:
        action()
    except UserError as exc:
        st.error(plain(app_message(exc)), icon=":material/error:")


def _start_split(view, cluster: int, parts: int) -> None:
    st.session_state[S.SPLIT_PREVIEW] = cached.session().split_preview(view, cluster, parts)
    st.rerun()


def _show_split(view, preview: SplitPreview) -> None:
    """The split as a sub-map and one list per part, with Accept and Back."""
    c, parts = preview.cluster, preview.parts
    rows = np.flatnonzero(view.labels == c)
    titles = view.corpus.frame["title"].to_numpy()
    st.subheader(f"Split of cluster {plain_name(view.name(c))} into {len(preview.summaries)} parts (not applied yet)")
    accept, back = st.columns(2)
    if accept.button("Accept the split", type="primary", icon=":material/check:"):
        st.session_state.pop(S.SPLIT_PREVIEW, None)
        _try(lambda: _done(_sentence(cached.session().accept_split(view, preview))))
    if back.button("Back to all clusters", icon=":material/arrow_back:"):
        st.session_state.pop(S.SPLIT_PREVIEW, None)
        st.rerun()
    names = {p: f"part {p + 1}: " + (", ".join(s.keywords[:3]) or "(no keywords)") for p, s in enumerate(preview.summaries)}
    if view.xy is not None:
        st.plotly_chart(map_figure(view.xy[rows], parts, names, titles[rows].tolist(), rows,
                                   title=f"Cluster {c}'s texts on the map, coloured by part"), width="stretch",
                        config=CHART_CONFIG)
    for p, summary in enumerate(preview.summaries):
        st.markdown(f"**Part {p + 1}** · {summary.size:,} texts")
        st.text(names[p])
        for i in summary.examples[:3]:
            st.text("• " + titles[rows[i]])
        members = view.corpus.frame.iloc[rows[parts == p]]
        st.dataframe(members[["title", "text"]], hide_index=True, width="stretch", height=200)
