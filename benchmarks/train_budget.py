"""How many training steps a small corpus needs (issue 16): the neighbour objective with at most
``cap`` passes over the texts per epoch, against no cap (the old floor of 30 batches an epoch).

    python benchmarks/train_budget.py SOURCE FRACTION K [CAP ...]

Prints the raw K-Means baseline, then for each cap the training CPU seconds and the scores of
K-Means on the latent vectors (``latent``) and of the default co-view clusters (``coview``), seed 42,
torch-fp32 embeddings (the backend ``auto`` uses for a small sample).
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import objectives  # noqa: E402
from core import pipeline as P  # noqa: E402
from core.config import ClusterConfig, EncoderConfig  # noqa: E402
from core.data import build_corpus, sample  # noqa: E402
from core.embed import default_store, embed_texts, get_embedder  # noqa: E402


def scores(stage: P.ClusterStage) -> dict:
    return {k: round(v, 3) for k, v in stage.scores.as_dict().items() if v is not None}


def main() -> None:
    source, fraction, k = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    corpus = sample(build_corpus(source), fraction, 42)
    X = embed_texts(corpus.texts, get_embedder("all-MiniLM-L6-v2", "torch-fp32"), store=default_store()).vectors
    cfg = ClusterConfig(k=k)
    base = P.cluster_and_score(X, X, corpus.labels, cfg, 42)
    print(len(X), "texts; baseline", scores(base))
    views = P.coview_views(X, corpus.texts)
    original = objectives.anchor_batches
    for cap in [None] + [int(a) for a in sys.argv[4:]]:
        objectives.anchor_batches = lambda n, b, mb, g, d, _=None, cap=cap: original(n, b, mb, g, d, cap)
        started = time.process_time()
        trained = P.train(X, EncoderConfig(), 42)
        seconds = time.process_time() - started
        latent = P.cluster_and_score(trained.latent, X, corpus.labels, cfg, 42)
        coview = P.refined(trained.latent, X, base.clustering.labels, corpus.texts, views, corpus.labels, cfg, 42)
        print(f"cap {cap}: {seconds:.1f} CPU-s; latent {scores(latent)}\n    coview {scores(coview)}", flush=True)


if __name__ == "__main__":
    main()
