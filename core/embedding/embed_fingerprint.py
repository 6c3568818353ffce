"""The fingerprint of a local model folder: what keys both the embedding store and exported models.

Every byte of every configuration and weight file counts: a model whose weights change anywhere
must never be served the old model's vectors or exported graph. Hashing 90 MB takes a fraction of a
second, and each file is hashed once per process and remembered by (path, size, modification time).
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

_FILE_DIGESTS: dict[tuple[str, int, int], bytes] = {}
_LOCK = threading.Lock()


def _counts(root: Path, file: Path) -> bool:
    """Files that define the model: not the model card, dot files, or other runtimes' exports."""
    parts = set(file.relative_to(root).parts)
    return not (file.suffix == ".md" or file.name.startswith(".") or {"onnx", "openvino"} & parts)


def file_digest(file: Path) -> bytes:
    """SHA-256 of the whole file, computed once per (path, size, mtime) in this process."""
    stat = file.stat()
    memo = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        known = _FILE_DIGESTS.get(memo)
    if known is not None:
        return known
    with file.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").digest()
    with _LOCK:
        _FILE_DIGESTS[memo] = digest
    return digest


def model_fingerprint(path: str | Path) -> str:
    """A short hash of a local model folder: every configuration and weight file's name and content."""
    root = Path(path)
    digest = hashlib.sha256(b"model-fingerprint-v2")
    for file in sorted(p for p in root.rglob("*") if p.is_file() and _counts(root, p)):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file_digest(file))
    return digest.hexdigest()[:16]
