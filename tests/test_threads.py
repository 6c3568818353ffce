"""The thread policy (``core.threads``): a computation runs on the torch thread count it states,
whatever another computation holds at the same time, so a vector never depends on what else runs."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from core import threads

MODEL = "all-MiniLM-L6-v2"


class Holder:
    """A Refine-like job: a thread that holds ``n`` torch threads (as Refine states its count) and
    computes with them until released."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.holding, self.release = threading.Event(), threading.Event()
        self.seen: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with threads.torch_threads(self.n):
            torch.ones(256, 256) @ torch.ones(256, 256)  # torch's pool in use in this thread
            self.seen.append(torch.get_num_threads())
            self.holding.set()
            self.release.wait(timeout=600)
            self.seen.append(torch.get_num_threads())

    def __enter__(self) -> "Holder":
        self.thread.start()
        assert self.holding.wait(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(timeout=60)


def test_a_refine_beside_a_small_sample_embedding_changes_none_of_its_vectors(tmp_path: Path) -> None:
    """A small sample embeds one text per call on one thread (torch-fp32); a Refine running beside it
    holds another count (all cores) for minutes. Before, whoever held the count first set it for
    everyone, and the embedding ran on the Refine's threads: its vectors moved in their last bits."""
    from conftest import DEMO

    from core.embedding.backends import load_model

    frame = pd.read_csv(DEMO).head(60)
    texts = frame["title"].astype(str).tolist()  # short texts: on two threads many move in their last bits
    model = load_model(MODEL, backend="torch-fp32", cache_dir=tmp_path)
    solo = model.encode(texts, batch_size=1)
    with Holder(2) as refine:  # Refine's count on a two-core machine
        beside = model.encode(texts, batch_size=1)
    np.testing.assert_array_equal(beside, solo)
    assert refine.seen == [refine.n, refine.n]  # and the Refine kept its own count throughout


def test_a_count_stays_in_the_thread_that_states_it() -> None:
    before = torch.get_num_threads()
    inner: list[int] = []
    with Holder(3) as holder:
        with threads.torch_threads(1):
            inner.append(torch.get_num_threads())
        inner.append(threads.map_single_threaded(lambda _: torch.get_num_threads(), range(4)))
    assert inner == [1, [1, 1, 1, 1]] and holder.seen == [3, 3]
    assert torch.get_num_threads() == before
    with threads.torch_threads(None):  # a GPU computation: nothing to set
        assert torch.get_num_threads() == before


def test_where_torch_has_one_pool_a_request_for_another_count_waits(monkeypatch) -> None:
    """A build of torch without OpenMP keeps one count for the process: the second request, for
    another count, runs only once the first is done; a request for the same count shares it."""
    monkeypatch.setattr(threads, "per_thread_counts", lambda: False)
    before = torch.get_num_threads()
    entered = threading.Event()
    counts: list[int] = []

    def other() -> None:
        with threads.torch_threads(1):
            counts.append(torch.get_num_threads())
            entered.set()

    try:
        with Holder(2):
            with threads.torch_threads(2):  # the same count: shared at once
                counts.append(torch.get_num_threads())
            waiting = threading.Thread(target=other, daemon=True)
            waiting.start()
            assert not entered.wait(timeout=1.0)  # another count: still waiting while it is held
        waiting.join(timeout=60)
        assert entered.is_set() and counts == [2, 1]
    finally:
        torch.set_num_threads(before)


def test_background_work_runs_at_the_lowest_priority() -> None:
    import os

    seen: list[int] = []

    def work() -> None:
        with threads.background():
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    if not hasattr(os, "getpriority"):
        pytest.skip("no thread priorities on this OS")
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert seen == [threads.BACKGROUND_NICENESS]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != threads.BACKGROUND_NICENESS
