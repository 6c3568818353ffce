"""The Refine stage of the pipeline: cached fine-tuning, and the refined vectors through the store.

Keys: the refined weights are named by (the base model's fingerprint, the texts (the sample key),
the base vectors' content, the refine settings, k and the seed); they are saved as safetensors in
``<cache>/refined/<key>.safetensors`` and reused by every later run with the same inputs. The
refined vectors go into the embedding store under the refined model's own fingerprint, and the
stage's value (vectors and what the refinement cost) into the stage cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core.embedding.backends import resolve_model_path
from core.errors import UserError
from core.storage.cache import StageCache
from core.clustering.cluster_stage import baseline_stage, default_labels, scale_rules_key
from core.config import ClusterConfig, RefineConfig, RunConfig, cache_dir
from core.tables.data import Corpus
from core.embedding.embed import EmbedResult, Embedder
from core.embedding.embed_fingerprint import model_fingerprint
from core.storage.results import array_key, stage_key
from core.storage.store import EmbeddingStore, text_key

log = logging.getLogger(__name__)

#: Bumped whenever the refinement recipe changes its results for the same settings.
REFINE_RECIPE = 1


@dataclass(frozen=True)
class RefineInfo:
    """What ``metrics.json`` reports of a refinement (``refine``), plus the weights' file."""

    base_model: str
    steps: int
    seconds: float
    device: str
    weights: str

    def as_dict(self) -> dict[str, Any]:
        return {"base_model": self.base_model, "steps": self.steps, "seconds": round(self.seconds, 1),
                "device": self.device}


class RefinedCodec:
    @staticmethod
    def encode(value: tuple[np.ndarray, RefineInfo]) -> dict[str, np.ndarray]:
        vectors, info = value
        return {"vectors": vectors, "info": np.frombuffer(json.dumps(asdict(info)).encode(), np.uint8)}

    @staticmethod
    def decode(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, RefineInfo]:
        vectors = np.asarray(arrays["vectors"], np.float32)
        vectors.setflags(write=False)
        return vectors, RefineInfo(**json.loads(arrays["info"].tobytes().decode()))


def weights_path(key: str) -> Path:
    return cache_dir() / "refined" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.safetensors"


