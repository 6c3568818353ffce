"""Caches that the pipeline's stages are handed: none, on disk, or in memory over another cache.

Every stage asks its cache the same way: ``cache.fetch(stage, key, compute, codec)``. The key is the
stage's own (see ``core.pipeline``): its settings plus the key of the stage it reads. The CLI hands
in :class:`DiskCache` (or :class:`NoCache` with ``--no-cache``); the app hands in a
:class:`MemoryCache` over a :class:`DiskCache`, shared by every session. A stage whose value can be
written as arrays passes a ``codec``; the others live in memory only (a disk cache computes them).
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Callable, Protocol, TypeVar

import numpy as np

from core.storage.results import ResultCache

log = logging.getLogger(__name__)
T = TypeVar("T")


class Codec(Protocol):
    """Turns a stage's value into named arrays for the disk and back (``decode`` raises on damage)."""

    def encode(self, value: Any) -> dict[str, np.ndarray]: ...

    def decode(self, arrays: dict[str, np.ndarray]) -> Any: ...


class StageCache(Protocol):
    def fetch(self, stage: str, key: str, compute: Callable[[], T], codec: Codec | None = None) -> T: ...


class NoCache:
    """Computes every time (``--no-cache``, tests)."""

    def fetch(self, stage: str, key: str, compute: Callable[[], T], codec: Codec | None = None) -> T:
        return compute()


class DiskCache:
    """Stage values with a codec, kept as ``.npz`` files by :class:`ResultCache` (survives restarts)."""

    def __init__(self, results: ResultCache) -> None:
        self.results = results

    def fetch(self, stage: str, key: str, compute: Callable[[], T], codec: Codec | None = None) -> T:
        if codec is None:
            return compute()
        hit = self.results.get(key)
        if hit is not None:
            try:
                return codec.decode(hit)
            except (KeyError, ValueError) as exc:  # a damaged or older entry: recompute and overwrite it
                log.warning("cached %s result %s cannot be used (%s); recomputing it", stage, key,
                            str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        value = compute()
        self.results.put(key, codec.encode(value))
        return value


class LRU:
    """A thread-safe LRU of at most ``size`` values; one computation per key at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()
        self.key_locks: dict[str, threading.Lock] = {}
        self.misses = 0

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        with key_lock:  # a second session asking for the same key waits for the first
            try:
                with self.lock:
                    if key in self.items:
                        return self.items[key]
                value = compute()
                with self.lock:
                    self.misses += 1
                    self.items[key] = value
                    while len(self.items) > self.size:
                        self.items.popitem(last=False)
                return value
            finally:
                with self.lock:
                    if self.key_locks.get(key) is key_lock:  # a later waiter may hold a newer lock
                        del self.key_locks[key]

    def peek(self, key: str) -> Any | None:
        """The cached value, or None without computing anything."""
        with self.lock:
            return self.items.get(key)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.misses = 0


class MemoryCache:
    """One bounded LRU per stage, over an ``inner`` cache (the disk, or nothing).

    Values are shared by every caller, so callers must treat them as read-only."""

    def __init__(self, sizes: dict[str, int], inner: StageCache | None = None, *, default_size: int = 8) -> None:
        self.lrus = {stage: LRU(size) for stage, size in sizes.items()}
        self.inner: StageCache = inner or NoCache()
        self.default_size = default_size
        self.lock = threading.Lock()

    def lru(self, stage: str) -> LRU:
        with self.lock:
            return self.lrus.setdefault(stage, LRU(self.default_size))

    def fetch(self, stage: str, key: str, compute: Callable[[], T], codec: Codec | None = None) -> T:
        return self.lru(stage).get(key, lambda: self.inner.fetch(stage, key, compute, codec))

    def peek(self, stage: str, key: str) -> Any | None:
        return self.lru(stage).peek(key)

    def clear(self) -> None:
        for lru in list(self.lrus.values()):
            lru.clear()
