"""Small helpers shared by the pages: the current view, and formatting numbers with their meaning."""
from __future__ import annotations

import streamlit as st

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
