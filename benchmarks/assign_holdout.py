"""Assigning held-out texts (#26): quality against the run's own ACC, alternatives, and speed.

Runs the default pipeline on ``--fraction`` (90 %) of a labelled corpus (seed 42), assigns the other
texts with ``core.clustering.assign`` and prints

- ACC of the assigned texts against their labels, beside the run's own ACC (the target: within 0.02),
  both under the best one-to-one matching of the assigned texts and under the run's own matching;
- the same for alternatives measured here: the nearest cluster centre in the latent space (the
  encoder's ``transform``), the nearest centroid of the raw embeddings, a vote of the nearest run
  texts in the latent space; and the kNN vote from the float16 model file;
- the map: the share of placed texts whose 10 nearest old points on the map are mostly of their cluster;
- the confidence: AUROC of telling the texts of a topic the references lack (one label's texts taken
  out of the reference set) from the others, and of telling right assignments from wrong ones;
- speed: assigning ``--speed-texts`` distinct texts (embedding them, then the rest) against the time
  of embedding them and of the bare similarity product of the same size, measured in the same run.

    python benchmarks/assign_holdout.py [--data $CLUSTERLENS_SHARED_DATA/ag_news_test.csv]

Public core functions only; ``--data`` defaults to AG News in the shared data folder (``_common``).
"""
from __future__ import annotations

import argparse
import logging
import time

import _common  # the repository on the import path

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from core.clustering.assign import ClusterModel
from core.clustering.assign_file import model_bytes, read_model_bytes
from core.embedding.backends import backend_for
from core.storage.cache import DiskCache
from core.clustering.cluster import confusion, label_scores
from core.config import DataConfig, RunConfig
from core.tables.data import build_corpus
from core.embedding.embed import default_results, default_store, embed_texts, get_embedder
from core.tables.export import cluster_name
from core.pipeline import run


