"""Hierarchy: the clusters shown (after edits) joined into a tree of groups, named at every level, and
"Merge" of a group of clusters in one click (an edit, as on the Clusters page)."""
from __future__ import annotations

import streamlit as st

from core.errors import UserError, app_message
from core.plots import CHART_CONFIG
from pages import _cached as cached
from pages import _state as S
from pages._common import page_view
from pages._tree import level_name, merge_branch, tree_figure
from pages._safe import plain, plain_name
from pages._view import guarded

view = page_view()
st.title("Hierarchy")
done = st.session_state.pop(S.TREE_DONE, None)
if done:
    st.success(plain(done), icon=":material/check:")
if view.k < 2:
    st.info("One cluster: nothing to group. Raise k in the sidebar.")
    st.stop()
tree = guarded(lambda: cached.session().hierarchy(view))
levels = tree.levels()
st.caption(f"The {view.k} clusters joined into a tree: the two groups whose centres (the mean of their texts' "
           "sentence embeddings) are nearest join first (Ward linkage); each group is named by the words and "
           "word pairs typical of its texts taken together (class-based TF-IDF). Click a box to open it; the "
           "Map page's Level control colours the map by these groups.")
st.plotly_chart(tree_figure(tree, levels), width="stretch", config=CHART_CONFIG, key="tree_chart")

offered = levels[1:] or list(range(view.k - 1, 0, -1))  # 3 clusters: 2 groups or 1; 2 clusters: 1
if st.session_state.get(S.TREE_LEVEL) not in offered:
    st.session_state.pop(S.TREE_LEVEL, None)
m = int(st.selectbox("Groups at level", offered, key=S.TREE_LEVEL, format_func=lambda m: level_name(m, view.k),
                     help="The groups of this level, each with its clusters and a button that merges them."))
st.caption("Merging a group makes its clusters one cluster (the smallest id stays); it is saved as an edit of "
           "these settings, and the Clusters page can undo it.")
for g, node in enumerate(tree.cut(m)):
    text, button = st.columns([5, 1.2], vertical_alignment="center")
    members = ", ".join(plain_name(view.name(c)) for c in node.clusters[:8])
    more = f" and {len(node.clusters) - 8} more" if len(node.clusters) > 8 else ""
    text.markdown(f"**Group {g + 1}: {plain(node.name)}** · {node.size:,} texts · {len(node.clusters)} "
                  f"cluster{'s' if len(node.clusters) != 1 else ''}: {members}{more}")
    if 1 < len(node.clusters) < view.k and button.button(f"Merge these {len(node.clusters)}", key=f"merge_branch:{node.node}",
                                                icon=":material/call_merge:"):
        try:
            merge_branch(view, list(node.clusters))
        except UserError as exc:
            st.error(plain(app_message(exc)), icon=":material/error:")
