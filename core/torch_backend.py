"""The torch backends (see :mod:`core.backends`): sentence-transformers on the CPU or a GPU, and
torch-fp32's one-text calls through :mod:`core.bert_forward` where it reproduces the model."""
from __future__ import annotations

import logging
import threading
from typing import Callable

import numpy as np

from . import bert_forward
from .backends import CUDA_BATCH, LoadedModel, fast_tokenizer, padded_batches
from .errors import UserError
from .onnx_export import onnx_unsupported
from .threads import map_single_threaded

log = logging.getLogger(__name__)


def load_torch(path: str, backend: str) -> LoadedModel:
    """sentence-transformers on torch. The float32 backends are its ``encode`` as is (the references);
    bf16 and fp16 hold the weights in that type (no per-call casts) and, for mean-pooled BERT-style
    models, run the encoder in the same length-sorted loop as ONNX, launching each batch without
    waiting for the last, so a GPU is not left idle between batches.

    ``torch-fp32`` on a BERT model that :mod:`core.bert_forward` reproduces runs one-text calls there,
    without importing sentence-transformers (seconds on a small machine, more than a small corpus
    takes to embed); sentence-transformers is loaded only when batches are asked for."""
    if backend == "torch-fp32" and not bert_forward.unsupported(path):
        return _load_bert_forward(path)
    model = _sentence_transformer(path, "cuda" if backend.startswith("cuda") else "cpu")
    import torch

    device = str(model.device.type)
    dtype = {"cuda-fp16": torch.float16, "torch-bf16": torch.bfloat16}.get(backend)
    dim = int(model.get_embedding_dimension() or 0)
    # Transformer + mean pooling (what the ONNX export also requires): the direct loop reproduces it.
    tokenizer = fast_tokenizer(path) if dtype is not None and not onnx_unsupported(path) else None

    def batch_of(batch_size: int) -> int:
        return max(batch_size, CUDA_BATCH) if device == "cuda" else batch_size

    def encode(texts: list[str], batch_size: int) -> np.ndarray:
        if batch_size == 1 and device == "cpu" and dtype is None:
            return one_per_call(lambda text: model.preprocess([text]), _st_forward(model), texts)
        return _st_encode(model, texts, batch_of(batch_size))

    def direct(texts: list[str], batch_size: int) -> np.ndarray:
        out = torch.empty((len(texts), dim), dtype=torch.float32, device=device)
        with torch.inference_mode():
            for rows, ids, mask in padded_batches(tokenizer, texts, batch_of(batch_size)):
                keep = torch.from_numpy(mask).to(device)
                tokens = model[0]({"input_ids": torch.from_numpy(ids).to(device),
                                   "attention_mask": keep})["token_embeddings"].float()
                weights = keep.unsqueeze(-1).float()
                out[torch.from_numpy(rows).to(device)] = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return out.cpu().numpy()

    if dtype is not None:
        model.to(dtype)

    log.info("loaded %s on %s%s", path, backend, " (direct loop)" if tokenizer else "")
    return LoadedModel(backend=backend, dim=dim, _run=direct if tokenizer else encode)


def _sentence_transformer(path: str, device: str):
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:
        raise UserError(f"cannot load model from {path}: {exc}".splitlines()[0]) from exc
    return model.eval()


def _st_encode(model, texts: list[str], batch_size: int) -> np.ndarray:
    import torch

    with torch.inference_mode():
        out = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                           convert_to_numpy=False, convert_to_tensor=True, show_progress_bar=False)
    return out.float().cpu().numpy()


def _st_forward(model) -> Callable[[dict], np.ndarray]:
    """One preprocessed text -> its (dim,) vector through a sentence-transformers ``model``."""
    import torch
    from sentence_transformers.util import batch_to_device

    def one(feature: dict) -> np.ndarray:
        with torch.inference_mode():
            vector = model(batch_to_device(feature, model.device))["sentence_embedding"]
            return torch.nn.functional.normalize(vector, p=2, dim=1).float().cpu().numpy()[0]

    return one


def _load_bert_forward(path: str) -> LoadedModel:
    """``torch-fp32`` through :class:`core.bert_forward.BertForward` for one-text calls (the same vectors
    bit for bit); a batched call loads sentence-transformers once, on first use."""
    try:
        forward = bert_forward.BertForward(path)
    except Exception as exc:  # a damaged weights or tokenizer file: the same message as sentence-transformers'
        raise UserError(f"cannot load model from {path}: {exc}".splitlines()[0]) from exc
    batched: list = []
    lock = threading.Lock()

    def encode(texts: list[str], batch_size: int) -> np.ndarray:
        if batch_size == 1:
            return one_per_call(forward.ids, forward.vector, texts)
        with lock:
            if not batched:
                batched.append(_sentence_transformer(path, "cpu"))
        return _st_encode(batched[0], texts, batch_size)

    log.info("loaded %s on torch-fp32 (plain BERT forward for one-text calls)", path)
    return LoadedModel(backend="torch-fp32", dim=forward.dim, _run=encode)


#: Fast tokenizers are not thread-safe (a call reconfigures the shared Rust object: "Already
#: borrowed"), so :func:`one_per_call` tokenizes under this lock and only the forward passes run at once.
_TOKENIZER_LOCK = threading.Lock()


def one_per_call(tokenize: Callable[[str], object], forward: Callable[[object], np.ndarray],
                 texts: list[str]) -> np.ndarray:
    """(n,) texts -> (n, dim) float32 on the CPU, one text per call (``forward(tokenize(text))``), each
    call on one intra-op thread and ``cpu_count()`` calls at a time (``core.threads.map_single_threaded``,
    as the ONNX backends run): each vector bit for bit ``SentenceTransformer.encode([text],
    normalize_embeddings=True)``.

    One text per call keeps a vector independent of its batch neighbours (padding changes the shapes
    the kernels run); one thread, stated in each thread that runs a call, keeps it independent of the
    machine's core count and of any other computation's count (torch splits a product's sums over its
    threads: a fifth of the vectors moved in their last bits between one and two threads)."""
    with _TOKENIZER_LOCK:
        features = [tokenize(text) for text in texts]
    return np.stack(map_single_threaded(forward, features))
