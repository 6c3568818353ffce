"""AppTest of a run that waits for the session's previous run (issue 28): the wait shows a Cancel
button, and Cancel frees the page at once, while the previous run still holds the session's turn."""
import threading

import streamlit as st

from apphelpers import map_charts
from pages import _state as S
from pages._progress import WaitingNote


def _hold(turn) -> tuple[threading.Thread, threading.Event]:
    """The session's previous run, still computing in its own thread: holds ``turn`` until released."""
    held, release = threading.Event(), threading.Event()

    def previous_run():
        turn.take(30)
        held.set()
        release.wait(120)
        turn.release()

    thread = threading.Thread(target=previous_run, daemon=True)
    thread.start()
    assert held.wait(30)
    return thread, release


def _page_seen_while_waiting(monkeypatch) -> list[float]:
    """The waiting note's updates; after the second the script stops, as a user's click would, so the
    page is seen as it is while the run waits. Returns the waits seen."""
    seen = []
    draw = WaitingNote.__call__

    def seen_then_stopped(self, seconds):
        draw(self, seconds)
        seen.append(seconds)
        if len(seen) == 2:
            st.stop()

    monkeypatch.setattr(WaitingNote, "__call__", seen_then_stopped)
    return seen


def test_cancel_while_waiting_for_the_previous_run_frees_the_page_at_once(fake_app, monkeypatch):
    at = fake_app()
    at.run()
    assert not at.exception and len(map_charts(at)) == 1
    previous, release = _hold(at.session_state[S.HEAVY_JOB])
    seen = _page_seen_while_waiting(monkeypatch)

    at.sidebar.slider(key="k").set_value(5).run()
    assert len(seen) == 2 and not at.exception
    assert any("Waiting for this session's previous computation to stop" in c.value for c in at.caption)
    assert at.button(key=S.CANCEL_WAIT).label == "Cancel"

    at.button(key=S.CANCEL_WAIT).click().run()  # the previous run still holds the turn
    assert not at.exception and len(seen) == 2  # stopped without waiting
    assert at.warning and "Stopped" in at.warning[0].value
    assert previous.is_alive()

    release.set()
    previous.join(30)
    at.button(key=S.RESUME).click().run()
    assert not at.exception and not at.warning
    assert len(map_charts(at)) == 1 and "k = 5" in at.caption[0].value


def test_a_run_waits_for_the_previous_one_then_draws_its_own_view(fake_app, monkeypatch):
    at = fake_app()
    at.run()
    previous, release = _hold(at.session_state[S.HEAVY_JOB])
    waits = []
    draw = WaitingNote.__call__

    def note_then_let_go(self, seconds):  # the previous run stops while this one waits
        draw(self, seconds)
        waits.append(seconds)
        release.set()

    monkeypatch.setattr(WaitingNote, "__call__", note_then_let_go)
    at.sidebar.slider(key="k").set_value(6).run()
    assert waits and not at.exception
    assert not [c for c in at.caption if "Waiting for this session" in c.value]  # the note is gone
    assert not [b for b in at.button if b.key == S.CANCEL_WAIT]
    assert len(map_charts(at)) == 1 and "k = 6" in at.caption[0].value
    previous.join(30)
