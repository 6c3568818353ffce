"""The app's shared stage caches and the background pass under several sessions at once."""
import sys
import threading
import time

import numpy as np
import pytest

from core.session import background
from core.storage.cache import LRU, DiskCache, MemoryCache
from core.storage.results import ResultCache


def frozen(array):
    array.setflags(write=False)
    return array


def waiting_in_the_cache(threads: list[threading.Thread]) -> int:
    """How many of ``threads`` are inside the cache's ``LRU.get`` (a session waiting for the stage
    another one computes: blocked on the key's lock, which has no other observable waiters)."""
    frames = sys._current_frames()
    return sum(t.ident in frames and frames[t.ident].f_code is LRU.get.__code__ for t in threads)


def test_concurrent_sessions_compute_a_stage_once_and_share_it():
    cache, calls = MemoryCache({"embed": 4}), []
    threads: list[threading.Thread] = []

    def slow():
        calls.append(1)
        # the computation lasts until every other session is waiting for it inside the cache (a
        # condition polled with a deadline); a cache that let them in would have them here instead
        deadline = time.monotonic() + 10
        while waiting_in_the_cache(threads) < len(threads) - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        return frozen(np.arange(5))

    results = [None] * 6
    threads += [threading.Thread(target=lambda i=i: results.__setitem__(i, cache.fetch("embed", "k", slow)))
                for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and all(r is results[0] for r in results)
    with pytest.raises(ValueError):  # one session cannot change what another sees
        results[0][0] = 99


def test_bounded_and_least_recently_used_goes_first():
    cache = LRU(2)
    for key in "abc":
        cache.get(key, lambda key=key: key)
    assert list(cache.items) == ["b", "c"]
    cache.get("b", lambda: "new")  # a hit moves b to the end
    cache.get("d", lambda: "d")
    assert list(cache.items) == ["b", "d"]


def test_a_failed_computation_is_not_cached():
    cache = LRU(2)

    def boom():
        raise RuntimeError("bad input")

    with pytest.raises(RuntimeError):
        cache.get("x", boom)
    assert cache.get("x", lambda: 1) == 1


class _Arrays:
    @staticmethod
    def encode(value):
        return {"v": value}

    @staticmethod
    def decode(arrays):
        return arrays["v"]


def test_memory_over_disk_survives_a_restart_and_skips_values_without_a_codec(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return np.arange(3)

    first = MemoryCache({}, DiskCache(ResultCache(tmp_path)))
    first.fetch("train", "key", compute, _Arrays)
    first.fetch("cluster", "key2", compute)  # no codec: memory only
    restarted = MemoryCache({}, DiskCache(ResultCache(tmp_path)))
    assert np.array_equal(restarted.fetch("train", "key", compute, _Arrays), np.arange(3))
    restarted.fetch("cluster", "key2", compute)
    assert len(calls) == 3  # train once in all; the codec-less stage once per process
    assert len(list(tmp_path.glob("*.npz"))) == 1


def _recorder(calls, gate=None):
    def step(tag):
        def run():
            calls.append(tag)
            if gate is not None:
                gate.wait(10)
        return run
    return step


def test_precompute_walks_every_k_nearest_first_and_a_new_pass_for_the_same_data_takes_over(monkeypatch):
    """A pass for the same data (another k) stops the one before it at its next step; the stopped
    pass can be started again."""
    background.forget()
    go, calls = threading.Event(), []
    first = background.run_in_background("data", "A", [_recorder(calls, go)("A0"), _recorder(calls)("A1")])
    assert background.run_in_background("data", "A", []) is None  # already under way
    second = background.run_in_background("data", "B", [_recorder(calls)(f"B{i}") for i in range(3)])
    go.set()
    first.join(10)
    second.join(10)
    assert "A1" not in calls and [c for c in calls if c.startswith("B")] == ["B0", "B1", "B2"]
    again = background.run_in_background("data", "A", [_recorder(calls)("A1")])
    assert again is not None
    again.join(10)
    assert calls[-1] == "A1"
    assert background.k_order(4, 50)[:5] == [4, 3, 5, 2, 6]
    assert sorted(background.k_order(4, 50)) == list(range(2, 11))  # at most a fifth of 50 texts
    assert background.k_order(77, 3080, limit=4) == [77, 76, 78, 75]  # bounded: nearest first, not all 199


def test_two_sessions_with_other_data_do_not_cancel_each_other():
    """One user's change of k must not stop another user's background pass."""
    background.forget()
    go, calls = threading.Event(), []
    alice = background.run_in_background("alice-data", "a", [_recorder(calls, go)("a0"), _recorder(calls)("a1")])
    bob = background.run_in_background("bob-data", "b", [_recorder(calls)("b0"), _recorder(calls)("b1")])
    bob.join(10)
    go.set()
    alice.join(10)
    assert sorted(calls) == ["a0", "a1", "b0", "b1"]
