"""Progress of a computing run: one bar per stage with the time it has left, and a Cancel button.

Cancel marks the run's settings as stopped in the session: Streamlit then stops the running script
at its next call (the next progress report) and the page shows what was stopped, until the user
resumes or changes a setting. What finished stays cached: embedded texts are in the store. A run
that waits for the session's previous run (``pages/_common.py``) offers the same Cancel: the
cancelled settings are checked before waiting, so the page is free at once.
"""
from __future__ import annotations

import hashlib
import time

import streamlit as st

from core.config import RunConfig

from . import _state as S


def work_key(source_key: str, cfg: RunConfig) -> str:
    """Names one run (data and every setting): what Cancel stops."""
    return hashlib.sha256(f"{source_key}|{cfg!r}".encode()).hexdigest()[:20]


def _cancel(work: str) -> None:
    """Stop the session's latest run (``work`` is the run that drew the button: a greyed-out button of
    a run Streamlit already stopped also stops the one that came after it)."""
    st.session_state[S.CANCELLED] = st.session_state.get(S.WORK, work)


def begin(work: str) -> None:
    """Say this run is the session's latest: what a Cancel button stops. Stops the page at once when
    the user cancelled these settings (see :func:`stop_if_cancelled`)."""
    st.session_state[S.WORK] = work
    stop_if_cancelled(work)


class WaitingNote:
    """While a run waits for the session's previous one: a caption with the time waited so far and a
    Cancel button, drawn on the first call; each later call updates the caption (a Streamlit call,
    so a waiting run that Streamlit asked to stop stops there)."""

    TEXT = "Waiting for this session's previous computation to stop"

    def __init__(self, work: str) -> None:
        self.work = work
        self.slot = st.empty()
        self.line = None

    def __call__(self, seconds: float) -> None:
        if self.line is None:
            with self.slot.container():
                self.line = st.empty()
                st.button("Cancel", key=S.CANCEL_WAIT, on_click=_cancel, args=(self.work,), icon=":material/cancel:",
                          help="Stop waiting and stop this computation; change a setting or press Resume to "
                               "start again.")
        self.line.caption(f"{self.TEXT} ... ({seconds:.0f} s)")

    def clear(self) -> None:
        self.slot.empty()


def _resume() -> None:
    st.session_state.pop(S.CANCELLED, None)


def stop_if_cancelled(work: str) -> None:
    """When the user cancelled this run: say so, offer to resume, and stop the page."""
    if st.session_state.get(S.CANCELLED) != work:
        return
    st.warning("Stopped. What was finished is kept (the texts embedded so far stay in the store); "
               "**Resume** continues from there, and any change in the sidebar starts a new run.",
               icon=":material/stop_circle:")
    st.button("Resume", key=S.RESUME, on_click=_resume, icon=":material/play_arrow:")
    st.stop()


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class ProgressPanel:
    """Draws stage progress, with the time the stage has left, into one placeholder, and a Cancel
    button beside it; nothing at all while every stage comes from the cache."""

    def __init__(self, work: str) -> None:
        self.work = work
        self.slot = st.empty()
        self.bar = None
        self.stage = ""
        self.began = (0.0, 0)

    def __call__(self, stage: str, done: int, total: int, message: str) -> None:
        if self.bar is None:
            with self.slot.container():
                self.bar = st.empty()
                st.button("Cancel", key=S.CANCEL, on_click=_cancel, args=(self.work,), icon=":material/cancel:",
                          help="Stop this computation; what is finished is kept.")
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.began = stage, (now, done)
        (t0, d0), left = self.began, ""
        if done > d0 and now - t0 >= 1.0 and done < total:
            left = f" · about {_duration((now - t0) / (done - d0) * (total - done))} left"
        self.bar.progress(min(done / max(total, 1), 1.0), text=f"{stage}: {message}{left}")

    def clear(self) -> None:
        self.slot.empty()
