"""Small helpers shared by the pages: the current view, and formatting numbers with their meaning."""
from __future__ import annotations

import threading

import streamlit as st

from core.session.session import Turn, holding

from . import _cached as cached
from . import _full_model as full_model
from . import _state as S
from ._progress import WaitingNote, begin, stop_if_cancelled, work_key
from ._refine import cancelled_notice, panel, settle
from ._view import View, after_view, ask_for_data, guard, panels


def page_view(provisional: bool = False) -> View:
    """The current run for this page (the sidebar has already resolved the settings), from the session.

    One heavy job per session: Streamlit starts a new script run at once when a widget changes,
    while the previous run keeps computing until its next Streamlit call (an embedding batch, a
    t-SNE). The new run waits here for the session's turn (``core.session.session_turn``), with a Cancel
    button, so repeated clicks never stack up work; settings the user cancelled wait for nothing.
    ``provisional``: a provisional map while the encoder trains (the map page)."""
    source, wanted = st.session_state[S.CURRENT]
    if source is None:
        ask_for_data()
    full = settle(source, wanted)  # without Refine until its job is done
    work = work_key(source.run_key, full)
    begin(work)  # what Cancel stops; settings the user cancelled stop here, waiting for nothing
    waiting = WaitingNote(work)
    with holding(_turn(), waiting):
        waiting.clear()  # a Streamlit call: a run Streamlit asked to stop while it waited stops here, turn released
        stop_if_cancelled(work)  # cancelled while it waited
        progress, look = panels(work, provisional)
        with guard():
            cfg = full_model.settle(source, full)  # a big corpus: the static first look until the full model is done
            view = cached.session().view(source, cfg, progress=progress, on_embedded=look, requested=full)
        progress.clear()
        if look:
            look.clear()
        after_view(view)
    if cfg is not full:
        full_model.panel(source, full, view)
    else:
        full_model.done_notice(source, full)
        if cfg is not wanted:
            panel(source, wanted)
    cancelled_notice()
    return view


_new_turn = threading.Lock()


def _turn() -> Turn:
    """This session's turn (made once: two runs of a new session may ask at the same time)."""
    with _new_turn:
        turn = st.session_state.get(S.HEAVY_JOB)
        if not isinstance(turn, Turn):
            turn = st.session_state[S.HEAVY_JOB] = Turn()
        return turn


def fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def delta(x: float | None, base: float | None) -> str | None:
    return None if x is None or base is None else f"{x - base:+.3f}"
