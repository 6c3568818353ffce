"""Shared background jobs (core.session.jobs): one job per key for the whole process, and a cancel that
withdraws only its session's interest (issue 28: one user's Refine Cancel cancelled it for everyone)."""
import threading

import pytest

from core.session import jobs


class Stopped(Exception):
    pass


@pytest.fixture(autouse=True)
def _no_jobs():
    jobs.forget()
    yield
    for job in list(jobs._jobs.values()):
        job.cancel()


def _work(step_done: threading.Event, finish: threading.Event):
    """A job that reports steps until told to finish, checking its cancel switch at each step."""
    def work(job: jobs.Job):
        step = 0
        while not finish.wait(0.01):
            if job.cancelled():
                raise Stopped()
            step += 1
            job.progress("refine", step, 1000, f"step {step}")
            step_done.set()
        return "refined"
    return work


def _ended(job: jobs.Job, timeout: float = 30) -> str:
    assert job.wait(timeout), f"job still {job.state}"
    return job.state


def test_two_sessions_share_one_job():
    step, finish = threading.Event(), threading.Event()
    a = jobs.start("k", _work(step, finish), holder="A", cancelled_types=(Stopped,))
    b = jobs.start("k", _work(step, finish), holder="B", cancelled_types=(Stopped,))
    assert a is b and a.holders == {"A", "B"}
    finish.set()
    assert _ended(a) == jobs.DONE and a.result == "refined"


def test_one_sessions_cancel_leaves_the_job_running_for_the_other():
    step, finish = threading.Event(), threading.Event()
    job = jobs.start("k", _work(step, finish), holder="A", cancelled_types=(Stopped,))
    jobs.start("k", _work(step, finish), holder="B", cancelled_types=(Stopped,))
    assert step.wait(30)
    assert job.withdraw("A") is False
    step.clear()
    assert step.wait(30)  # still stepping: B wants it
    assert job.state == jobs.RUNNING and not job.cancelled()
    assert job.wanted_by("B") and not job.wanted_by("A")
    finish.set()
    assert _ended(job) == jobs.DONE


def test_the_job_stops_when_its_last_holder_withdraws():
    step, finish = threading.Event(), threading.Event()
    job = jobs.start("k", _work(step, finish), holder="A", cancelled_types=(Stopped,))
    jobs.start("k", _work(step, finish), holder="B", cancelled_types=(Stopped,))
    assert step.wait(30)
    job.withdraw("A")
    assert job.withdraw("B") is True
    assert _ended(job) == jobs.CANCELLED


def test_asking_again_after_a_withdrawal_joins_the_running_job():
    step, finish = threading.Event(), threading.Event()
    job = jobs.start("k", _work(step, finish), holder="A", cancelled_types=(Stopped,))
    jobs.start("k", _work(step, finish), holder="B", cancelled_types=(Stopped,))
    job.withdraw("A")
    assert jobs.start("k", _work(step, finish), holder="A", cancelled_types=(Stopped,)) is job
    assert job.holders == {"A", "B"}
    finish.set()
    assert _ended(job) == jobs.DONE


def test_asking_for_a_job_that_is_stopping_starts_it_anew():
    step, finish, hold = threading.Event(), threading.Event(), threading.Event()

    def slow_to_stop(job: jobs.Job):  # notices its cancel only when let go
        hold.wait(30)
        raise Stopped()

    old = jobs.start("k", slow_to_stop, holder="A", cancelled_types=(Stopped,))
    old.withdraw("A")
    began_after_the_old_ended = []
    work = _work(step, finish)

    def after_the_old(job: jobs.Job):
        began_after_the_old_ended.append(old.wait(0))
        return work(job)

    new = jobs.start("k", after_the_old, holder="B", cancelled_types=(Stopped,))
    assert new is not old and jobs.get("k") is new and not new.cancelled()
    assert new.state == jobs.RUNNING and "waiting" in new.message  # the same work never runs twice at once
    hold.set()
    assert _ended(old) == jobs.CANCELLED
    assert step.wait(30) and new.state == jobs.RUNNING
    finish.set()
    assert _ended(new) == jobs.DONE and began_after_the_old_ended == [True]


def test_a_job_withdrawn_while_it_waits_for_a_stopping_one_never_starts_its_work():
    hold = threading.Event()

    def slow_to_stop(job: jobs.Job):
        hold.wait(30)
        raise Stopped()

    started = []
    old = jobs.start("k", slow_to_stop, holder="A", cancelled_types=(Stopped,))
    old.withdraw("A")
    new = jobs.start("k", lambda job: started.append(job), holder="B", cancelled_types=(Stopped,))
    assert new.withdraw("B")
    hold.set()
    assert _ended(old) == jobs.CANCELLED and _ended(new) == jobs.CANCELLED and not started
