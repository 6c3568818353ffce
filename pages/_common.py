"""Small helpers shared by the pages: the current view, and formatting numbers with their meaning."""
from __future__ import annotations

import threading
from typing import Callable

import pandas as pd
import streamlit as st

from core.export import assignments_table, confidence

from . import _state as S
from ._refine import panel, settle
from ._view import View, current_view


def page_view(provisional: bool = False) -> View:
    """The current run for this page (the sidebar has already resolved the settings).

    One heavy job per session: Streamlit starts a new script run at once when a widget changes,
    while the previous run keeps computing until its next Streamlit call (an embedding batch, a
    t-SNE). The new run waits here until the previous one has stopped, so repeated clicks never
    stack up work. ``provisional``: a provisional map while the encoder trains (the map page)."""
    source, wanted = st.session_state[S.CURRENT]
    cfg = settle(source, wanted) if source is not None else wanted  # without Refine until its job is done
    lock = st.session_state.setdefault(S.HEAVY_JOB, threading.Lock())
    note = st.empty()
    acquire_patiently(lock, lambda: note.caption("Waiting for this session's previous computation to stop ..."))
    note.empty()
    try:
        view = current_view(source, cfg, provisional)
    finally:
        lock.release()
    if cfg is not wanted:
        panel(source, wanted)
    return view


def acquire_patiently(lock: threading.Lock, waiting: Callable[[], None], poll: float = 0.25) -> None:
    """Acquire ``lock``, calling ``waiting()`` each ``poll`` seconds meanwhile (a Streamlit call there
    lets this run itself be stopped while it waits)."""
    while not lock.acquire(timeout=poll):
        waiting()


def fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def delta(x: float | None, base: float | None) -> str | None:
    return None if x is None or base is None else f"{x - base:+.3f}"


def assignments(view: View) -> pd.DataFrame:
    """The view's assignments table (as the CLI writes it), with the map's aligned cluster ids and names."""
    conf = confidence(view.latent, view.clusters.clustering.centers)
    return assignments_table(view.corpus, view.labels, view.names(), conf, view.xy)
