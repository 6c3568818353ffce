"""A project's own vectors as an embedder: an imported project runs its pipeline from the vectors its
file brought, so the same view appears without embedding its texts again.

The vectors are kept in the project's folder (``vectors.parquet``, the format of ``core.embedding.embed_file``)
and looked up by text. A text they do not hold (a larger fraction, a cluster name's candidate phrase)
is embedded by the model the vectors were made with, through the embedding store. The kept vectors
themselves never enter the store: they came in a file, and the store serves every project of the
cache folder (a file's vectors there would be served as the model's). Plain Python: no Streamlit.
"""
from __future__ import annotations

from functools import cached_property
from typing import Callable

import numpy as np

from core.embedding.embed import Embedder, embed_texts
from core.embedding.embed_file import EmbeddingsFile, text_hashes
from core.storage.results import array_key, stage_key
from core.storage.store import EmbeddingStore

#: The file of a project's own vectors, in its folder.
KEPT_FILE = "vectors.parquet"
#: load(model, backend) -> the model that embeds the texts the kept vectors lack.
Loader = Callable[[str, str], Embedder]


class KeptVectors:
    """The :class:`core.embedding.embed.Embedder` of a project that keeps its vectors.

    ``fingerprint`` is the model's (checked when the project was imported), so stages keyed on it
    (Refine) find what the exporting project computed; ``backend`` names the kept vectors, so a
    caller that hands this embedder a store never files them under the model's own key."""

    embeds_any_text = True  # texts without a kept vector go to the model

    def __init__(self, file: EmbeddingsFile, *, load: Loader, store: EmbeddingStore | None) -> None:
        self.file = file
        self.name = file.model
        self.fingerprint = file.fingerprint
        self.dim = file.dim
        self.backend = f"kept ({file.backend})"
        self._load = load
        self._store = store
        self._index = {h: i for i, h in enumerate(file.hashes)}

    @cached_property
    def cache_key(self) -> str:
        """The kept vectors' content: the embed stage's key names it (a run of the model for the same
        texts, whose vectors may differ in the last digits, is another entry)."""
        return stage_key("kept", self.file.model, self.file.fingerprint, self.file.backend,
                         stage_key(*self.file.hashes), array_key(self.file.vectors))

    def has(self, texts: list[str]) -> np.ndarray:
        """(n,) whether each text has a kept vector."""
        return np.array([h in self._index for h in text_hashes(texts)], dtype=bool)

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """(n, dim) float32: the kept vectors, and the model's (through the store) for the other texts."""
        texts = list(texts)
        rows = np.array([self._index.get(h, -1) for h in text_hashes(texts)], dtype=np.int64)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        found = rows >= 0
        out[found] = self.file.vectors[rows[found]]
        missing = np.flatnonzero(~found)
        if len(missing):
            backend = self.file.backend
            model = self._load(self.file.model, backend)
            batch = 1 if backend == "torch-fp32" else batch_size  # one text per call, as a small run embeds
            out[missing] = embed_texts([texts[i] for i in missing], model, store=self._store,
                                       batch_size=batch).vectors
        return out
