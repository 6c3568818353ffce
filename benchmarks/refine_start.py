"""Refine's clusters: K-Means from scratch on the refined vectors, against starting from the fast
default's own clusters, on the development corpora.

    python benchmarks/refine_start.py [--corpora demo,ag760,...] [--seed 42]
    python benchmarks/refine_start.py --first 300,500 [--seed 42]

The corpora are ``benchmarks/coview_corpora.py``'s, or with ``--first`` AG News' first N rows embedded
as ``python -m core bench quality --limit N`` embeds them (the backend ``auto`` picks for N texts). For each: the fast default (raw K-Means refined
by the co-view), then Refine's fine-tuning from it (``core.training.refine.fine_tune``, the app's settings),
then three ways to cluster the refined vectors ``V``, each followed by the co-view refinement on ``V``:

- ``scratch``: K-Means on ``V`` with ``n_init`` restarts (the pipeline's clusters when this was written);
- ``cosine``: each text to the nearest (by cosine) of the fast default's cluster centres in ``V``;
- ``euclid``: the same by Euclidean distance (one K-Means assignment step from those centres).

Prints ACC / NMI of each and their change against the fast default.
"""
from __future__ import annotations

import argparse
import logging
import time

import _common  # noqa: F401  (the repository on the import path)

import numpy as np  # noqa: E402

from coview_corpora import corpus  # noqa: E402
from core.embedding.backends import resolve_model_path  # noqa: E402
from core.config import ClusterConfig, RefineConfig  # noqa: E402
from core.pipeline import cluster_and_score, coview_views, reassigned  # noqa: E402
from core.training.refine import fine_tune  # noqa: E402


def starts(V: np.ndarray, fast: np.ndarray, k: int) -> dict[str, np.ndarray]:
    centres = np.stack([V[fast == c].mean(0) for c in range(k)])
    unit = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    return {"cosine": np.argmax(V @ unit.T, axis=1),
            "euclid": np.argmin(((V[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)}


def first_rows(n: int):
    """(texts, labels, (n, d) embeddings, k) of AG News' first ``n`` rows, as ``bench quality --limit n``."""
    from core.bench.common import load_embedded

    args = argparse.Namespace(data=str(_common.data_file(_common.AG_NEWS)), limit=n,
                              model="all-MiniLM-L6-v2", backend="auto", label_col=None)
    texts, truth, X, _ = load_embedded(args)
    return texts, truth, X, len({t for t in truth if t is not None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="demo,ag760,ag300-0,ag300-1,ag1000-0,agunbal-0,banking")
    parser.add_argument("--first", default="", help="AG News' first N rows instead, comma-separated sizes")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    names = [f"first-{n}" for n in args.first.split(",") if n] or args.corpora.split(",")
    seed, r = args.seed, RefineConfig(enabled=True)
    print("| corpus | n | k | steps | fast default | scratch (change) | cosine (change) | euclid (change) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        texts, truth, X, k = first_rows(int(name[6:])) if name.startswith("first-") else corpus(name)
        cfg = ClusterConfig(k=k)
        base = cluster_and_score(X, X, truth, cfg, seed).clustering.labels
        fast = reassigned(X, X, base, texts, coview_views(X, texts), truth, cfg, seed)
        started = time.perf_counter()
        outcome = fine_tune(texts, X, fast.clustering.labels, base, model_path=resolve_model_path("all-MiniLM-L6-v2"),
                            layers=r.layers, epochs=r.epochs, keep=r.keep, lr=r.lr, batch=r.batch, seed=seed)
        V, views = outcome.vectors, coview_views(outcome.vectors, texts)
        ways = {"scratch": cluster_and_score(V, V, None, cfg, seed).clustering.labels}
        ways.update(starts(V, fast.clustering.labels, k))
        f = fast.scores
        cells = []
        for labels in ways.values():
            s = reassigned(V, V, labels, texts, views, truth, cfg, seed).scores
            cells.append(f"{s.acc:.3f} / {s.nmi:.3f} ({s.acc - f.acc:+.3f} / {s.nmi - f.nmi:+.3f})")
        print(f"| {name} | {len(X)} | {k} | {outcome.steps} ({time.perf_counter() - started:.0f} s) | "
              f"{f.acc:.3f} / {f.nmi:.3f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
