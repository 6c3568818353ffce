"""The ONNX Runtime backends (see :mod:`core.embedding.backends`): one text per call, a call per core."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from core.embedding.model_files import LoadedModel, fast_tokenizer, padded_batches, resolve_model_path
from core.embedding.onnx_export import artefact, read_json
from core.threads import cpu_count

log = logging.getLogger(__name__)


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


def load_onnx(path: str, backend: str, cache_dir: Path) -> LoadedModel:
    """ONNX Runtime, one text per call, ``cpu_count()`` calls at a time.

    One text per call makes each vector a function of its text alone: int8's activation scales are
    computed over the tensor a call sees, and padding changes the float sums, so in a batch a text's
    vector would depend on its neighbours (and on which texts a store already held)."""
    session = _onnx_session(path, backend, cache_dir)
    tokenizer = fast_tokenizer(path)
    dim = int(read_json(Path(path) / "config.json")["hidden_size"])
    workers = cpu_count()

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
    options.intra_op_num_threads = cpu_count()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(artefact(path, backend, Path(cache_dir))), options,
                                   providers=["CPUExecutionProvider"])
    tokenizer = fast_tokenizer(path)
    dim = int(read_json(Path(path) / "config.json")["hidden_size"])

    def run(texts: list[str], batch_size: int) -> np.ndarray:
        out = np.empty((len(texts), dim), np.float32)
        for rows, ids, mask in padded_batches(tokenizer, texts, min(batch_size, batch)):
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    return LoadedModel(backend=f"{backend} (batches of {batch})", dim=dim, _run=run)
