"""Clusters: one section per cluster with its keywords, representative texts and all its texts; many
clusters (k = 77, 150) are searchable and paged, 20 sections a page."""
from __future__ import annotations

import streamlit as st

from core.plots import colour
from pages import _search
from pages import _state as S
from pages._colour import show_only
from pages._common import page_view
from pages._edits import edit_panel, note_box
from pages._safe import plain, plain_name
from pages._selection import selection_section

PAGE_SIZE = 25
CLUSTERS_PER_PAGE = 20

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


def shown_summaries() -> list:
    """The clusters to draw: those matching "Find clusters", a page of them when there are many (the
    focused cluster's page first)."""
    summaries = view.summaries
    if len(summaries) <= CLUSTERS_PER_PAGE:
        return summaries
    find, paging = st.columns([3, 1], vertical_alignment="bottom")
    query = find.text_input("Find clusters", key=S.CLUSTERS_FIND, placeholder="a word of a name, a keyword or a note",
                            help="Lists the clusters whose name, keywords or note contain these words.")
    words = query.lower().split()
    if words:
        def text(s) -> str:
            return " ".join([view.name(s.cluster, 8), *s.keywords, view.notes.get(s.cluster, "")]).lower()
        summaries = [s for s in summaries if all(w in text(s) for w in words)]
    pages = max(1, -(-len(summaries) // CLUSTERS_PER_PAGE))
    where = [i for i, s in enumerate(summaries) if s.cluster == focus]
    if where and st.session_state.get(S.CLUSTERS_FOCUS_SEEN) != focus:  # a new focus: open its page
        st.session_state[S.CLUSTERS_FOCUS_SEEN] = focus
        st.session_state[S.CLUSTERS_PAGE] = where[0] // CLUSTERS_PER_PAGE + 1
    if st.session_state.get(S.CLUSTERS_PAGE, 1) > pages:
        st.session_state[S.CLUSTERS_PAGE] = pages
    page = int(paging.number_input("Page of clusters", 1, pages, key=S.CLUSTERS_PAGE)) if pages > 1 else 1
    part = summaries[(page - 1) * CLUSTERS_PER_PAGE: page * CLUSTERS_PER_PAGE]
    st.caption(f"{len(summaries):,} of {view.k} clusters" + (f" match '{plain(query)}'" if words else "")
               + (f"; clusters {(page - 1) * CLUSTERS_PER_PAGE + 1}-{(page - 1) * CLUSTERS_PER_PAGE + len(part)} "
                  f"on page {page} of {pages}." if pages > 1 else "."))
    return part


for summary in shown_summaries():
    c = summary.cluster
    header = f"Cluster {plain_name(view.name(c, 5))} · {summary.size:,} texts"  # a user's name is text, not Markdown
    with st.expander(header, expanded=(c == focus)):
        st.markdown(f"<span style='color:{colour(c)}'>■</span> **Keywords:**", unsafe_allow_html=True)
        st.text(", ".join(summary.keywords) or "(none)")
        note_box(view, c)
        st.markdown("**The 3 texts nearest the centre**")
        for row in summary.examples[:3]:
            st.text("• " + frame["title"].iat[row])  # article text is shown as text, never as Markdown/HTML
        _search.least_typical(view, conf, keep, c)

        members = frame[(view.labels == c) & keep & kept]
        query = st.text_input("Search this cluster's texts", key=f"{S.SEARCH}:{c}", placeholder="word or phrase")
        if query:
            hit = members["text"].str.contains(query, case=False, regex=False)
            members = members[hit]
        pages = max(1, -(-len(members) // PAGE_SIZE))
        page = st.number_input(f"Page (of {pages})", 1, pages, 1, key=f"page:{c}") if pages > 1 else 1
        shown = members.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        st.caption(f"{len(members):,} texts" + (f" match '{plain(query)}'" if query else "") +
                   f"; showing {len(shown)} on page {page} of {pages}.")
        columns = ["title", "text"] + (["label"] if view.corpus.label_col else [])
        st.dataframe(shown[columns], hide_index=True, width="stretch",
                     column_config={"text": st.column_config.TextColumn(width="large")})
