"""Exporting a sentence-transformers model to ONNX once, and quantising it, for ``core.embedding.backends``.

Artefacts live in ``cache_dir/models/<fingerprint>/`` with a SHA-256 manifest; a missing, damaged
or outdated artefact is rebuilt (with a warning), written atomically.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from core.storage.atomic import atomic_write_bytes, atomic_write_text
from core.embedding.embed_fingerprint import model_fingerprint
from core.quiet import exporting

log = logging.getLogger(__name__)

RECIPE = "onnx-v2"  # bump when the export or quantisation recipe changes
_BUILD_LOCK = threading.RLock()


def read_json(path: Path, default: object = None) -> Any:
    return json.loads(path.read_text()) if path.is_file() else ({} if default is None else default)


def module_kinds(root: Path) -> list[str]:
    """The sentence-transformers modules of a model folder, by class name: ['Transformer', 'Pooling', ...]."""
    return [m.get("type", "").rsplit(".", 1)[-1] for m in read_json(root / "modules.json", [])]


def onnx_unsupported(path: str) -> str:
    """Why the ONNX export (BERT-style encoder + mean pooling) cannot reproduce this model; '' if it can."""
    root = Path(path)
    kinds = module_kinds(root)
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return f"modules {kinds} are not Transformer+Pooling(+Normalize)"
    pooling = read_json(root / "1_Pooling" / "config.json")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        return f"pooling {modes} is not mean pooling"
    if not (root / "tokenizer.json").is_file():
        return "no tokenizer.json"
    return ""


def _fingerprint(path: str) -> str:
    """The model's fingerprint plus the recipe and the exporter versions."""
    import onnxruntime
    import torch

    tag = f"{model_fingerprint(path)}|{RECIPE}|{torch.__version__}|{onnxruntime.__version__}"
    return hashlib.sha256(tag.encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def artefact(path: str, backend: str, cache_dir: Path) -> Path:
    """The cached ONNX file for ``backend``, verified against its manifest; (re)built when needed.

    When the cache folder cannot be written (read-only, full, a file in its place), the export is
    built in a private temporary folder for this process instead, with one warning: slower, never
    wrong."""
    tag = _fingerprint(path)
    try:
        return _verified(cache_dir / "models" / tag, path, backend)
    except OSError as exc:
        folder = _scratch() / tag
        if cache_dir not in _WARNED:  # once per process: the app loads models more than once
            _WARNED.add(cache_dir)
            log.warning("cannot keep exported models under %s (%s); exporting to %s for this process only",
                        cache_dir / "models", exc.strerror or exc, folder)
        return _verified(folder, path, backend)


def _verified(folder: Path, path: str, backend: str) -> Path:
    target = folder / f"model-{backend.split('-')[1]}.onnx"
    manifest = folder / f"{target.name}.sha256"
    with _BUILD_LOCK:
        if _intact(target):
            return target
        if target.exists() or manifest.exists():
            log.warning("cached %s is missing or corrupt; rebuilding it", target)
        log.info("exporting %s to %s (once)", path, target)
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp, exporting():
            if backend == "onnx-int8":  # from the float32 export if it is already kept, else from a private one
                fp32 = folder / "model-fp32.onnx"
                built = _quantise(fp32 if _intact(fp32) else _export(path, Path(tmp)), Path(tmp))
            else:
                built = _export(path, Path(tmp))
            atomic_write_bytes(target, built.read_bytes())
        atomic_write_text(manifest, _sha256(target))
    return target


def _intact(target: Path) -> bool:
    """``target`` exists and matches its SHA-256 manifest."""
    manifest = target.with_name(f"{target.name}.sha256")
    return target.is_file() and manifest.is_file() and manifest.read_text().strip() == _sha256(target)


_SCRATCH: list[Path] = []
_WARNED: set[Path] = set()


def _scratch() -> Path:
    """One temporary folder per process for exports that cannot be cached; removed at exit."""
    with _BUILD_LOCK:
        if not _SCRATCH:
            folder = Path(tempfile.mkdtemp(prefix="clusterlens-models-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            _SCRATCH.append(folder)
        return _SCRATCH[0]


def _export(path: str, tmp: Path) -> Path:
    """Export with mean pooling and L2 norm in the graph, then fuse BERT ops for ONNX Runtime."""
    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    raw, dummy, axes = tmp / "raw.onnx", torch.ones(2, 16, dtype=torch.long), {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(Pooled(), (dummy, dummy), str(raw), input_names=["input_ids", "attention_mask"],
                          output_names=["sentence_embedding"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "sentence_embedding": {0: "batch"}})
    fused = raw
    if config.model_type == "bert":
        from onnxruntime.transformers import optimizer

        fused = tmp / "fused.onnx"
        optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                 hidden_size=config.hidden_size, opt_level=1).save_model_to_file(str(fused))
    return fused


def _quantise(fused: Path, tmp: Path) -> Path:
    """Dynamic int8 (per channel) of the FFN up-projections only: the rest stays fp32 for fidelity."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fused)).graph
    gelu_inputs = {i for n in graph.node if "Gelu" in n.op_type for i in n.input}
    nodes = [n.name for n in graph.node if n.op_type == "MatMul" and
             (set(n.output) & gelu_inputs or "intermediate" in n.name)]
    quantised = tmp / "int8.onnx"
    quantize_dynamic(str(fused), str(quantised), per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul"], nodes_to_quantize=nodes,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return quantised
