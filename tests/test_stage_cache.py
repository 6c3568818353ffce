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


def test_precompute_walks_every_k_nearest_first_and_a_new_request_takes_over(monkeypatch):
    """The background thread clusters k = 2..20 nearest the current k first, then the baselines; a
    request for other vectors stops it at its next k, and the stopped inputs can be started again."""
    import pages._cached as cached
    from core.config import ClusterConfig, RunConfig

    monkeypatch.setattr(cached, "PRECOMPUTE", True)
    monkeypatch.setattr(cached, "_started", type(cached._started)())
    go, calls = threading.Event(), []

    def clustering(train_key, Z, X, truth, words, cfg):
        calls.append((train_key, "cluster", cfg.cluster.k))
        if train_key == "A":
            go.wait(10)

    monkeypatch.setattr(cached, "clustering", clustering)
    monkeypatch.setattr(cached, "baseline", lambda key, X, truth, cfg: calls.append((key, "baseline", cfg.cluster.k)))
    Z = np.zeros((50, 2), np.float32)
    cfg = RunConfig(cluster=ClusterConfig(k=4))
    first = cached.precompute("A", "eA", Z, Z, None, None, cfg)
    assert cached.precompute("A", "eA", Z, Z, None, None, cfg) is None  # already under way
    second = cached.precompute("B", "eB", Z, Z, None, None, cfg)
    go.set()
    first.join(10)
    second.join(10)
    assert [c for c in calls if c[0] in ("A", "eA")] == [("A", "cluster", 4)]  # stopped at its next k
    mine = [c for c in calls if c[0] in ("B", "eB")]
    assert [k for _, stage, k in mine if stage == "cluster"][:5] == [4, 3, 5, 2, 6]
    assert sorted(k for _, stage, k in mine if stage == "cluster") == list(cached.K_RANGE)
    assert [stage for _, stage, _ in mine] == ["cluster"] * 19 + ["baseline"] * 19
    again = cached.precompute("A", "eA", Z, Z, None, None, cfg)  # the stopped inputs can run again
    assert again is not None
    again.join(10)
