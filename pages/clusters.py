"""Clusters: one section per cluster with its keywords, representative headlines and all its articles."""
from __future__ import annotations

import streamlit as st

from core.plots import colour
from pages import _search
from pages import _state as S
from pages._colour import show_only
from pages._common import page_view
from pages._edits import edit_panel, note_box
from pages._safe import plain
from pages._selection import selection_section

PAGE_SIZE = 25

view = page_view()
frame = view.corpus.frame
st.title("Clusters")
st.caption(f"{view.k} clusters of {len(frame):,} texts. Keywords are words and word pairs typical of a cluster "
           "(class-based TF-IDF), ranked by closeness in meaning to it and kept diverse; the texts shown are the "
           "nearest to each cluster's centre in the latent space.")

conf = _search.confidence(view)
keep = _search.visible(conf)  # "Hide texts below confidence", shared with the Map page
selection_section(view)  # the map's selection, when there is one
kept, only = show_only(view.corpus)  # the sidebar's "Show only"
if only:
    st.caption(plain(only))
if edit_panel(view):  # a split is previewed: only it is shown
    st.stop()
focus = st.session_state.get(S.FOCUS_CLUSTER)
focus = focus if isinstance(focus, int) and focus in view.ids else None

for summary in view.summaries:
    c = summary.cluster
    header = f"Cluster {plain(view.name(c, 5))} · {summary.size:,} articles"  # a user's name is text, not Markdown
    with st.expander(header, expanded=(c == focus)):
        st.markdown(f"<span style='color:{colour(c)}'>■</span> **Keywords:**", unsafe_allow_html=True)
        st.text(", ".join(summary.keywords) or "(none)")
        note_box(view, c)
        st.markdown("**The 3 texts nearest the centre**")
        for row in summary.examples[:3]:
            st.text("• " + frame["title"].iat[row])  # article text is shown as text, never as Markdown/HTML
        _search.least_typical(view, conf, keep, c)

        members = frame[(view.labels == c) & keep & kept]
        query = st.text_input("Search this cluster's articles", key=f"{S.SEARCH}:{c}", placeholder="word or phrase")
        if query:
            hit = members["text"].str.contains(query, case=False, regex=False)
            members = members[hit]
        pages = max(1, -(-len(members) // PAGE_SIZE))
        page = st.number_input(f"Page (of {pages})", 1, pages, 1, key=f"page:{c}") if pages > 1 else 1
        shown = members.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        st.caption(f"{len(members):,} articles" + (f" match '{plain(query)}'" if query else "") +
                   f"; showing {len(shown)} on page {page} of {pages}.")
        columns = ["title", "text"] + (["label"] if view.corpus.label_col else [])
        st.dataframe(shown[columns], hide_index=True, width="stretch",
                     column_config={"text": st.column_config.TextColumn(width="large")})
