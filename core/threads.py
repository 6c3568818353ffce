"""Thread and priority policy, in one place: torch's intra-op threads, the OpenMP/BLAS pools of
scikit-learn and numpy (through threadpoolctl), and the CPU priority of work done in the background.
Every other module asks here; none calls ``torch.set_num_threads``, ``threadpool_limits`` or
``os.setpriority`` itself.

The rule for conflicting requests: a computation whose result depends on its thread count (torch
splits a product's sums over its threads, so a vector can move in its last bits between one thread
and two) states the count it runs with, with :func:`torch_threads`, in each thread that runs it; no
computation inherits a count from whoever happened to set one first. torch built with OpenMP (its
Linux, Windows and macOS wheels) keeps the count per thread: ``torch.set_num_threads`` sets the
calling thread's OpenMP count, and the default of threads that have not run torch yet, never the
count of a thread already running. So a Refine holding four threads and a one-text-per-call
embedding on one thread run side by side, each with its own count, and neither changes the other's
vectors. Where torch's pool is one for the process (a build without OpenMP), a request for another
count than the one held waits until its holders are done: results stay exact, the later one waits.

The counts stated here, by computation:

- :data:`EXACT_EMBED_THREADS`: one-text-per-call embedding (``core.embedding.torch_backend.one_per_call``),
  each call on one thread, :func:`cpu_count` calls at a time (:func:`map_single_threaded`): a vector
  then depends on its text alone, not on the machine's cores or what else runs.
- :data:`TRAIN_THREADS`: the encoder's training (``core.training.encoder``).
- :func:`refine_threads`: Refine's fine-tuning (``core.training.refine``), all cores.
- :data:`BACKGROUND_OPENMP_THREADS`: the background pass's K-Means (``core.session.background``), at the
  lowest CPU priority (:func:`background`), as long jobs are (:func:`lower_priority`).
"""
from __future__ import annotations

import contextlib
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: torch threads of one one-text-per-call embedding call (calls run side by side instead).
EXACT_EMBED_THREADS = 1
#: torch threads while training the encoder on the CPU. The network's matrices are small (a batch of
#: 256 by 384 -> 128 -> 64), so a second thread gains little alone, and beside other work (the app's
#: background pass, another session, the embedding) threads that spin for a busy core multiply the
#: CPU time many times over. One thread also makes the sums, and so the weights, independent of the
#: machine's core count.
TRAIN_THREADS = 1
#: OpenMP threads of a background pass (its K-Means): one core, whatever the corpus size.
BACKGROUND_OPENMP_THREADS = 1
#: The niceness of background work (the lowest priority).
BACKGROUND_NICENESS = 19


def cpu_count() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def refine_threads() -> int:
    """torch threads of a Refine on the CPU: every core (a job of minutes; its weights then depend on
    the machine's core count, never on what else runs)."""
    return cpu_count()


# -- torch's intra-op threads ---------------------------------------------------------------------------
_held = threading.Condition()
_process_wide = {"count": 0, "holders": 0}  # used only where torch's pool is one for the process


@functools.cache
def per_thread_counts() -> bool:
    """Whether torch keeps its intra-op thread count per thread (its OpenMP backend); asked once."""
    import torch

    return "parallel backend: OpenMP" in torch.__config__.parallel_info()


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """This thread's torch work on ``n`` intra-op threads until the block ends (``None``: no CPU work to
    set, e.g. on a GPU). Restores the thread's previous count after. See the module doc for why a
    count never reaches another thread's computation. (With one pool for the process, a thread must
    not ask for another count inside its own block: it would wait for itself.)"""
    if n is None:
        yield
        return
    import torch

    if per_thread_counts():
        before = torch.get_num_threads()
        if before != n:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch.get_num_threads() != before:
                torch.set_num_threads(before)
        return
    with _held:  # one pool for the process: another count waits until the holders of this one are done
        _held.wait_for(lambda: _process_wide["holders"] == 0 or _process_wide["count"] == n)
        if _process_wide["holders"] == 0:
            _process_wide["count"] = n
            torch.set_num_threads(n)
        _process_wide["holders"] += 1
    try:
        yield
    finally:
        with _held:
            _process_wide["holders"] -= 1
            _held.notify_all()


def map_single_threaded(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(x) for x in items]``, each call on :data:`EXACT_EMBED_THREADS` torch thread, up to
    :func:`cpu_count` calls at a time (torch releases the interpreter lock inside its kernels). The
    count is stated in every thread that runs a call, whatever else runs in the process."""
    def one(item: T) -> R:
        with torch_threads(EXACT_EMBED_THREADS):
            return fn(item)

    workers = min(cpu_count(), len(items))
    if workers <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, items))


class Beside:
    """``fn()`` running in a daemon thread from its creation: for a stage whose inputs are ready while
    the caller goes on with others that do not need it (its native code, t-SNE's or torch's, runs on
    the other core while the caller's runs on one). Daemon, so a caller that fails first exits
    without waiting for it."""

    def __init__(self, fn: Callable[[], R], name: str) -> None:
        self._done = threading.Event()
        self._box: dict[str, object] = {}
        threading.Thread(target=self._work, args=(fn,), name=name, daemon=True).start()

    def _work(self, fn: Callable[[], R]) -> None:
        try:
            self._box["value"] = fn()
        except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
            self._box["error"] = error
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait at most ``timeout`` s for ``fn`` to end; whether it has."""
        return self._done.wait(timeout)

    def result(self):  # -> R
        """``fn()``'s value once it has ended (waiting for it), or its exception raised here."""
        self._done.wait()
        if "error" in self._box:
            raise self._box["error"]  # type: ignore[misc]
        return self._box["value"]


# -- priority and the OpenMP pools of background work ---------------------------------------------------
def lower_priority() -> None:
    """Run the calling thread (and the OpenMP workers it starts from now on) at the lowest CPU priority,
    where the OS allows it, so that the foreground stays responsive on a small machine."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    except (AttributeError, OSError):
        pass


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Background work in the calling thread: the lowest priority, and :data:`BACKGROUND_OPENMP_THREADS`
    OpenMP threads (scikit-learn's K-Means). OpenMP's count belongs to the calling thread, so the
    foreground keeps its own, and a pass beside a user's work takes one core."""
    from threadpoolctl import threadpool_limits

    lower_priority()
    with threadpool_limits(limits=BACKGROUND_OPENMP_THREADS, user_api="openmp"):
        yield
