"""A clustering as a file that assigns new texts: ``assign-model.safetensors``, which
``python -m core run --out DIR`` writes beside its outputs, and reading it (or a project file,
``core.storage.project_file``) back for ``python -m core assign --model``.

The file is safetensors: ``vectors`` (n, dim) float16, the reference texts' sentence vectors (half
precision halves the file and moves no assignment on AG News, docs/benchmarks.md); ``clusters``
(n,) int32; ``xy`` (n, 2) float32 when the run drew a map. Its metadata holds ``format``
(``clusterlens-assign``), ``format_version``, the sentence ``model``, its ``fingerprint`` and the
``backend`` that embedded the texts, the ``text_col`` the run read, the cluster ``names`` (JSON,
by id), the reference texts' ``typical`` closeness (``core.clustering.assign``) and a ``sha256`` of the
tensors (safetensors has no checksum), so a damaged, truncated, newer or other-model file is one
clear message, never a wrong answer.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from core.clustering.assign import ClusterModel
from core.errors import UserError

MODEL_FILE = "assign-model.safetensors"
FORMAT = "clusterlens-assign"
#: The layout this code writes; a newer one is refused, not misread.
FORMAT_VERSION = 1


def model_bytes(model: ClusterModel) -> bytes:
    """The model as a safetensors file (see the module's docstring)."""
    from safetensors.numpy import save

    tensors = {"vectors": np.ascontiguousarray(model.vectors, dtype=np.float16),
               "clusters": np.ascontiguousarray(model.clusters, dtype=np.int32)}
    if model.xy is not None:
        tensors["xy"] = np.ascontiguousarray(model.xy, dtype=np.float32)
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "model": model.model,
            "fingerprint": model.fingerprint, "backend": model.backend, "text_col": json.dumps(model.text_col),
            "typical": repr(float(model.typical or 0.0)),
            "names": json.dumps({str(k): v for k, v in sorted(model.names.items())}, ensure_ascii=False),
            "sha256": _digest(tensors)}
    return save(tensors, metadata=meta)


def read_model_bytes(blob: bytes, label: str) -> ClusterModel:
    """A model from :func:`model_bytes`; one clear UserError for a file that is not one, is damaged or
    truncated, or was written by a newer ClusterLens."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    damaged = (f"the model file {label} is damaged or truncated; write it again with "
               "`python -m core run --out DIR`")
    try:
        meta = _metadata(blob)
    except (ValueError, UnicodeDecodeError):
        raise UserError(damaged) from None
    if meta.get("format") != FORMAT:
        raise UserError(f"{label} is not a ClusterLens model file (from `python -m core run --out DIR`)")
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise UserError(damaged) from None
    if version > FORMAT_VERSION:
        raise UserError(f"the model file {label} was written by a newer ClusterLens (format {version}; this one "
                        f"reads up to {FORMAT_VERSION}); update ClusterLens to use it")
    try:
        tensors = load(blob)
        if meta.get("sha256") != _digest(tensors):
            raise ValueError("checksum")
        names = {int(k): str(v) for k, v in json.loads(meta["names"]).items()}
        text_col = json.loads(meta.get("text_col", "null"))
        return ClusterModel(np.asarray(tensors["vectors"], dtype=np.float32), tensors["clusters"].astype(np.int64),
                            names, tensors.get("xy"), str(meta["model"]), str(meta["fingerprint"]),
                            str(meta["backend"]), text_col if isinstance(text_col, str) else None,
                            float(meta["typical"]))
    except (SafetensorError, ValueError, KeyError, TypeError):
        raise UserError(damaged) from None


def load_cluster_model(path: str | Path) -> ClusterModel:
    """The model of a run folder (its ``assign-model.safetensors``), of a model file, or of a project
    file (``core.storage.project_file``: its current version)."""
    path = Path(path)
    if path.is_dir():
        if not (path / MODEL_FILE).is_file():
            raise UserError(f"{path} holds no {MODEL_FILE}: run `python -m core run --out {path}` again with this "
                            "version of ClusterLens, or pass a project file")
        path = path / MODEL_FILE
    if not path.is_file():
        raise UserError(f"model not found: {path} (pass a run folder of `python -m core run --out` or a project file)")
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if blob[:4] == b"PK\x03\x04" or zipfile.is_zipfile(path):
        from core.storage.project_file import cluster_model

        return cluster_model(blob, str(path))
    return read_model_bytes(blob, str(path))


def check_embedder(model: ClusterModel, fingerprint: str, label: str) -> None:
    """The new texts' model must be the one that made the clusters' vectors (else their vectors are
    not comparable): one clear UserError when its fingerprint differs."""
    if fingerprint != model.fingerprint:
        raise UserError(f"{label} was made with another sentence model ({model.model}, fingerprint "
                        f"{model.fingerprint}) than the one installed here (fingerprint {fingerprint}); assign "
                        "with the model the clusters were made with")


def _digest(tensors: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(np.ascontiguousarray(tensors[name]).tobytes())
    return h.hexdigest()


def _metadata(blob: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors blob (8-byte little-endian header length, then JSON)."""
    if len(blob) < 8:
        raise ValueError("truncated")
    n = int.from_bytes(blob[:8], "little")
    if n <= 0 or n > len(blob) - 8:
        raise ValueError("truncated header")
    header = json.loads(blob[8:8 + n])
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict):
        raise ValueError("no metadata")
    return {str(k): str(v) for k, v in meta.items()}
