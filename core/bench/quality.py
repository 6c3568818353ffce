"""``python -m core bench quality``: label agreement and cluster shape of each method beside raw K-Means."""
from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from core.clustering.cluster import check_k, known_labels, label_scores
from core.config import ClusterConfig, EncoderConfig
from core.errors import UserError
from core.bench.common import load_embedded, machine, n_clusters, seeds
from core.bench.refine_rows import refine_row

log = logging.getLogger(__name__)


def quality(args: argparse.Namespace) -> int:
    """One table: raw-embedding K-Means, the paper's autoencoder and each other objective, mean ± std over seeds."""
    from core.training.objectives import OBJECTIVES
    from core.pipeline import cluster_and_score, coview_views, reassigned, train

    DEFAULT_OBJECTIVE = EncoderConfig.objective

    texts, truth, X, embedder = load_embedded(args)
    k = n_clusters(args, truth)
    check_k(k, len(texts))
    names = args.objectives.split(",") if args.objectives else list(OBJECTIVES)
    for name in names:
        if name not in OBJECTIVES:
            raise UserError(f"unknown objective {name!r}; choose from {', '.join(OBJECTIVES)}")
    cfg = ClusterConfig(k=k)
    rows: dict[str, list[dict]] = {"raw-embedding K-Means (baseline)": []}
    run_seeds = seeds(args)
    coview_label = "co-view: raw K-Means checked by words + neighbours (default clusters)"
    coview_latent_label = f"co-view: {DEFAULT_OBJECTIVE} latent K-Means checked by words + neighbours"
    started = time.perf_counter()
    views = coview_views(X, texts)
    views_s = time.perf_counter() - started
    for seed in run_seeds:
        started = time.perf_counter()
        baseline = cluster_and_score(X, X, truth, cfg, seed)
        rows["raw-embedding K-Means (baseline)"].append(baseline.scores.as_dict()
                                                       | {"train_s": 0.0, "kmeans_s": time.perf_counter() - started})
        latents: dict[str, tuple[np.ndarray, float]] = {}
        latent_labels: dict[str, np.ndarray] = {}
        for name in dict.fromkeys(names + [DEFAULT_OBJECTIVE]):
            started = time.perf_counter()
            latents[name] = (train(X, EncoderConfig(objective=name), seed).latent, time.perf_counter() - started)
            if name not in names:
                continue
            Z, train_s = latents[name]
            stage = cluster_and_score(Z, X, truth, cfg, seed)
            latent_labels[name], scores = stage.clustering.labels, stage.scores.as_dict()
            label = name + (" (default)" if name == DEFAULT_OBJECTIVE else "") + (" (paper)" if name == "autoencoder" else "")
            rows.setdefault(label, []).append(scores | {"train_s": train_s})
            log.info("seed %d %s: acc %.3f in %.1f s", seed, name, scores["acc"] or 0, train_s)
        Z, train_s = latents[DEFAULT_OBJECTIVE]
        starts = {coview_label: baseline.clustering.labels,
                  coview_latent_label: latent_labels.get(DEFAULT_OBJECTIVE)}
        if starts[coview_latent_label] is None:
            starts[coview_latent_label] = cluster_and_score(Z, X, None, cfg, seed).clustering.labels
        for label, start in starts.items():
            started = time.perf_counter()
            scores = reassigned(Z, X, start, texts, views, truth, cfg, seed).scores.as_dict()
            refine_s = time.perf_counter() - started + views_s
            rows.setdefault(label, []).append(scores | {"train_s": train_s + refine_s})
            log.info("seed %d %s: acc %.3f, reassignment %.1f s", seed, label, scores["acc"] or 0, refine_s)
        if getattr(args, "refine", False):
            fast = reassigned(Z, X, starts[coview_label], texts, views, None, cfg, seed).clustering.labels
            label, scores = refine_row(args, texts, X, truth, fast, baseline.clustering.labels, cfg, seed)
            rows.setdefault(label, []).append(scores)
    print(f"quality on {args.data}: {len(texts)} texts, k={k}, seeds {args.seeds}, "
          f"embeddings {embedder.name} ({embedder.backend})")
    print(f"machine: {machine()}")
    columns = [("acc", "ACC"), ("nmi", "NMI"), ("ari", "ARI"), ("silhouette", "silhouette"),
               ("davies_bouldin", "Davies-Bouldin"), ("silhouette_raw", "silhouette raw"),
               ("davies_bouldin_raw", "DB raw"), ("train_s", "train s")]
    print("| method | " + " | ".join(title for _, title in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for label, runs in rows.items():
        cells = []
        for key, _ in columns:
            values = np.array([r[key] for r in runs if r.get(key) is not None], dtype=float)
            cells.append(f"{values.mean():.3f} ± {values.std():.3f}" if len(values) else "n/a")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("silhouette and Davies-Bouldin: in the space that was clustered (latent; raw for the baseline; "
          f"for co-view, the {DEFAULT_OBJECTIVE} encoder's latent); "
          "'raw' columns: the same clusters measured on the raw embeddings (cosine). "
          f"co-view's 'train s' is that encoder's training plus the reassignment (word view and k-NN graph included).")
    probe = linear_probe(X, truth)
    print("reference, trained on the labels (a ceiling for the embeddings, not a clustering method): "
          + (f"a logistic-regression probe on the raw embeddings reaches {probe:.3f} accuracy "
             "(5-fold cross-validated)" if probe is not None else "n/a (a class has fewer than 2 texts)"))
    centres = centre_reference(X, truth, seed=run_seeds[0])
    if centres is not None:
        nearest, settled = centres
        print("reference, the labels' own class centres in the raw space (not a clustering method): "
              f"each text to its nearest class centre gives ACC {nearest['acc']:.3f}, NMI {nearest['nmi']:.3f}; "
              f"K-Means started from those centres settles at ACC {settled['acc']:.3f}, NMI {settled['nmi']:.3f}")
    return 0


def centre_reference(X: np.ndarray, truth: np.ndarray, *, seed: int = 0) -> tuple[dict, dict] | None:
    """Label scores of two partitions of the (n, d) ``X`` built from the labels' class means.

    ``nearest``: each row to its nearest class mean (Euclidean), the best a centroid rule can do with
    the true centres. ``settled``: where K-Means (one run, ``seed``) ends when started from those
    means. A gap between them says the label partition is not a fixed point of K-Means on these
    vectors, so better initialisation cannot close it. Supervised: a reference only. ``None``
    with fewer than two classes.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin

    known, y = known_labels(truth)
    classes = np.unique(y)
    if len(classes) < 2:
        return None
    X = X.astype(np.float64)
    labelled = X[known]
    centres = np.stack([labelled[y == c].mean(axis=0) for c in classes])
    nearest = label_scores(truth, pairwise_distances_argmin(X, centres))
    settled = KMeans(len(classes), init=centres, n_init=1, random_state=seed).fit_predict(X)
    return nearest, label_scores(truth, settled)


def linear_probe(X: np.ndarray, truth: np.ndarray, *, seed: int = 0, folds: int = 5) -> float | None:
    """Cross-validated accuracy of a logistic regression from (n, d) ``X`` to the labels ``truth``.

    Supervised, so it is a reference only: how much of the label structure a linear read-out of the
    embeddings holds, which bounds what clustering them can be expected to recover. Rows without a
    label are left out; ``None`` when a class has fewer than two texts.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    known, y = known_labels(truth)
    _, counts = np.unique(y, return_counts=True)
    folds = min(folds, int(counts.min())) if len(counts) > 1 else 0
    if folds < 2:
        return None
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(LogisticRegression(max_iter=3000), X[known], y, cv=split).mean())
