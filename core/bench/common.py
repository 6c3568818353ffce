"""What every benchmark shares: the machine's description and the embedded, labelled corpus."""
from __future__ import annotations

import argparse
import logging
import platform
import time

import numpy as np

from core.tables.data import build_corpus
from core.embedding.embed import default_store, embed_texts, get_embedder
from core.errors import UserError

log = logging.getLogger(__name__)


def machine() -> str:
    import os

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {gpu}, Python {platform.python_version()}, torch {torch.__version__}"


def load_embedded(args: argparse.Namespace):
    """The benchmark corpus (all rows, or the first --limit) and its embeddings, through the store."""
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, got {args.limit}")
    corpus = build_corpus(args.data, label_col=getattr(args, "label_col", None))
    if corpus.labels is None:
        raise UserError(f"{args.data} has no label column: the quality benchmark needs labels to evaluate")
    texts, truth = corpus.texts[: args.limit], corpus.labels[: args.limit]  # a None limit keeps all
    embedder = get_embedder(args.model, args.backend)
    started = time.perf_counter()
    result = embed_texts(texts, embedder, store=default_store(),
                         progress=lambda d, t: log.info("embedded %d of %d", d, t))
    log.info("embeddings ready in %.1f s (%d from the store)", time.perf_counter() - started, result.hits)
    return texts, truth, result.vectors, embedder


def n_clusters(args: argparse.Namespace, truth: np.ndarray) -> int:
    """--k, else the number of distinct labels."""
    return args.k or len({t for t in truth if t is not None})


def seeds(args: argparse.Namespace) -> list[int]:
    try:
        values = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        values = []
    if not values or any(not 0 <= v < 2**32 for v in values):
        raise UserError(f"--seeds takes comma-separated integers from 0 to 2**32 - 1, got {args.seeds!r}")
    return values