def matched(run_truth: np.ndarray, run_labels: np.ndarray, truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(m,) whether each of ``pred`` is right under the run's own cluster -> label matching (Hungarian
    on the run's texts)."""
    table, clusters, classes = confusion(np.asarray(run_truth, dtype=str), run_labels)
    rows, cols = linear_sum_assignment(-table)
    label_of = {clusters[r]: classes[c] for r, c in zip(rows, cols)}
    return np.array([label_of.get(p) == t for p, t in zip(pred, np.asarray(truth, dtype=str))])


def map_consistency(xy_new: np.ndarray, assigned: np.ndarray, xy_old: np.ndarray, old: np.ndarray) -> float:
    """Share of new points whose 10 nearest old points on the map are mostly of the new point's cluster."""
    hits = 0
    for p, c in zip(xy_new, assigned):
        near = np.argsort(((xy_old - p) ** 2).sum(1))[:10]
        values, counts = np.unique(old[near], return_counts=True)
        hits += values[counts.argmax()] == c
    return hits / len(xy_new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _common.add_data_argument(parser, _common.AG_NEWS)
    parser.add_argument("--fraction", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--speed-texts", type=int, default=10_000, help="texts for the speed test (0: skip)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    cfg = RunConfig(data=DataConfig(source=args.data, fraction=args.fraction), seed=args.seed)
    started = time.perf_counter()
    result = run(cfg, cache=DiskCache(default_results()), store=default_store())
    seconds = time.perf_counter() - started
    print(f"run: {len(result.corpus)} texts, k={cfg.cluster.k}, seed {cfg.seed} ({seconds:.0f} s, from the caches "
          "where they held it)")
    full = build_corpus(args.data)
    seen = set(result.corpus.frame["id"].tolist())
    held = full.frame[~full.frame["id"].isin(seen)]
    texts, truth = held["text"].tolist(), held["label"].astype(str).to_numpy()
    backend = backend_for(cfg.embed.backend, len(result.corpus))
    embedder = get_embedder(cfg.embed.model, backend)
    batch = 1 if backend != cfg.embed.backend else cfg.embed.batch_size  # as the run's embed stage
    vectors = embed_texts(texts, embedder, store=default_store(), batch_size=batch).vectors

    clustering = result.clusters.clustering
    labels, run_truth = clustering.labels, result.corpus.labels
    names = {s.cluster: cluster_name(s) for s in result.summaries}
    model = ClusterModel.of(result, labels, names, fingerprint=embedder.fingerprint, backend=embedder.backend)
    assigned = model.assign(vectors)
    run_acc = result.clusters.scores.acc

    def row(name: str, pred: np.ndarray) -> None:
        own = label_scores(truth, pred)["acc"]
        acc = float(matched(run_truth, labels, truth, pred).mean())
        print(f"  {name:<44} {own:.4f}  {acc:.4f}  {acc - run_acc:+.4f}")

    print(f"\nquality: {len(texts)} held-out texts; the run's own ACC {run_acc:.4f}")
    print(f"  {'method':<44} ACC     ACC*    ACC* - run ACC   (ACC*: under the run's own matching)")
    row("kNN vote on the sentence vectors (core.clustering.assign)", assigned.clusters)
    blob = model_bytes(model)
    from_file = read_model_bytes(blob, "model").assign(vectors)
    row("  the same from the float16 model file", from_file.clusters)
    Z, Zq = result.latent, result.encoder.transform(vectors)
    row("nearest centre in the latent space", ((Zq[:, None] - clustering.centers[None]) ** 2).sum(-1).argmin(1))
    X = result.base_vectors
    ids = np.unique(labels)
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    centroids = unit(np.stack([X[labels == c].mean(0) for c in ids]))
    row("nearest centroid of the sentence vectors (cosine)", ids[(vectors @ centroids.T).argmax(1)])
    latent = ClusterModel(unit(Z), labels, names, None, "", "", "")
    row("kNN vote in the latent space", latent.assign(unit(Zq)).clusters)
    print(f"  float16 file: {len(blob) / 1e6:.1f} MB; assignments equal to float32's: "
          f"{np.mean(from_file.clusters == assigned.clusters):.4f}")

    if result.xy is not None:
        print(f"\nmap: placed texts among their own cluster on the map: "
              f"{map_consistency(assigned.xy, assigned.clusters, result.xy, labels):.3f}")
    matched_right = matched(run_truth, labels, truth, assigned.clusters)
    novelty = []
    for topic in np.unique(run_truth.astype(str)):
        keep = run_truth.astype(str) != topic
        partial = ClusterModel(X[keep], labels[keep], names, None, "", "", "")
        novelty.append(roc_auc_score(truth == topic, -partial.assign(vectors).confidence))
    print(f"confidence: AUROC new topic vs known {np.mean(novelty):.3f} (per topic "
          f"{', '.join(f'{a:.3f}' for a in novelty)}); right vs wrong "
          f"{roc_auc_score(matched_right, assigned.confidence):.3f}")
    for low, high in ((0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        band = (assigned.confidence >= low) & (assigned.confidence < high)
        if band.any():
            print(f"  confidence [{low}, {min(high, 1)}{']' if high > 1 else ')'}: {band.sum():4d} texts, "
                  f"ACC* {matched_right[band].mean():.3f}")

    if args.speed_texts:
        pool = list(dict.fromkeys(full.texts + [t.split(". ", 1)[-1] for t in full.texts]))
        many = pool[: args.speed_texts]
        started = time.perf_counter()
        new = embed_texts(many, embedder, store=None, batch_size=batch).vectors  # no store: the real cost
        embedding = time.perf_counter() - started
        timings, cpu, products = [], [], []
        for _ in range(3):
            started, cpu_started = time.perf_counter(), time.process_time()
            model.assign(new)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            started = time.perf_counter()
            new @ model.vectors.T  # the bare similarity product of the same size
            products.append(time.perf_counter() - started)
        cost = min(timings)
        print(f"\nspeed: {len(many):,} texts against {len(model.clusters):,} reference texts; embedding "
              f"{embedding:.1f} s ({embedder.backend}), assigning {cost:.2f} s wall, {min(cpu):.2f} CPU s on "
              f"{torch.get_num_threads()} threads (best of 3; the bare product {min(products):.2f} s, ratio "
              f"{cost / min(products):.2f}); embedding + assigning = {(embedding + cost) / embedding:.3f} x "
              f"embedding; target: assigning <= 3 s: {'met' if cost <= 3 else 'NOT met'} (wall)")


if __name__ == "__main__":
    main()
