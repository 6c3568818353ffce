"""Work done ahead of the user: the ks nearest the current one clustered in a low-priority background
thread (``PRECOMPUTE_KS`` of them, nearest first: the slider goes to 200, and a k costs more the larger
it is, so a pass fills what a user is likely to try next, not the whole range).

A pass belongs to its data: a new pass for the same data (another k, retrained vectors) takes over
from the one before it, which stops at its next step and keeps what it finished in the cache; a pass
for other data (another session's upload) runs beside it and cancels nothing.

A pass gives way to the foreground: it starts no step while a user's page is being computed
(:func:`foreground`) nor for ``FOREGROUND_GRACE_S`` after, while the browser lays the page out. A low
CPU priority alone is not enough: the pass shares the interpreter lock with the server, and a
low-priority thread holding it while the CPU is busy elsewhere stalls the server's answers. The wait
is bounded (``FOREGROUND_MAX_WAIT_S`` per step): on a server whose users' runs follow each other
without a pause, a pass still advances, one step at a time.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import replace
from typing import Callable, Iterator

import numpy as np

from core import threads
from core.storage.cache import StageCache
from core.config import RunConfig
from core.naming.describe import Terms
from core.clustering.k_choice import K_RANGE, k_max  # noqa: F401  (K_RANGE: the one range of k, read here by the link parser)
from core.pipeline import baseline_stage, cluster_stage

log = logging.getLogger(__name__)

#: How many ks a pass clusters (nearest the current k first), then the same ks' baselines.
PRECOMPUTE_KS = 12

#: After a foreground run, passes wait this long before their next step: the browser is still laying
#: out the page the run sent (on a small server, often on the same CPU).
FOREGROUND_GRACE_S = 2.0
#: The longest a pass waits for the foreground before one step: the gate is global, so without a bound
#: a busy server (runs of several users following each other within the grace) would starve it.
FOREGROUND_MAX_WAIT_S = 30.0
#: How often a waiting pass looks again.
FOREGROUND_POLL_S = 0.05

_lock = threading.Lock()
_generation: dict[str, int] = {}           # data key -> generation of its newest pass
_started: OrderedDict[str, bool] = OrderedDict()  # pass keys already started, most recent last
_foreground_runs = 0                       # foreground runs in progress
_foreground_ended = float("-inf")          # time.monotonic() at which the last one ended


@contextmanager
def foreground() -> Iterator[None]:
    """Mark a user's page being computed: background passes start no step until it has ended and
    ``FOREGROUND_GRACE_S`` have passed (a step already running finishes)."""
    global _foreground_runs, _foreground_ended
    with _lock:
        _foreground_runs += 1
    try:
        yield
    finally:
        with _lock:
            _foreground_runs -= 1
            _foreground_ended = time.monotonic()


def foreground_busy() -> bool:
    """Whether a foreground run is in progress or ended less than ``FOREGROUND_GRACE_S`` ago."""
    with _lock:
        return _foreground_runs > 0 or time.monotonic() - _foreground_ended < FOREGROUND_GRACE_S


def k_order(here: int, n: int, ks: range = K_RANGE, limit: int | None = None) -> list[int]:
    """The ks a corpus of ``n`` texts allows (``k_choice.k_max``), nearest ``here`` first (ties: the
    smaller k); the first ``limit`` of them when given."""
    top = k_max(n)
    out = sorted((k for k in ks if k <= top and k < n), key=lambda k: (abs(k - here), k))
    return out if limit is None else out[:limit]


def run_in_background(data_key: str, pass_key: str, steps: list[Callable[[], object]],
                      *, name: str = "clusterlens-precompute") -> threading.Thread | None:
    """Run ``steps`` in order in one low-priority daemon thread.

    A later call with the same ``data_key`` stops this one before its next step; calls with other
    data keys do not. Returns None when ``pass_key`` has already been started (and not stopped)."""
    with _lock:
        if pass_key in _started:
            return None
        _started[pass_key] = True
        while len(_started) > 256:
            _started.popitem(last=False)
        generation = _generation.pop(data_key, 0) + 1
        _generation[data_key] = generation  # most recent last
        while len(_generation) > 256:
            del _generation[next(iter(_generation))]

    def work() -> None:
        try:
            with threads.background():  # the lowest priority, one OpenMP thread (see core.threads)
                _run_steps()
        except Exception:  # a background nicety must never take the server down
            log.exception("background work failed")
            with _lock:
                _started.pop(pass_key, None)

    def taken_over() -> bool:
        return _generation.get(data_key) != generation

    def _run_steps() -> None:
        for step in steps:
            waited_since = time.monotonic()
            while (foreground_busy() and not taken_over()
                   and time.monotonic() - waited_since < FOREGROUND_MAX_WAIT_S):
                time.sleep(FOREGROUND_POLL_S)
            if taken_over():  # a later call may run these steps again
                with _lock:
                    _started.pop(pass_key, None)
                return
            step()

    thread = threading.Thread(target=work, name=f"{name}-{generation}", daemon=True)
    thread.start()
    return thread


def forget() -> None:
    """Forget every pass (tests; a cleared cache)."""
    with _lock:
        _started.clear()
        _generation.clear()


def precompute_ks(keys: dict[str, str], Z: np.ndarray, X: np.ndarray, texts: list[str], truth: np.ndarray | None,
                  terms: Terms, cfg: RunConfig, cache: StageCache,
                  base: np.ndarray | None = None) -> threading.Thread | None:
    """Fill ``cache`` with the clustering at the ``PRECOMPUTE_KS`` ks nearest the current k, nearest first,
    then their raw-embedding baselines (already there for the co-view method, which starts from them).
    ``keys`` are a run's stage keys (``sample``, ``embed``, ``train``, and ``base_embed`` with
    ``base``, the base model's (n, dim) vectors, when ``X`` is a refined model's)."""
    base_key = keys.get("base_embed", keys["embed"])
    base = X if base is None else base
    ks = k_order(cfg.cluster.k, len(Z), limit=PRECOMPUTE_KS)

    def at(k: int) -> RunConfig:
        return replace(cfg, cluster=replace(cfg.cluster, k=k))

    steps: list[Callable[[], object]] = [
        (lambda k=k: cluster_stage(keys, Z, X, texts, truth, terms, at(k).cluster, cfg.seed, cache, base)) for k in ks]
    steps += [(lambda k=k: baseline_stage(base_key, keys["sample"], base, truth, at(k).cluster, cfg.seed, cache))
              for k in ks]
    pass_key = "|".join((keys["train"], keys["embed"], keys["sample"], str(cfg.seed), repr(cfg.cluster)))
    return run_in_background(keys["sample"], pass_key, steps)


SWEEP_SCORES = ("silhouette", "davies_bouldin", "silhouette_raw", "davies_bouldin_raw", "acc", "nmi")


def k_sweep(keys: dict[str, str], Z: np.ndarray, X: np.ndarray, texts: list[str], truth: np.ndarray | None,
            terms: Terms, cfg: RunConfig, cache: StageCache, ks=range(2, 13),
            base: np.ndarray | None = None) -> dict[str, list]:
    """The scores of the clusters for each k in ``ks`` (``SWEEP_SCORES``: silhouette and Davies-Bouldin in
    the latent space and on the raw embeddings, and with labels ACC/NMI) as lists by name, with ``k``.

    Each k is the same cached clustering the map and the cards use at that k (often already computed
    by :func:`precompute_ks`), so the sweep and the cards always agree. ``base``: as for
    :func:`precompute_ks`. :func:`k_sweep_steps` gives the same one k at a time."""
    out: dict[str, list] = {"k": [], **{name: [] for name in SWEEP_SCORES}}
    for k, scores in k_sweep_steps(keys, Z, X, texts, truth, terms, cfg, cache, ks, base):
        out["k"].append(k)
        for name in SWEEP_SCORES:
            out[name].append(scores[name])
    return out


def k_sweep_steps(keys: dict[str, str], Z: np.ndarray, X: np.ndarray, texts: list[str], truth: np.ndarray | None,
                  terms: Terms, cfg: RunConfig, cache: StageCache, ks, base: np.ndarray | None = None
                  ) -> Iterator[tuple[int, dict[str, float | None]]]:
    """(k, its ``SWEEP_SCORES``) for each k of ``ks`` below the number of texts, one clustering at a time
    (a page draws each as it comes)."""
    base = X if base is None else base
    for k in ks:
        if k >= len(Z):
            break
        _, stage = cluster_stage(keys, Z, X, texts, truth, terms, replace(cfg.cluster, k=k), cfg.seed, cache, base)
        yield k, {name: getattr(stage.scores, name) for name in SWEEP_SCORES}
