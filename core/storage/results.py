"""An on-disk cache of stage results (trained encoders, latent vectors, maps), so an identical
second run repeats no work, even after a restart.

Each entry is one ``.npz`` file written atomically; zip's per-member CRC catches damage, and a
damaged or unreadable entry is deleted and recomputed with a warning. Only arrays are stored and
they are loaded with ``allow_pickle=False``: nothing is unpickled. The folder is kept under a size
limit by deleting the least recently used entries.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from core.storage.atomic import atomic_write_bytes
from core.storage.cache_warning import warn_once

log = logging.getLogger(__name__)


def stage_key(*parts: Any) -> str:
    """A short stable key of small values (settings, other keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def array_key(array: np.ndarray) -> str:
    """A short hash of an array's shape and bytes (identifies the embeddings a stage was fed)."""
    digest = hashlib.sha256(str(array.shape).encode())
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()[:24]


class ResultCache:
    """``get(key)`` -> dict of arrays or None; ``put(key, arrays)``. Bounded to ``max_bytes`` on disk."""

    def __init__(self, root: str | Path, *, max_bytes: int = 2 << 30) -> None:
        self.root = Path(root)
        self.folder = self.root.parent  # the cache folder it shares with the embedding store: one warning
        self.max_bytes = max_bytes
        self._warned = False

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}  # reading checks each member's CRC
        except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
            log.warning("cached result %s is damaged (%s); recomputing it", path.name, exc)
            try:
                path.unlink(missing_ok=True)
            except OSError:  # a read-only cache: recomputing is all that is needed
                pass
            return None
        try:
            os.utime(path)  # mark as recently used
        except OSError:
            pass
        return arrays

    def put(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        try:
            atomic_write_bytes(self._path(key), buffer.getvalue())
            self._trim()
        except OSError as exc:  # a full or read-only disk costs speed, never the result
            if not self._warned:  # once: a run writes several entries; and once with the store beside it
                self._warned = True
                warn_once(self.folder, log, "could not write the result cache %s (%s); continuing without it",
                          self.root, exc.strerror or exc)

    def _trim(self) -> None:
        entries = sorted(self.root.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in entries)
        while entries and total > self.max_bytes:
            oldest = entries.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)
