"""The torch backends (see :mod:`core.embedding.backends`): every one embeds one text per call
(:func:`one_per_call`), on the CPU or a GPU, through :mod:`core.embedding.bert_forward` where it reproduces the
model and through sentence-transformers otherwise."""
from __future__ import annotations

import logging
import threading
from typing import Callable

import numpy as np

from core.embedding import bert_forward
from core.embedding.model_files import LoadedModel
from core.errors import UserError
from core.threads import map_single_threaded

log = logging.getLogger(__name__)


def load_torch(path: str, backend: str) -> LoadedModel:
    """``backend`` (torch-fp32, torch-bf16, cuda-fp16 or cuda-fp32) for the model folder ``path``.

    The weights are held in the backend's type (bf16 and fp16 without per-call casts) and each text
    runs alone, so its vector is a function of its text: padding a batch changes the shapes the
    kernels run (a vector moved by up to 1.2e-3 in bf16 with its batch neighbours), and then a result
    would depend on which texts the store already held. On the CPU each call runs on one thread,
    ``cpu_count()`` calls at a time; on a GPU the calls are queued on its one stream from as many
    threads. A BERT model that :mod:`core.embedding.bert_forward` reproduces runs there, without importing
    sentence-transformers (seconds on a small machine, more than a small corpus takes to embed): in
    float32 on the CPU its vectors are ``SentenceTransformer.encode([text])``'s bit for bit."""
    import torch

    device = "cuda" if backend.startswith("cuda") else "cpu"
    dtype = {"cuda-fp16": torch.float16, "torch-bf16": torch.bfloat16}.get(backend, torch.float32)
    reason = bert_forward.unsupported(path)
    if not reason:
        try:
            forward = bert_forward.BertForward(path, dtype=dtype, device=device)
        except Exception as exc:  # a damaged weights or tokenizer file: the same message as sentence-transformers'
            raise UserError(f"cannot load model from {path}: {exc}".splitlines()[0]) from exc
        tokenize, run, dim = forward.ids, forward.vector, forward.dim
    else:
        model = _sentence_transformer(path, device).to(dtype)
        tokenize, run, dim = (lambda text: model.preprocess([text])), _st_forward(model), int(
            model.get_embedding_dimension() or 0)

    def encode(texts: list[str], batch_size: int) -> np.ndarray:  # batch_size: every text runs alone
        return one_per_call(tokenize, run, texts)

    log.info("loaded %s on %s, one text per call%s", path, backend,
             f" (sentence-transformers: {reason})" if reason else "")
    return LoadedModel(backend=backend, dim=dim, _run=encode)


def _sentence_transformer(path: str, device: str):
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:
        raise UserError(f"cannot load model from {path}: {exc}".splitlines()[0]) from exc
    return model.eval()


def _st_forward(model) -> Callable[[dict], np.ndarray]:
    """One preprocessed text -> its (dim,) float32 vector through a sentence-transformers ``model``."""
    import torch
    from sentence_transformers.util import batch_to_device

    def one(feature: dict) -> np.ndarray:
        with torch.inference_mode():
            vector = model(batch_to_device(feature, model.device))["sentence_embedding"].float()
            return torch.nn.functional.normalize(vector, p=2, dim=1).cpu().numpy()[0]

    return one


#: Fast tokenizers are not thread-safe (a call reconfigures the shared Rust object: "Already
#: borrowed"), so :func:`one_per_call` tokenizes under this lock and only the forward passes run at once.
_TOKENIZER_LOCK = threading.Lock()


def one_per_call(tokenize: Callable[[str], object], forward: Callable[[object], np.ndarray],
                 texts: list[str]) -> np.ndarray:
    """(n,) texts -> (n, dim) float32, one text per call (``forward(tokenize(text))``), each call on one
    intra-op thread and ``cpu_count()`` calls at a time (``core.threads.map_single_threaded``, as the
    ONNX backends run): in float32 on the CPU each vector is bit for bit
    ``SentenceTransformer.encode([text], normalize_embeddings=True)``.

    One text per call keeps a vector independent of its batch neighbours (padding changes the shapes
    the kernels run); one thread, stated in each thread that runs a call, keeps it independent of the
    machine's core count and of any other computation's count (torch splits a product's sums over its
    threads: a fifth of the vectors moved in their last bits between one and two threads)."""
    with _TOKENIZER_LOCK:
        features = [tokenize(text) for text in texts]
    return np.stack(map_single_threaded(forward, features))
