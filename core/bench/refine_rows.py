"""``bench quality --refine``: the Refine stage's row, measured the way the pipeline runs it."""
from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from core.config import ClusterConfig, EncoderConfig, RefineConfig

log = logging.getLogger(__name__)


def refine_row(args: argparse.Namespace, texts: list[str], X: np.ndarray, truth: np.ndarray, fast: np.ndarray,
               base: np.ndarray, cfg: ClusterConfig, seed: int) -> tuple[str, dict]:
    """Fine-tune from the fast default's (n,) clusters ``fast`` (raw K-Means' ``base`` as the agreeing
    view), then the default clusters and the default encoder on the refined (n, dim) vectors. The
    'train s' column holds the refinement's seconds plus the training and refinement after it."""
    from core.embedding.backends import resolve_model_path
    from core.pipeline import carried, coview_views, reassigned, train
    from core.training.refine import fine_tune

    r = RefineConfig(enabled=True, epochs=args.refine_epochs, layers=args.refine_layers)
    started = time.perf_counter()
    outcome = fine_tune(texts, X, fast, base, model_path=resolve_model_path(args.model), layers=r.layers,
                        epochs=r.epochs, keep=r.keep, lr=r.lr, batch=r.batch, seed=seed,
                        progress=lambda s, t, m: log.info("refine: %s", m) if (s and s % 20 == 0) or s == t else None)
    V = outcome.vectors
    Z = train(V, EncoderConfig(), seed).latent
    start = carried(V, fast, cfg.k)  # the fast default's clusters carried into the refined space, as the pipeline
    scores = reassigned(Z, V, start, texts, coview_views(V, texts), truth, cfg, seed).scores.as_dict()
    seconds = time.perf_counter() - started
    log.info("seed %d refine: acc %.3f after %d steps in %.0f s (%s)", seed, scores["acc"] or 0, outcome.steps,
             outcome.seconds, outcome.device)
    label = (f"refine: top {r.layers} layers fine-tuned ({r.epochs} epochs, {outcome.device}), "
             "then the default clusters")
    return label, scores | {"train_s": seconds}
