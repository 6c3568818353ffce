"""One warning per cache folder, whichever cache meets its fault first.

The embedding store (``embeddings.sqlite``) and the result cache (``results/``) live in one cache
folder (``core.config.cache_dir``). A fault of that folder (read-only, full, not a folder, locked)
turns both of them to doing without, and costs one warning in all, as the README promises: the
second cache to meet it logs at DEBUG only. Kept for the life of the process (a server's caches are
opened once per folder).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

_reported: set[str] = set()
_lock = threading.Lock()


def warn_once(folder: str | Path, logger: logging.Logger, message: str, *args: object) -> bool:
    """Log ``message % args`` as a WARNING unless a fault of ``folder`` was reported already (then
    as DEBUG); True when this was the warning."""
    key = str(Path(folder).absolute())
    with _lock:
        first = key not in _reported
        _reported.add(key)
    logger.log(logging.WARNING if first else logging.DEBUG, message, *args)
    return first
