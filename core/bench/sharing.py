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

from ..config import EncoderConfig


def _train_once(X: np.ndarray, seed: int, start: mp.synchronize.Event, out: mp.Queue) -> None:
    """In a child: wait for ``start``, train the default encoder, report the seconds."""
    from ..pipeline import train

    start.wait()
    started = time.perf_counter()
    train(X, EncoderConfig(), seed)
    out.put((seed, time.perf_counter() - started))


def _timed(X: np.ndarray, seeds: list[int]) -> dict[int, float]:
    """Seconds each seed's training took when all ``seeds`` started at once, each in its own process."""
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
        print(f"| training, seed {s}: beside the other vs alone | {together[s]:.1f} s | {alone[s]:.1f} s | "
              f"{together[s] / alone[s]:.2f}x | <= 2.5x |")
