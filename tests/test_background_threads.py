"""The app's background pass runs on one OpenMP thread (its K-Means takes one core beside a user's
work), while the thread that started it keeps its own setting."""
from __future__ import annotations

import sklearn.cluster  # noqa: F401  (loads scikit-learn's OpenMP runtime)
from threadpoolctl import threadpool_info, threadpool_limits

from core import background


def openmp_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"}


def test_background_steps_run_on_one_openmp_thread_and_leave_the_caller_alone(monkeypatch):
    assert background.BACKGROUND_OPENMP_THREADS == 1
    monkeypatch.setattr(background, "BACKGROUND_OPENMP_THREADS", 3)  # neither the default nor the caller's
    seen: list[set[int]] = []
    with threadpool_limits(limits=2, user_api="openmp"):  # the foreground's own setting
        thread = background.run_in_background("threads-test-data", "threads-test-pass",
                                              [lambda: seen.append(openmp_threads())])
        thread.join(timeout=60)
        assert openmp_threads() == {2}
    background.forget()
    assert seen == [{3}]
