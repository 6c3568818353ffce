"""The app's background pass runs on one OpenMP thread (its K-Means takes one core beside a user's
work), while the thread that started it keeps its own setting."""
from __future__ import annotations

import threading
from typing import Callable

import sklearn.cluster  # noqa: F401  (loads scikit-learn's OpenMP runtime)
from threadpoolctl import threadpool_info, threadpool_limits

from core.session import background
from core import threads


def openmp_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"}


def watch_the_gate(monkeypatch) -> Callable[[int], bool]:
    """Count the passes' looks at the foreground gate that found it shut; the function returned waits
    until ``n`` such looks were made (True), or 30 s passed (False). A pass that looked twice and found
    the gate shut is waiting at it, not running its step."""
    looked = threading.Condition()
    shut_looks = 0
    real = background.foreground_busy

    def busy() -> bool:
        nonlocal shut_looks
        shut = real()
        if shut:
            with looked:
                shut_looks += 1
                looked.notify_all()
        return shut

    monkeypatch.setattr(background, "foreground_busy", busy)

    def wait(n: int) -> bool:
        with looked:
            return looked.wait_for(lambda: shut_looks >= n, timeout=30)

    return wait


def test_background_steps_run_on_one_openmp_thread_and_leave_the_caller_alone(monkeypatch):
    monkeypatch.setattr(threads, "BACKGROUND_OPENMP_THREADS", 3)  # neither the default nor the caller's
    seen: list[set[int]] = []
    with threadpool_limits(limits=2, user_api="openmp"):  # the foreground's own setting
        thread = background.run_in_background("threads-test-data", "threads-test-pass",
                                              [lambda: seen.append(openmp_threads())])
        thread.join(timeout=60)
        assert openmp_threads() == {2}
    background.forget()
    assert seen == [{3}]


def test_a_pass_waits_for_the_foreground_run_and_its_grace_then_runs(monkeypatch):
    import time

    monkeypatch.setattr(background, "FOREGROUND_GRACE_S", 0.3)
    shut_looks = watch_the_gate(monkeypatch)
    ran: list[float] = []
    with background.foreground():  # a user's page being computed
        thread = background.run_in_background("fg-test-data", "fg-test-pass", [lambda: ran.append(time.monotonic())])
        assert shut_looks(2), "the pass never waited at the gate"
        assert ran == [] and background.foreground_busy()
        ended = time.monotonic()
    thread.join(timeout=30)
    background.forget()
    assert len(ran) == 1 and ran[0] - ended >= 0.3  # not before the grace after the run
    assert not thread.is_alive()


def test_a_pass_taken_over_while_it_waits_runs_nothing(monkeypatch):
    monkeypatch.setattr(background, "FOREGROUND_GRACE_S", 0.0)
    shut_looks = watch_the_gate(monkeypatch)
    ran: list[str] = []
    with background.foreground():
        first = background.run_in_background("fg-test-data-2", "fg-pass-a", [lambda: ran.append("a")])
        assert shut_looks(1), "the first pass never waited at the gate"
        second = background.run_in_background("fg-test-data-2", "fg-pass-b", [lambda: ran.append("b")])
        first.join(timeout=30)  # the newer pass for the same data took over: the first stops while waiting
        assert ran == [] and not first.is_alive()
    second.join(timeout=30)
    background.forget()
    assert ran == ["b"]


def test_a_pass_waits_no_longer_than_the_bound_under_a_foreground_that_never_ends(monkeypatch):
    """Several users' runs one after another keep the gate shut; the pass still takes a step per bound."""
    import time

    monkeypatch.setattr(background, "FOREGROUND_MAX_WAIT_S", 0.4)
    ran: list[float] = []
    with background.foreground():
        began = time.monotonic()
        thread = background.run_in_background("fg-test-data-3", "fg-pass-c",
                                              [lambda: ran.append(time.monotonic()),
                                               lambda: ran.append(time.monotonic())])
        thread.join(timeout=30)
        assert background.foreground_busy()  # the foreground never let go
    background.forget()
    assert len(ran) == 2
    assert ran[0] - began >= 0.4 and ran[1] - ran[0] >= 0.4  # each step waited out its bound
