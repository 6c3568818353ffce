"""Long jobs (a Refine) run in a low-priority background thread, with progress and a cancel switch.

One job per key in the whole process: a second request for the same key finds the running (or
finished) job, so two sessions asking for the same refinement share it. A job keeps the set of its
holders (the sessions that asked for it): a holder's cancel withdraws only its own interest, and
the job stops when no holder wants it any more; the others keep it, and its progress. Plain
Python, no Streamlit.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"


@dataclass
class Job:
    """A job's state as its thread reports it (read by any thread; written by the job's own)."""

    key: str
    state: str = RUNNING
    step: int = 0
    total: int = 0
    message: str = "starting ..."
    started: float = field(default_factory=time.monotonic)
    error: str | None = None
    result: Any = None
    holders: set[str] = field(default_factory=set)  # who still wants it (read and written under _lock)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (done, failed or cancelled), at most ``timeout`` s; whether it has."""
        return self._ended.wait(timeout)

    def progress(self, stage: str, done: int, total: int, message: str) -> None:
        """A pipeline progress callback: keeps the latest step of the job."""
        self.step, self.total, self.message = done, total, f"{stage}: {message}"

    def cancelled(self) -> bool:
        """Whether the job should stop (its work checks this at each step)."""
        return self._stop.is_set()

    def cancel(self) -> None:
        """Stop the job for every holder (a server's shutdown, tests); a user's cancel is :meth:`withdraw`."""
        self._stop.set()

    def withdraw(self, holder: str) -> bool:
        """``holder`` no longer wants this job; it stops (at its next step) once no holder is left.
        Returns True when it stops."""
        with _lock:
            self.holders.discard(holder)
            if self.holders:
                return False
            self._stop.set()
            return True

    def wanted_by(self, holder: str) -> bool:
        with _lock:
            return holder in self.holders

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def fraction(self) -> float:
        return min(self.step / self.total, 1.0) if self.total else 0.0


_lock = threading.Lock()
_jobs: OrderedDict[str, Job] = OrderedDict()
MAX_JOBS = 32


def get(key: str) -> Job | None:
    with _lock:
        return _jobs.get(key)


def start(key: str, work: Callable[[Job], Any], *, holder: str = "",
          cancelled_types: tuple[type[BaseException], ...] = ()) -> Job:
    """The job for ``key``, with ``holder`` among its holders: the one already running, done or
    failed (see :func:`discard`), else ``work(job)`` started in a low-priority daemon thread. A
    cancelled job, or a running one whose last holder withdrew (it is stopping), is started anew; the
    new one's work waits until the stopping one's thread has ended, so the same work never runs twice
    side by side."""
    with _lock:
        job = _jobs.get(key)
        if job is not None and (job.state in (DONE, FAILED) or (job.state == RUNNING and not job.cancelled())):
            job.holders.add(holder)
            return job
        stopping = job if job is not None and job.state == RUNNING else None
        job = _jobs[key] = Job(key, holders={holder})
        if stopping is not None:
            job.message = "waiting for the cancelled run to stop ..."
        _jobs.move_to_end(key)
        while len(_jobs) > MAX_JOBS:
            _jobs.popitem(last=False)

    def run() -> None:
        from core.threads import lower_priority as _lower_priority

        _lower_priority()
        try:
            if stopping is not None:
                stopping.wait()
            if job.cancelled():  # every holder withdrew while it waited: its work never starts
                job.state = CANCELLED
            else:
                job.result = work(job)
                job.state = DONE
        except cancelled_types:
            job.state = CANCELLED
            log.info("job %s cancelled after %.0f s", key, job.seconds)
        except Exception as exc:  # reported in the page, never raised into the server
            log.exception("job %s failed", key)
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = FAILED
        finally:
            job._ended.set()

    threading.Thread(target=run, name="clusterlens-job", daemon=True).start()
    return job


def discard(key: str) -> None:
    """Forget a finished job (a failed one is then started again by the next :func:`start`)."""
    with _lock:
        if key in _jobs and _jobs[key].state != RUNNING:
            del _jobs[key]


def forget() -> None:
    """Drop every finished job (tests)."""
    with _lock:
        for key in [k for k, j in _jobs.items() if j.state != RUNNING]:
            del _jobs[key]