def refine_stage(keys: dict[str, str], texts: list[str], base: EmbedResult, start: Callable[[], tuple[np.ndarray, np.ndarray]],
                 cfg: RefineConfig, cluster: ClusterConfig, seed: int, cache: StageCache, *, model: str,
                 fingerprint: str, store: EmbeddingStore | None = None,
                 progress: Callable[[str, int, int, str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> tuple[str, EmbedResult, RefineInfo]:
    """Fine-tune the model on ``texts`` (see ``core.training.refine``) and return (key, refined vectors, info).

    ``base`` holds the base model's (n, dim) vectors; ``start()`` gives the fast default's (n,)
    clusters and raw K-Means' (n,) partition of them (computed only when the refinement is not cached);
    ``keys`` are the run's ``sample`` and ``embed`` keys. Raises ``core.training.refine.Cancelled`` if
    ``cancelled()`` turns true (nothing is saved then)."""
    # the start's clusters follow K-Means' size rules (fewer restarts for many texts or clusters): so does
    # the key, or weights trained from other start clusters would be read back
    key = stage_key("refine", REFINE_RECIPE, fingerprint, keys["sample"], keys["embed"], asdict(cfg),
                    cluster.k, cluster.method, seed, *scale_rules_key(len(texts), cluster.k))
    path = weights_path(key)
    refined_fp = hashlib.sha256(f"{fingerprint}|{key}".encode()).hexdigest()[:32]
    store_model = f"{refined_fp}|refined"

    def compute() -> tuple[np.ndarray, RefineInfo]:
        from core.embedding.backends import resolve_model_path
        from core.training.refine import fine_tune

        saved = _reuse(path, texts, model, store, store_model, cfg, resolve_model_path(model))
        if saved is not None:
            return saved
        labels, agree = start()
        report = (lambda s, t, m: progress("refine", s, t, m)) if progress else None
        outcome = fine_tune(texts, base.vectors, labels, agree, model_path=resolve_model_path(model),
                            layers=cfg.layers, epochs=cfg.epochs, keep=cfg.keep, lr=cfg.lr, batch=cfg.batch,
                            seed=seed, progress=report, cancelled=cancelled)
        _save(path, outcome.weights, {"base_model": model, "base_fingerprint": fingerprint, "key": key,
                                      "steps": str(outcome.steps), "seconds": f"{outcome.seconds:.3f}",
                                      "device": outcome.device})
        if store is not None:
            store.put(store_model, [(text_key(t), v) for t, v in zip(texts, outcome.vectors)])
        vectors = outcome.vectors
        vectors.setflags(write=False)
        return vectors, RefineInfo(model, outcome.steps, outcome.seconds, outcome.device, str(path))

    vectors, info = cache.fetch("refine", key, compute, RefinedCodec)
    result = EmbedResult(vectors=vectors, hits=len(texts), misses=0, seconds=0.0, backend=f"refined ({info.device})")
    return stage_key("embedded", array_key(vectors)), result, info


def _reuse(path: Path, texts: list[str], model: str, store: EmbeddingStore | None, store_model: str,
           cfg: RefineConfig, model_path: str) -> tuple[np.ndarray, RefineInfo] | None:
    """The refined vectors of saved weights without training again: read from the store, else
    computed by the saved top layers. None when no weights are saved under this key."""
    if not path.is_file():
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
        info = RefineInfo(model, int(meta.get("steps", 0)), float(meta.get("seconds", 0.0)),
                          meta.get("device", "cpu"), str(path))
        keys = [text_key(t) for t in texts]
        found = store.get(store_model, list(dict.fromkeys(keys))) if store is not None else {}
        if all(k in found for k in keys):
            return np.stack([found[k] for k in keys]).astype(np.float32), info
        from core.training.refine import TopLayers, refine_device

        top = TopLayers(model_path, cfg.layers, refine_device()[0])
        top.load(load_weights(path))
        vectors = top.embed(top.lower_states(texts))
        if store is not None:
            store.put(store_model, [(text_key(t), v) for t, v in zip(texts, vectors)])
        log.info("reused the refined weights in %s", path)
        return vectors, info
    except Exception as exc:  # a damaged file: refine again
        log.warning("could not reuse the refined weights in %s (%s); refining again", path, exc)
        return None


def _save(path: Path, weights: dict, metadata: dict[str, str]) -> None:
    """The refined top layers as safetensors (written to a temporary name, then renamed)."""
    from safetensors.torch import save_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        save_file(weights, str(partial), metadata=metadata)
        partial.replace(path)
    except OSError as exc:  # the vectors are still returned and cached; only reuse across caches is lost
        log.warning("could not save the refined weights to %s (%s)", path, exc)


def load_weights(path: str | Path) -> dict:
    """The refined top layers saved by a refinement (parameter name -> tensor)."""
    from safetensors.torch import load_file

    return load_file(str(path))


def refine_run(cfg: RunConfig, corpus: Corpus, sample_key: str, embed_key: str, embedded: EmbedResult,
               cache: StageCache, *, embedder: Embedder | None, store: EmbeddingStore | None, progress: Callable[[str, int, int, str], None] | None,
               cancelled: Callable[[], bool] | None) -> tuple[str, EmbedResult, RefineInfo]:
    """The refine stage (``core.training.refine_stage``) started from the fast default's clusters of ``embedded``.
    A static model has no layers to fine-tune: refining it is a UserError."""
    from core.embedding.static_embedder import is_static_folder

    if is_static_folder(resolve_model_path(cfg.embed.model)):
        raise UserError("Refine fine-tunes the sentence transformer's layers, and the static embedder has none; "
                        "choose the full model (all-MiniLM-L6-v2) to refine")
    X, texts = embedded.vectors, corpus.texts
    keys = {"sample": sample_key, "embed": embed_key}
    start_cfg = replace(cfg.cluster, method="coview")

    def start() -> tuple[np.ndarray, np.ndarray]:
        # with the labels: this is the run's cached baseline too, and the cards score it against them
        _, base = baseline_stage(embed_key, sample_key, X, corpus.labels, start_cfg, cfg.seed, cache)
        return default_labels(keys, X, texts, corpus.labels, start_cfg, cfg.seed, cache), base.clustering.labels

    fingerprint = embedder.fingerprint if embedder else model_fingerprint(resolve_model_path(cfg.embed.model))
    return refine_stage(keys, texts, embedded, start, cfg.refine, cfg.cluster, cfg.seed, cache,
                        model=cfg.embed.model, fingerprint=fingerprint, store=store, progress=progress,
                        cancelled=cancelled)
