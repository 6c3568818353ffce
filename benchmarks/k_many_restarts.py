"""K-Means restarts at many clusters: the cold cluster stage of a new k (K-Means, the co-view's
reassignment, the scores), with ten restarts (the rule before) and with the restarts ``core.clustering.cluster.restarts``
allows at that k, on the same embeddings in the same run, with ACC/NMI against the labels for each
(labels only evaluate) over a few seeds.

    python benchmarks/k_many_restarts.py                      # BANKING77 ($CLUSTERLENS_SHARED_DATA), k = 77
    python benchmarks/k_many_restarts.py --k 150 --data FILE
"""
from __future__ import annotations

import argparse
import os
import time

import _common  # the repository on the import path

import numpy as np  # noqa: E402

from core.clustering import cluster  # noqa: E402
from core.clustering.cluster import label_scores, restarts  # noqa: E402
from core.clustering.cluster_stage import coview_views, reassigned  # noqa: E402
from core.config import ClusterConfig  # noqa: E402
from core.tables.data import read_source  # noqa: E402
from core.embedding.embed import default_store, embed_texts, get_embedder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _common.add_data_argument(parser, _common.BANKING77)
    parser.add_argument("--k", type=int, default=77)
    parser.add_argument("--seeds", default="42,0,1")
    args = parser.parse_args()
    frame, _ = read_source(str(args.data))
    texts = frame[frame.columns[0]].astype(str).tolist()
    truth = frame[frame.columns[-1]].to_numpy() if frame.shape[1] > 1 else None
    X = embed_texts(texts, get_embedder(), store=default_store()).vectors
    views = coview_views(X, texts)
    cfg = ClusterConfig(k=args.k)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = {}
    for label, budget in (("10 restarts (before)", 10 ** 9), (f"{restarts(len(X), 10, args.k)} restarts (now)",
                                                               cluster.K_RESTART_BUDGET)):
        cluster.K_RESTART_BUDGET = budget
        seconds, scores = [], []
        for seed in seeds:
            started = time.perf_counter()
            start = cluster.kmeans(X, args.k, seed=seed, n_init=cfg.n_init)
            stage = reassigned(X, X, start.labels, texts, views, truth, cfg, seed)
            seconds.append(time.perf_counter() - started)
            scores.append(label_scores(truth, stage.clustering.labels))
        rows[label] = (float(np.mean(seconds)), scores)
    base = next(iter(rows.values()))[0]
    print(f"{len(X):,} texts, k = {args.k}, seeds {seeds}, load average {os.getloadavg()[0]:.1f}")
    for label, (secs, scores) in rows.items():
        acc = np.mean([s["acc"] or 0 for s in scores])
        nmi = np.mean([s["nmi"] or 0 for s in scores])
        print(f"{label:24s} {secs:6.1f} s a k ({secs / base:.2f} of ten restarts' time)  ACC {acc:.3f}  NMI {nmi:.3f}")


if __name__ == "__main__":
    main()
