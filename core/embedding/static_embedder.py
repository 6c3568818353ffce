"""The static embedder: a model2vec model distilled from all-MiniLM-L6-v2 (``scripts/distill_static.py``).

A static model is a token embedding table (vocabulary, dim) and the source model's tokenizer; a
text's vector is the mean of its tokens' rows, L2-normalised. No network runs, so it embeds tens of
thousands of texts a second on two cores against a few hundred for the transformer, at the price of
word order and context: broad topics cluster nearly as well, fine-grained intents much worse
(docs/benchmarks.md).

It is loaded with ``model2vec.StaticModel`` from a local folder only (never a hub name). A text's
vector depends on that text alone (each is pooled over its own tokens; nothing is padded). The
pooling runs a distinct word at a time (``core.embedding.static_pooling``), with model2vec's
vectors bit for bit.

Its vectors are not kept in the embedding store (``stored = False``): it computes one faster than
SQLite writes one (a million rows take minutes to insert, against a minute or two to embed), and a
million of them would push the transformer's costly vectors out of the store's row cap. Were they
stored, their key would be this model's own (``core.embedding.embed.store_key``: its fingerprint and
``static``), so the two models never share vectors.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from core.embedding.embed_fingerprint import model_fingerprint
from core.embedding.static_pooling import WordPooler
from core.errors import UserError

#: The model's name (``EmbedConfig.model``, ``--model``) and the folder this repository ships it in.
STATIC_MODEL = "static-minilm-l6-v2"
STATIC_DIR = Path(__file__).resolve().parents[1] / "models" / STATIC_MODEL
#: The store's backend tag for static vectors (a static model runs the same arithmetic on any machine).
STATIC_BACKEND = "static"


def is_static_folder(path: str | Path) -> bool:
    """True for a model2vec model folder (its config.json says ``"model_type": "model2vec"``)."""
    config = Path(path) / "config.json"
    try:
        return json.loads(config.read_text()).get("model_type") == "model2vec"
    except (OSError, ValueError, AttributeError):
        return False


class StaticEmbedder:
    """A model2vec static model from a local folder; ``encode`` is thread-safe (the model is read-only)."""

    stored = False  # see the module's docstring

    def __init__(self, path: str | Path = STATIC_DIR, *, name: str = STATIC_MODEL) -> None:
        from model2vec import StaticModel

        folder = Path(path)
        if not is_static_folder(folder):
            raise UserError(f"{folder} is not a static (model2vec) model folder")
        self.name = name
        self.fingerprint = model_fingerprint(folder)
        self.backend = STATIC_BACKEND
        self._model = StaticModel.from_pretrained(folder)  # an existing folder: model2vec reads it, nothing else
        self.dim = int(self._model.dim)
        self._pooler = WordPooler(self._model)  # model2vec's vectors, a distinct word at a time
        self._lock = threading.Lock()  # the pooler's word table, and the tokenizer's truncation setting

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """Texts -> (n, dim) float32, L2-normalised.

        A text with no token the model knows (model2vec drops ``[UNK]``) gets the first unit vector: one
        fixed point for all of them, where a zero vector would break cosine neighbours. ``batch_size``
        is ignored: every text is pooled over its own tokens."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            out = self._pooler.encode(list(texts))
        out = np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        out[empty, 0], norms[empty] = 1.0, 1.0
        return out / norms
