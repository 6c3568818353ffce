"""The on-disk embedding store: SQLite, keyed by (model fingerprint, hash of the text).

A second run, or a larger sample, embeds only texts the store has never seen. Every row carries a
CRC32 of its vector, so a damaged row reads as a miss (and is re-embedded) rather than a wrong
answer; a damaged database file is moved aside and rebuilt with a warning. SQLite's WAL mode and
busy timeout let several processes read and write at once without losing rows.

The store only ever saves time. A store that can be read but not written (a read-only folder or
file, e.g. a shared cache) is opened read-only: its vectors are served, new ones are not saved, with
one warning. Any other failure (a full disk, a database locked for longer than the timeout, a
planted symlink, a file where its folder should be) logs one warning and turns the store off for the
rest of its life: reads miss, writes are dropped, and the run computes what it needs, with the same
result. The warning is the cache folder's one (``core.storage.cache_warning``): the result cache beside the
store does not add a second for the same fault.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np

from core.storage.cache_warning import warn_once

log = logging.getLogger(__name__)
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    key   BLOB NOT NULL,
    dim   INTEGER NOT NULL,
    crc   INTEGER NOT NULL,
    vec   BLOB NOT NULL,
    added REAL NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID
"""
_CHUNK = 500  # SQLite's default limit on host parameters is far above this


