"""One heavy computation per browser session at a time, with a turn whose ownership cannot leak.

Streamlit (with its default fast reruns) answers a widget change by asking the running script to
stop and starting a new run in a new thread at once; the old run stops only at its next Streamlit
call, which can be seconds away inside a stage. A session's runs therefore take turns: a run
computes only while it holds the session's :class:`Turn`, and a new run waits for it.

The turn belongs to a thread, not to a lock acquisition that a stopped run could skip releasing:

- :func:`holding` releases it on every way out of the block, including the exceptions Streamlit
  raises to stop or rerun a script at any of its calls, and including those raised while waiting;
- a release by a thread that does not hold the turn does nothing, so the release can sit in the same
  ``finally`` as the wait;
- a waiter takes the turn over when its holder's thread has ended (a script thread ends when its
  run stops), or when the holder is the waiter's own thread (Streamlit runs an ``st.rerun`` in the
  same thread; a run cannot wait for itself).

A lost release can thus delay a session by one poll, never freeze it. Plain Python, no Streamlit.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

log = logging.getLogger(__name__)

#: How often a waiting run calls its ``waiting`` callback (a Streamlit call there lets the waiting run
#: itself be stopped) and looks whether the holder's thread has ended.
POLL_S = 0.25


class Turn:
    """A session's turn to compute: held by at most one live thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._holder: threading.Thread | None = None

    @property
    def holder(self) -> threading.Thread | None:
        with self._cond:
            return self._holder

    def take(self, timeout: float) -> bool:
        """Take the turn for the calling thread, waiting at most ``timeout`` seconds. True when taken
        (also when the holder's thread has ended, or is the caller's own)."""
        me = threading.current_thread()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                holder = self._holder
                if holder is None or holder is me or not holder.is_alive():
                    if holder is not None and holder is not me:
                        log.warning("a session's turn was still held by ended thread %s; taken over", holder.name)
                    self._holder = me
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)

    def release(self) -> None:
        """Give the turn back if the calling thread holds it (else nothing: see :func:`holding`)."""
        with self._cond:
            if self._holder is threading.current_thread():
                self._holder = None
                self._cond.notify_all()


@contextmanager
def holding(turn: Turn, waiting: Callable[[float], None], poll: float = POLL_S) -> Iterator[None]:
    """Hold ``turn`` for the block. While another run holds it, ``waiting(seconds waited)`` is called
    every ``poll`` seconds; whatever it or the block raises, the turn is released if this thread
    took it."""
    started = time.monotonic()
    try:
        while not turn.take(poll):
            waiting(time.monotonic() - started)
        yield
    finally:
        turn.release()
