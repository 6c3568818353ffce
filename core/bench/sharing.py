"""``bench speed`` section 7: fair sharing of the CPU. Two trainings side by side (two processes, as
two sessions of one server or a training beside the app's background pass) against each alone.

A process that oversubscribes the cores (each of two trainings spinning as many threads as there
are cores) makes both far slower than sharing fairly; on a 2-core machine fair sharing of two
single-threaded trainings costs nothing, and of two 2-threaded ones about 2x.
"""
from __future__ import annotations

import multiprocessing as mp
import time

import numpy as np

from core.config import EncoderConfig


def _train_once(X: np.ndarray, seed: int, start: mp.synchronize.Event, out: mp.Queue) -> None:
    """In a child: wait for ``start``, train the default encoder, report the seconds."""
    from core.pipeline import train

    start.wait()
    started, cpu = time.perf_counter(), time.process_time()
    train(X, EncoderConfig(), seed)
    out.put((seed, (time.perf_counter() - started, time.process_time() - cpu)))


def _timed(X: np.ndarray, seeds: list[int]) -> dict[int, tuple[float, float]]:
    """(wall, CPU) seconds each seed's training took when all ``seeds`` started at once, each in its
    own process. CPU seconds that grow beside another training mean threads fighting for cores."""
    ctx = mp.get_context("spawn")  # a fresh interpreter, as another server process would be
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_train_once, args=(X, seed, start, out)) for seed in seeds]
    for p in procs:
        p.start()
    time.sleep(5)  # imports done before the clock starts
    start.set()
    times = dict(out.get() for _ in procs)
    for p in procs:
        p.join()
    return times


def sharing(X: np.ndarray, seed: int) -> None:
    """Train seeds ``seed`` and ``seed + 1`` alone, one after the other, then both at once."""
    pair = [seed, seed + 1]
    alone = {s: _timed(X, [s])[s] for s in pair}
    together = _timed(X, pair)
    print(f"\n#### 7. Fair sharing: two trainings side by side ({len(X):,} texts, default encoder, two processes)")
    print("| figure | ours | baseline | ratio | target |\n|---|---|---|---|---|")
    for s in pair:
        (wall, cpu), (wall1, cpu1) = together[s], alone[s]
        print(f"| training, seed {s}: wall seconds beside the other vs alone | {wall:.1f} s | {wall1:.1f} s | "
              f"{wall / wall1:.2f}x | <= 2.5x |")
        print(f"| training, seed {s}: CPU seconds beside the other vs alone | {cpu:.1f} s | {cpu1:.1f} s | "
              f"{cpu / cpu1:.2f}x | about 1x |")
