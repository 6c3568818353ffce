"""How many training steps a small corpus needs (issue 16): the neighbour objective with at most
``cap`` passes over the texts per epoch, against no cap (the old floor of 30 batches an epoch).

    python benchmarks/train_budget.py SOURCE FRACTION K [CAP ...]

SOURCE is a corpus file (e.g. ``$CLUSTERLENS_SHARED_DATA/ag_news_test.csv``) or ``demo``. The caps
are neighbour objectives registered under their own names (``neighbours-passes-CAP``) with
``max_passes=CAP``; the shipped objective also caps the batches an epoch (``max_batches``), which
these keep.

Prints the raw K-Means baseline, then for each cap the training CPU seconds and the scores of
K-Means on the latent vectors (``latent``) and of the default co-view clusters (``coview``), seed 42,
torch-fp32 embeddings (the backend ``auto`` uses for a small sample).
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import _common  # noqa: F401  (the repository on the import path)

from core.training import objectives  # noqa: E402
from core import pipeline as P  # noqa: E402
from core.config import ClusterConfig, EncoderConfig  # noqa: E402
from core.tables.data import build_corpus, sample  # noqa: E402
from core.embedding.embed import default_store, embed_texts, get_embedder  # noqa: E402


def capped_objective(cap: int | None) -> str:
    """The name of the neighbour objective with at most ``cap`` passes an epoch (None: no cap),
    registered beside the shipped ones the way a new objective is."""
    name = f"neighbours-passes-{cap}"
    objectives.OBJECTIVES[name] = replace(objectives.NeighbourEmbedding(), name=name, max_passes=cap)
    return name


def scores(stage: P.ClusterStage) -> dict:
    return {k: round(v, 3) for k, v in stage.scores.as_dict().items() if v is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a corpus file, or 'demo'")
    parser.add_argument("fraction", type=float, help="the share of its texts (sample seed 42)")
    parser.add_argument("k", type=int)
    parser.add_argument("caps", nargs="*", type=int, help="passes an epoch to try beside no cap")
    args = parser.parse_args()
    source, fraction, k = args.source, args.fraction, args.k
    corpus = sample(build_corpus(source), fraction, 42)
    X = embed_texts(corpus.texts, get_embedder("all-MiniLM-L6-v2", "torch-fp32"), store=default_store()).vectors
    cfg = ClusterConfig(k=k)
    base = P.cluster_and_score(X, X, corpus.labels, cfg, 42)
    print(len(X), "texts; baseline", scores(base))
    views = P.coview_views(X, corpus.texts)
    for cap in [None, *args.caps]:
        started = time.process_time()
        trained = P.train(X, EncoderConfig(objective=capped_objective(cap)), 42)
        seconds = time.process_time() - started
        latent = P.cluster_and_score(trained.latent, X, corpus.labels, cfg, 42)
        coview = P.reassigned(trained.latent, X, base.clustering.labels, corpus.texts, views, corpus.labels, cfg, 42)
        print(f"cap {cap}: {seconds:.1f} CPU-s; latent {scores(latent)}\n    coview {scores(coview)}", flush=True)


if __name__ == "__main__":
    main()
