"""One heavy job per session (issue 17, item 6; issue 28, the frozen session): a session's runs take
turns, and no way out of a run, nor a run's thread ending, can keep the turn from the next one."""
import threading

import pytest

from core.session.session_turn import Turn, holding


class Stop(Exception):
    """Stands for Streamlit's StopException, raised at a script's next Streamlit call."""


def _in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_second_run_waits_for_the_first_then_computes():
    turn, order, waited_twice = Turn(), [], threading.Event()
    first_holds, first_may_stop = threading.Event(), threading.Event()
    waits = []

    def first():
        with holding(turn, lambda s: None, poll=0.02):
            first_holds.set()
            first_may_stop.wait(30)
            order.append("first stops")

    def waiting(seconds):
        waits.append(seconds)
        if len(waits) >= 2:
            waited_twice.set()

    def second():
        with holding(turn, waiting, poll=0.02):
            order.append("second computes")

    a = _in_thread(first)
    assert first_holds.wait(30)
    b = _in_thread(second)
    assert waited_twice.wait(30)  # waiting, with a visible note each poll, not computing alongside
    assert order == []
    first_may_stop.set()
    a.join(30), b.join(30)
    assert order == ["first stops", "second computes"]
    assert waits == sorted(waits)  # the note says how long so far
    assert turn.holder is None


def test_a_run_stopped_right_after_it_took_the_turn_gives_it_back():
    """The freeze of issue 28: Streamlit stopped a waiting run at its first call after taking the turn
    (the note's clearing), before any release was armed; every later run then waited for ever."""
    turn = Turn()

    def stopped_run():
        with holding(turn, lambda s: None):
            raise Stop()  # the first Streamlit call in the hold

    with pytest.raises(Stop):
        stopped_run()
    assert turn.holder is None
    with holding(turn, lambda s: pytest.fail("nothing holds the turn: no wait")):
        pass


def test_a_run_stopped_while_it_waits_never_takes_nor_releases_anothers_turn():
    turn, holds, done = Turn(), threading.Event(), threading.Event()

    def holder():
        with holding(turn, lambda s: None):
            holds.set()
            done.wait(30)

    a = _in_thread(holder)
    assert holds.wait(30)

    def stop(seconds):
        raise Stop()

    with pytest.raises(Stop):
        with holding(turn, stop, poll=0.01):
            pytest.fail("computed without the turn")
    assert turn.holder is a  # its release did not free the holder's turn
    done.set()
    a.join(30)
    assert turn.holder is None


def test_a_turn_kept_by_a_thread_that_ended_is_taken_over():
    """A holder whose thread is gone (a script thread ends when its run stops) cannot keep the turn,
    whatever path it left by."""
    turn = Turn()
    gone = _in_thread(lambda: turn.take(1))  # takes it and ends without releasing
    gone.join(30)
    assert turn.holder is gone and not gone.is_alive()
    waited = []
    with holding(turn, waited.append, poll=0.01):
        assert turn.holder is threading.current_thread()
    assert waited == []  # taken at once, not after a wait


def test_a_thread_never_waits_for_itself():
    """Streamlit runs an ``st.rerun`` in the same thread: a run there never waits for its predecessor."""
    turn = Turn()
    assert turn.take(0)
    with holding(turn, lambda s: pytest.fail("waited for itself")):
        pass
    assert turn.holder is None


def test_rapid_reruns_always_end_with_the_last_run_computed():
    """Streamlit's fast reruns, in plain threads: each change starts a run in a new thread and asks the
    previous one to stop at its next call. Whatever the interleaving, the last run gets the turn."""
    turn, computed = Turn(), []
    runs: list[tuple[threading.Thread, threading.Event]] = []

    def script(stop: threading.Event, n: int):
        def call(*_):  # a Streamlit call: raises once the run was asked to stop
            if stop.is_set():
                raise Stop()
        try:
            with holding(turn, call, poll=0.001):
                call()
                for _ in range(3):  # a few stages, each ending in a progress report
                    stop.wait(0.002)
                    call()
                computed.append(n)
        except Stop:
            pass

    for n in range(200):
        if runs:
            runs[-1][1].set()  # fast reruns: the previous run is asked to stop ...
        stop = threading.Event()
        thread = threading.Thread(target=script, args=(stop, n), daemon=True)
        runs.append((thread, stop))
        thread.start()  # ... and the new one starts at once
    for thread, _ in runs:
        thread.join(30)
        assert not thread.is_alive(), "a run never got the session's turn"
    assert computed and computed[-1] == 199
    assert turn.holder is None
