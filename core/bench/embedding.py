"""Embedding speed and fidelity per backend, against sentence-transformers in float32."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from core.embedding.backends import LoadedModel, load_model
from core.config import cache_dir as default_cache_dir

log = logging.getLogger(__name__)
BASELINE = "torch-fp32"


def _timed(model: LoadedModel, texts: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=batch_size)
    return time.perf_counter() - started, vectors


def bench_embedding(texts: list[str], *, model: str, backends: list[str], repeats: int = 3,
                    batch_size: int = 64, cache_dir: Path | None = None, baseline: str = BASELINE,
                    loaded: dict[str, LoadedModel] | None = None) -> list[dict]:
    """Per backend: texts/s (best of ``repeats``), speed ratio and min/mean cosine vs ``baseline``.

    Runs alternate baseline and candidate, so a noisy machine slows both alike. ``backend`` in
    each row is what actually ran (a requested backend that is unavailable is replaced, with a
    warning); ``requested`` is what was asked for. ``loaded`` holds models the caller has already
    loaded, by requested backend, so they are not loaded again.
    """
    cache = cache_dir or default_cache_dir()
    ready = loaded or {}

    def get(name: str) -> LoadedModel:
        return ready[name] if name in ready else load_model(model, backend=name, cache_dir=cache)

    base = get(baseline)
    models = {name: get(name) for name in backends}
    for loaded in (base, *models.values()):
        loaded.encode(texts[:batch_size], batch_size=batch_size)  # warm-up: allocators, kernels
    best = {name: float("inf") for name in (baseline, *models)}
    outputs: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for name, loaded in models.items():
            for key, runner in ((baseline, base), (name, loaded)):
                seconds, outputs[key] = _timed(runner, texts, batch_size)
                best[key] = min(best[key], seconds)
    if not models:
        best[baseline], outputs[baseline] = _timed(base, texts, batch_size)
    reference = outputs[baseline]
    rows = []
    for name in (baseline, *models):
        cosine = np.sum(outputs[name] * reference, axis=1)
        rows.append({"requested": name, "backend": models[name].backend if name in models else base.backend,
                     "texts": len(texts), "texts_per_s": len(texts) / best[name],
                     "ratio": best[baseline] / best[name],
                     "min_cosine": float(cosine.min()), "mean_cosine": float(cosine.mean())})
        log.info("%s: %.1f texts/s, x%.2f, min cosine %.4f", name, rows[-1]["texts_per_s"],
                 rows[-1]["ratio"], rows[-1]["min_cosine"])
    return rows
