"""ClusterLens: explore a pile of short texts by meaning. Run with ``streamlit run app.py``.

This file only builds the navigation and the shared sidebar; the pages are in ``pages/``.
"""
import logging

import streamlit as st

from core.background import foreground
from core.heap import freeze_new_imports
from core.quiet import quiet_third_party
from pages._sidebar import sidebar

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
quiet_third_party()
st.set_page_config(page_title="ClusterLens", page_icon=":material/bubble_chart:", layout="wide")

navigation = st.navigation([
    st.Page("pages/map.py", title="Map", icon=":material/scatter_plot:", default=True),
    st.Page("pages/clusters.py", title="Clusters", icon=":material/view_list:"),
    st.Page("pages/quality.py", title="Quality", icon=":material/insights:"),
    st.Page("pages/data.py", title="Data & export", icon=":material/table:"),
])
with foreground():  # background passes wait until this page is computed and drawn
    sidebar()
    navigation.run()
    # after a whole run (not while a stop or rerun unwinds, holding the run's frames): what the runs
    # imported stays, and later full collections skip it
    freeze_new_imports()
