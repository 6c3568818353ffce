"""Editing the clusters on the Clusters page: split one (previewed as a sub-map and sub-lists), merge
several, rename one. The logic is ``core.edits``; this module lays out its widgets and keeps the edits
in the session, keyed by the clustering they edit (data, encoder settings, k).

:func:`with_edits` is how every page sees them: ``pages._view.current_view`` passes its view through
it, so the edited partition, its scores and the user's names reach the map, the cards, the Clusters
and Quality pages and the exports alike (``View.name``/``View.names``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from core.describe import ClusterSummary, Terms
from core.edits import Edits, accept_split, describe_parts, edited_stage, merge, split
from core.embed import embed_texts
from core.errors import UserError, app_message
from core.naming import PhraseEmbedder, phrases_stage
from core.plots import CHART_CONFIG, map_figure

from . import _cached as cached
from . import _state as S
from ._safe import plain


@dataclass(frozen=True)
class SplitPreview:
    """A split shown but not yet accepted: ``parts`` (m,) part ids of ``cluster``'s texts, in row order."""

    key: str
    cluster: int
    parts: np.ndarray
    summaries: list[ClusterSummary]  # per part; ``examples`` index the cluster's rows


def with_edits(view):
    """``view`` with this session's edits of its clustering; edits of another clustering are dropped
    (the data, the encoder settings or k changed) with a notice, shown once."""
    key = view.keys["cluster"]
    edits: Edits | None = st.session_state.get(S.EDITS)
    if edits is not None and edits.key != key:
        st.session_state.pop(S.EDITS, None)
        st.session_state.pop(S.SPLIT_PREVIEW, None)
        st.session_state[S.EDITS_RESET] = not edits.empty
        edits = None
    if st.session_state.pop(S.EDITS_RESET, False):
        st.info("Your cluster edits (splits, merges and names) were reset: the data, the encoder settings or k "
                "changed.", icon=":material/restart_alt:")
    if edits is None or edits.empty:
        return view
    if edits.stage is None:
        return replace(view, user_names=dict(edits.names))
    stage = edits.stage
    return replace(view, result=replace(view.result, clusters=stage), labels=stage.clustering.labels,
                   summaries=stage.summaries, user_names=dict(edits.names))


def _edits(view) -> Edits:
    edits = st.session_state.get(S.EDITS)
    return edits if edits is not None and edits.key == view.keys["cluster"] else Edits(view.keys["cluster"])


def _embed(view) -> PhraseEmbedder:
    """The corpus's own sentence model (the shared one) embeds candidate phrases, through the store."""
    model = cached.embedder(view.cfg.embed.model, view.cfg.embed.backend)
    store = cached.store()
    return lambda phrases: embed_texts(phrases, model, store=store, batch_size=view.cfg.embed.batch_size).vectors


def _phrases(view):
    return phrases_stage(view.keys["sample"], view.corpus.texts, cached.CACHE)


def _save(edits: Edits, done: str) -> None:
    st.session_state[S.EDITS] = edits
    st.session_state[S.EDIT_DONE] = done
    st.rerun()


def _restage(view, labels: np.ndarray):
    return edited_stage(view.latent, view.embedded.vectors, labels, view.corpus.labels, _phrases(view), _embed(view),
                        view.cfg.cluster, view.cfg.seed)


def edit_panel(view) -> bool:
    """The edit controls. Returns True while a split is previewed (the page then shows only that)."""
    edits = _edits(view)
    preview = st.session_state.get(S.SPLIT_PREVIEW)
    if isinstance(preview, SplitPreview) and preview.key == edits.key:
        _show_split(view, edits, preview)
        return True
    done = st.session_state.pop(S.EDIT_DONE, None)
    if done:
        st.success(plain(done), icon=":material/check:")
    ids = list(range(view.k))
    with st.container(border=True):
        st.markdown(":material/edit: **Edit the clusters:** split one, merge several, or give one a name.")
        split_col, merge_col, rename_col = st.columns(3)
        with split_col:
            c = st.selectbox("Cluster to split", ids, format_func=view.name, key=S.SPLIT_CLUSTER)
            parts = st.number_input("Parts", 2, 20, 2, key=S.SPLIT_PARTS, help="How many parts to split it into.")
            if st.button("Split this cluster", icon=":material/call_split:"):
                _try(lambda: _start_split(view, edits, int(c), int(parts)))
        with merge_col:
            chosen = st.multiselect("Clusters to merge", ids, format_func=view.name, key=S.MERGE)
            if st.button("Merge clusters", icon=":material/call_merge:"):
                _try(lambda: _merge(view, edits, chosen))
        with rename_col:
            c = st.selectbox("Cluster to rename", ids, format_func=view.name, key=S.RENAME_CLUSTER)
            name = st.text_input("New name", key=S.RENAME_TO, placeholder="plain text, up to 60 characters")
            if st.button("Rename", icon=":material/label:"):
                _try(lambda: _rename(edits, int(c), name, view.k))
        if not edits.empty:
            st.caption("Edits so far: " + plain("; ".join(edits.history)) + ". The cards, the map, the Quality page "
                       "and the exports use the edited clusters.")
            if st.button("Undo all edits", icon=":material/undo:"):
                st.session_state.pop(S.EDITS, None)
                st.rerun()
    return False


def _try(action) -> None:
    """Run an edit; bad input is one message under the controls and changes nothing."""
    try:
        action()
    except UserError as exc:
        st.error(plain(app_message(exc)), icon=":material/error:")


def _rename(edits: Edits, cluster: int, name: str, k: int) -> None:
    renamed = edits.renamed(cluster, name, k)
    _save(renamed, f"Cluster {cluster} is now named '{renamed.names[cluster]}'.")


def _start_split(view, edits: Edits, cluster: int, parts: int) -> None:
    sub = split(view.embedded.vectors, view.labels, view.corpus.texts, cluster, parts, seed=view.cfg.seed)
    rows = np.flatnonzero(view.labels == cluster)
    phrases = _phrases(view)
    within = Terms(phrases.counts[rows], phrases.words)
    summaries = describe_parts(view.latent[rows], view.embedded.vectors[rows], sub, within, _embed(view), parts)
    st.session_state[S.SPLIT_PREVIEW] = SplitPreview(edits.key, cluster, sub, summaries)
    st.rerun()


def _merge(view, edits: Edits, chosen: list[int]) -> None:
    labels, mapping = merge(view.labels, chosen)
    target = min(int(c) for c in chosen)
    names = {mapping[c]: n for c, n in edits.names.items() if c not in chosen or c == target}
    what = "merged clusters " + ", ".join(map(str, sorted(chosen)))
    _save(edits.with_stage(_restage(view, labels), names, what), what[0].upper() + what[1:] + ".")


def _show_split(view, edits: Edits, preview: SplitPreview) -> None:
    """The split as a sub-map and one list per part, with Accept and Back."""
    c, parts = preview.cluster, preview.parts
    rows = np.flatnonzero(view.labels == c)
    titles = view.corpus.frame["title"].to_numpy()
    st.subheader(f"Split of cluster {plain(view.name(c))} into {len(preview.summaries)} parts (not applied yet)")
    accept, back = st.columns(2)
    if accept.button("Accept the split", type="primary", icon=":material/check:"):
        labels = accept_split(view.labels, c, parts)
        names = {i: n for i, n in edits.names.items() if i != c}
        what = f"split cluster {c} into {len(preview.summaries)} parts"
        st.session_state.pop(S.SPLIT_PREVIEW, None)
        _save(edits.with_stage(_restage(view, labels), names, what), what[0].upper() + what[1:] + ".")
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
