"""Faults for tests of the caches and the model's identity, shared by several test files: a model
folder to damage byte by byte, whether this process is root (whom file modes do not stop), and the
embedding store's warnings."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # chmod does not stop root


def fake_model(folder: Path, size: int = 3 << 20) -> Path:
    """A model folder of the usual shape: configuration files and a few MiB of 'weights'."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 384}')
    (folder / "modules.json").write_text("[]")
    (folder / "README.md").write_text("a model card")
    (folder / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(size))
    return folder


def damage(file: Path, offset: int, n: int = 1536) -> None:
    """Add noise to ``n`` bytes at ``offset`` without changing the file's size."""
    data = bytearray(file.read_bytes())
    data[offset:offset + n] = bytes((b + 1) % 256 for b in data[offset:offset + n])
    file.write_bytes(bytes(data))


def store_warnings(caplog) -> list[str]:
    """The warnings ``core.storage.store`` logged (the store warns once when it turns itself off)."""
    return [r.getMessage() for r in caplog.records if r.name == "core.storage.store" and r.levelno >= logging.WARNING]
