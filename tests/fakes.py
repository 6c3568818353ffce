"""A small deterministic embedder for fast tests: hashed bag of words, L2-normalised, 384-d."""
from __future__ import annotations

import hashlib
import re

import numpy as np


class FakeEmbedder:
    """Texts sharing words get similar vectors, so topics cluster; counts every text it encodes."""

    name = "fake"
    fingerprint = "fake-v1"
    backend = "fake"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.encoded = 0
        self.short = 0  # of them, texts of one or two words: the cluster names' candidate phrases
        self.calls = 0

    @property
    def texts_encoded(self) -> int:
        """Texts encoded, not counting the names' candidate phrases (core.naming.naming embeds those)."""
        return self.encoded - self.short

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        self.short += sum(len(t.split()) <= 2 for t in texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]{3,}", text.lower()):
                h = int.from_bytes(hashlib.md5(word.encode()).digest()[:8], "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            out[i, len(text) % self.dim] += 0.1  # no all-zero rows
        return out / np.linalg.norm(out, axis=1, keepdims=True)
