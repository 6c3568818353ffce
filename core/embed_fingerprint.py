"""The fingerprint of a local model folder: what keys both the embedding store and exported models."""
from __future__ import annotations

import hashlib
from pathlib import Path


def model_fingerprint(path: str) -> str:
    """A short hash of a local model folder's configuration and weight files (names, sizes, heads)."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if file.suffix == ".md" or {"onnx", "openvino"} & set(file.relative_to(root).parts):
            continue
        digest.update(str(file.relative_to(root)).encode())
        digest.update(str(file.stat().st_size).encode())
        with file.open("rb") as fh:
            digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]