def text_key(text: str) -> bytes:
    """16 bytes of SHA-256 of the UTF-8 text: the store's key for one text."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class EmbeddingStore:
    """Read and write float32 vectors by (model, text key). Safe across threads and processes."""

    def __init__(self, path: str | Path, *, max_rows: int | None = 2_000_000, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.timeout = timeout
        self.failed: str | None = None  # why the store was turned off, once it has been
        self.read_only: str | None = None  # why it is read but never written, once it is
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._give_up(exc)
        self._with_recovery(lambda con: con.execute("SELECT count(*) FROM embeddings").fetchone(), None)

    # -- public -----------------------------------------------------------------------------------
    def get(self, model: str, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors among ``keys``; missing or damaged rows are simply absent."""
        def read(con: sqlite3.Connection) -> dict[bytes, np.ndarray]:
            found: dict[bytes, np.ndarray] = {}
            damaged = 0
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = con.execute(f"SELECT key, dim, crc, vec FROM embeddings WHERE model=? AND key IN ({marks})",
                                   [model, *chunk])
                for key, dim, crc, vec in rows:
                    if len(vec) == 4 * dim and zlib.crc32(vec) == crc:
                        found[bytes(key)] = np.frombuffer(vec, dtype=np.float32)
                    else:
                        damaged += 1
            if damaged:  # one line for the lot: a damaged file can hold thousands of such rows
                log.warning("embedding store: %d damaged row%s will be re-embedded", damaged,
                            "" if damaged == 1 else "s")
            return found

        return self._with_recovery(read, {})

    def put(self, model: str, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        """Insert or replace vectors, in one transaction: all of them are saved or none."""
        rows, now = [], time.time()
        for key, vec in items:
            blob = np.ascontiguousarray(vec, dtype=np.float32).tobytes()
            rows.append((model, key, len(blob) // 4, zlib.crc32(blob), blob, now))

        def write(con: sqlite3.Connection) -> None:
            con.execute("BEGIN IMMEDIATE")  # the connection is in autocommit mode: open one explicitly
            try:
                con.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?,?,?,?)", rows)
                self._enforce_limit(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

        if rows and not self.read_only:
            self._with_recovery(write, None)

    def count(self, model: str | None = None) -> int:
        """Rows stored (for ``model``, or in all); 0 once the store is off."""
        sql, args = ("SELECT count(*) FROM embeddings", []) if model is None else \
            ("SELECT count(*) FROM embeddings WHERE model=?", [model])
        return int(self._with_recovery(lambda con: con.execute(sql, args).fetchone()[0], 0))

    # -- internals --------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            return self._connect_read_only()
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute(_SCHEMA)
        except BaseException:
            con.close()
            raise
        return con

    def _connect_read_only(self) -> sqlite3.Connection:
        """The existing database, read-only: ``mode=ro`` where SQLite can open (or create) the WAL's
        shared-memory file beside it, else ``immutable`` (a read-only folder, where it cannot)."""
        target = Path(self.path).absolute().as_uri()
        try:
            con = sqlite3.connect(f"{target}?mode=ro", uri=True, timeout=self.timeout, isolation_level=None)
            con.execute("SELECT count(*) FROM embeddings").fetchone()
            return con
        except sqlite3.OperationalError:
            return sqlite3.connect(f"{target}?mode=ro&immutable=1", uri=True, isolation_level=None)

    def _with_recovery(self, op: Callable[[sqlite3.Connection], T], fallback: T) -> T:
        """``op(connection)``; a damaged database is moved aside, rebuilt empty, and ``op`` retried; a
        database that cannot be written but can be read is opened read-only and ``op`` retried.

        Any other failure turns the store off (one warning) and returns ``fallback``."""
        with self._lock:
            if self.failed:
                return fallback
            for attempt in (1, 2):
                try:
                    con = self._connect()
                    try:
                        return op(con)
                    finally:
                        con.close()
                except sqlite3.DatabaseError as exc:
                    if attempt == 1 and self._readable_only(exc):
                        continue
                    if attempt == 2 or not _is_corruption(exc):
                        self._give_up(exc)
                        return fallback
                    try:
                        self._quarantine(exc)
                    except OSError as moved:
                        self._give_up(moved)
                        return fallback
                except (sqlite3.Error, OSError) as exc:
                    if attempt == 1 and self._readable_only(exc):
                        continue
                    self._give_up(exc)
                    return fallback
            return fallback

    def _readable_only(self, exc: BaseException) -> bool:
        """After ``exc`` from a read-write open: can the existing database still be read? Then the store
        is read-only from now on (one warning), and True."""
        if self.read_only or not _cannot_write(exc) or not self.path.is_file():
            return False
        if os.access(self.path.parent, os.W_OK) and os.access(self.path, os.W_OK):
            return False  # writable, yet not openable: a planted link or the like, not a read-only store
        try:
            con = self._connect_read_only()
            try:
                con.execute("SELECT count(*) FROM embeddings").fetchone()
            finally:
                con.close()
        except (sqlite3.Error, OSError):
            return False
        self.read_only = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        warn_once(self.path.parent, log, "embedding store %s cannot be written (%s); reading its vectors, saving "
                  "none: texts it lacks are embedded again, results are the same", self.path, self.read_only)
        return True

    def _give_up(self, exc: BaseException) -> None:
        if not self.failed:
            self.failed = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
            warn_once(self.path.parent, log, "embedding store %s is unusable (%s); continuing without it: texts "
                      "are embedded again, results are the same", self.path, self.failed)

    def _quarantine(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        log.warning("embedding store %s is damaged (%s); moved to %s and rebuilding", self.path, exc, aside)
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                part.replace(Path(str(aside) + suffix))

    def _enforce_limit(self, con: sqlite3.Connection) -> None:
        """Inside the caller's transaction: drop the oldest rows beyond ``max_rows``."""
        if not self.max_rows:
            return
        n = con.execute("SELECT count(*) FROM embeddings").fetchone()[0]
        if n > self.max_rows:
            log.warning("embedding store over %d rows; dropping the oldest %d", self.max_rows, n - self.max_rows)
            con.execute("DELETE FROM embeddings WHERE (model, key) IN "
                        "(SELECT model, key FROM embeddings ORDER BY added LIMIT ?)", [n - self.max_rows])



def _cannot_write(exc: BaseException) -> bool:
    """Does ``exc`` say the database or its folder cannot be written (rather than that it is damaged,
    locked or full)?"""
    if isinstance(exc, OSError):
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    text = str(exc).lower()
    return any(s in text for s in ("readonly", "read-only", "unable to open database file"))


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("malformed", "not a database", "file is encrypted", "disk image",
                                   "database corrupt"))
