"""ClusterLens: explore a pile of short texts by meaning. Run with ``streamlit run app.py``.

This file only builds the navigation and the shared sidebar; the pages are in ``pages/``.
"""
import logging

import streamlit as st

from core.session.background import foreground
from core.session.heap import freeze_new_imports
from core.quiet import quiet_third_party
from pages._sidebar import sidebar

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
quiet_third_party()
# The tab's icon as an inline SVG (Material's "bubble_chart" drawn as circles), which Streamlit sends as a
# data: URL. A ":material/...:" page icon would make every browser fetch it from fonts.gstatic.com, and
# without a page icon here the frontend would use the current st.Page's ":material/...:" icon the same way.
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="#4C78A8"><circle cx="7.2" cy="14.4" r="3.2"/>'
        '<circle cx="14.8" cy="18" r="2"/><circle cx="15.2" cy="8.8" r="4.8"/></svg>')
st.set_page_config(page_title="ClusterLens", page_icon=ICON, layout="wide")

navigation = st.navigation([
    st.Page("pages/map.py", title="Map", icon=":material/scatter_plot:", default=True),
    st.Page("pages/clusters.py", title="Clusters", icon=":material/view_list:"),
    st.Page("pages/hierarchy.py", title="Hierarchy", icon=":material/account_tree:"),
    st.Page("pages/quality.py", title="Quality", icon=":material/insights:"),
    st.Page("pages/data.py", title="Data & export", icon=":material/table:"),
    st.Page("pages/add_texts.py", title="Add texts", icon=":material/playlist_add:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/projects.py", title="Projects", icon=":material/folder_open:"),
])
# before the page, not after it: a run that ends with st.stop() (the Map page without a selection) never
# reaches code after its page. What earlier runs imported stays, and later full collections skip it; this
# session's previous run has unwound by now, so its frames are not frozen with it.
freeze_new_imports()
with foreground():  # background passes wait until this page is computed and drawn
    sidebar()
    navigation.run()
