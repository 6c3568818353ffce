"""Small helpers shared by the pages: the current view, and formatting numbers with their meaning."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.export import assignments_table, confidence

from . import _state as S
from ._view import View, current_view


def page_view() -> View:
    """The current run for this page (the sidebar has already resolved the settings)."""
    source, cfg = st.session_state[S.CURRENT]
    return current_view(source, cfg)


def fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def delta(x: float | None, base: float | None) -> str | None:
    return None if x is None or base is None else f"{x - base:+.3f}"


def assignments(view: View) -> pd.DataFrame:
    """The view's assignments table (as the CLI writes it), with the map's aligned cluster ids and names."""
    conf = confidence(view.latent, view.clusters.clustering.centers)
    return assignments_table(view.corpus, view.labels, view.names(), conf, view.xy)
