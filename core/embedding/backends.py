"""Loading a sentence-embedding model on the fastest backend this machine supports.

Backends: ``torch-fp32`` (sentence-transformers' arithmetic; through the same operations in
``core.embedding.bert_forward`` where that reproduces the model, without importing sentence-transformers),
``torch-bf16`` (bfloat16 weights, only on CPUs with native bfloat16), ``cuda-fp16`` (half precision
on a GPU), ``cuda-fp32`` (the GPU in float32, the same-device reference for ``cuda-fp16``),
``onnx-fp32`` (ONNX Runtime with fused BERT kernels) and ``onnx-int8`` (the same with the
feed-forward up-projections quantised to int8, per channel; quantising the other matrices drops the
cosine to fp32 below 0.99 on AG News).
ONNX artefacts are exported once from the local weights into ``cache_dir/models/<fingerprint>/``.
The loaded model is never mutated after loading, so one instance serves every thread.

Every backend gives a text the same vector bit for bit, whatever it is embedded beside and whatever
else runs: each runs one text per call (``core.embedding.torch_backend.one_per_call``, ``core.embedding.onnx_backend``),
on one thread per call on the CPU (``core.threads``). A batch would pad its texts to one length,
which changes the shapes the kernels run, so a vector would move with its neighbours (bf16 by up to
1.2e-3) and a result would depend on which texts the store already held. The ``batch_size`` callers
pass only sizes their chunks.

This module chooses the backend; ``core.embedding.torch_backend`` and ``core.embedding.onnx_backend`` load them, with
what they share (the model's files, its tokenizer, the loaded model) in ``core.embedding.model_files``: no
backend imports this module back.
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from core.errors import UserError
from core.embedding.model_files import LoadedModel, fast_tokenizer, padded_batches, resolve_model_path
from core.embedding.onnx_export import onnx_unsupported

#: The loading API; the model files' helpers are named here too, as callers have always found them.
__all__ = ["ALIASES", "BACKENDS", "SMALL_CORPUS", "LoadedModel", "available_backends", "backend_for", "cpu_has_bf16",
           "fast_tokenizer", "load_model", "padded_batches", "resolve_backend", "resolve_model_path"]

log = logging.getLogger(__name__)

BACKENDS = ("torch-fp32", "torch-bf16", "cuda-fp16", "cuda-fp32", "onnx-fp32", "onnx-int8")
ALIASES = {"torch": "torch-fp32", "bf16": "torch-bf16", "cuda": "cuda-fp16", "onnx": "onnx-int8"}


def cpu_has_bf16() -> bool:
    """True when the CPU flags show native bfloat16 (AVX-512 BF16 or AMX)."""
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text().split() if cpuinfo.is_file() else []
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _onnx_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


def available_backends() -> list[str]:
    """The backends this machine can run (torch-bf16 only with native bfloat16 in the CPU)."""
    onnx = _onnx_available()
    cuda = _cuda_available()
    usable = {"torch-fp32": True, "torch-bf16": cpu_has_bf16(), "cuda-fp16": cuda, "cuda-fp32": cuda,
              "onnx-fp32": onnx, "onnx-int8": onnx}
    return [name for name in BACKENDS if usable[name]]


def resolve_backend(requested: str) -> str:
    """Canonical backend name; ``auto`` -> cuda, else native bf16, else ONNX int8, else torch fp32."""
    name = ALIASES.get(requested.strip().lower(), requested.strip().lower())
    if name == "auto":
        if _cuda_available():
            return "cuda-fp16"
        if cpu_has_bf16():
            return "torch-bf16"
        return "onnx-int8" if _onnx_available() else "torch-fp32"
    if name not in BACKENDS:
        valid = ", ".join(("auto",) + BACKENDS + tuple(ALIASES))
        raise UserError(f"unknown embedding backend {requested!r}; valid: {valid}")
    return name


#: Up to this many texts, ``auto`` embeds with torch-fp32 where it would pick ONNX int8: exporting and
#: quantising the model (once per cache folder) takes longer on two cores than int8's speed-up saves
#: on so few texts, and a first map of a small corpus should not wait for it (see ``backend_for``).
SMALL_CORPUS = 2_000


def backend_for(requested: str, n_texts: int) -> str:
    """The backend to load for a sample of ``n_texts``: ``requested``, except that ``auto`` becomes
    ``torch-fp32`` for at most :data:`SMALL_CORPUS` texts when it would resolve to ``onnx-int8``.

    A function of the settings and the sample size only, so the same run always gets the same vectors
    (never "whichever backend happened to be ready")."""
    if requested.strip().lower() == "auto" and n_texts <= SMALL_CORPUS and resolve_backend("auto") == "onnx-int8":
        return "torch-fp32"
    return requested


def load_model(name_or_path: str, *, backend: str = "auto", cache_dir: Path) -> LoadedModel:
    """Load ``name_or_path`` on ``backend`` (see ``resolve_backend``); warns when another is used."""
    path = resolve_model_path(name_or_path)
    wanted = resolve_backend(backend)
    usable = available_backends()
    chosen = wanted
    if wanted not in usable:
        chosen = "onnx-int8" if wanted.startswith("cuda") and "onnx-int8" in usable else "torch-fp32"
        log.warning("embedding backend %s is not available here; using %s instead", wanted, chosen)
    if chosen.startswith("onnx"):
        reason = onnx_unsupported(path)
        if reason:
            log.warning("embedding backend %s cannot run %s (%s); using torch-fp32 instead",
                        chosen, name_or_path, reason)
            chosen = "torch-fp32"
        else:
            from core.embedding.onnx_backend import load_onnx

            return load_onnx(path, chosen, Path(cache_dir))
    from core.embedding.torch_backend import load_torch

    return load_torch(path, chosen)
