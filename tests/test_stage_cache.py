"""The app's shared stage caches under several sessions at once."""
import threading
import time

import numpy as np
import pytest

from pages._cached import StageCache, frozen


def test_concurrent_sessions_compute_a_stage_once_and_share_it():
    cache, calls = StageCache(4), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return frozen(np.arange(5))

    results = [None] * 6
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, cache.get("k", slow))) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and all(r is results[0] for r in results)
    with pytest.raises(ValueError):  # one session cannot change what another sees
        results[0][0] = 99


def test_bounded_and_least_recently_used_goes_first():
    cache = StageCache(2)
    for key in "abc":
        cache.get(key, lambda key=key: key)
    assert list(cache.items) == ["b", "c"]
    cache.get("b", lambda: "new")  # a hit moves b to the end
    cache.get("d", lambda: "d")
    assert list(cache.items) == ["b", "d"]


def test_a_failed_computation_is_not_cached():
    cache = StageCache(2)

    def boom():
        raise RuntimeError("bad input")

    with pytest.raises(RuntimeError):
        cache.get("x", boom)
    assert cache.get("x", lambda: 1) == 1
