"""What limits Refine: its teacher or its model? (issue #13; a diagnostic, labels used on purpose)

    python benchmarks/refine_teacher.py --corpus ag --mode confident-true|random-true|random-default

Runs Refine's own training (``core.training.refine.fine_tune``: the top 2 layers, 2 epochs, its batch and
learning rate) with another teacher (its ``labels``) on other texts (its ``chosen``), then K-Means (k, seed 42) on the re-embedded texts:
- ``confident-true``: Refine's own choice of texts (each cluster's most typical half by margin) but
  the *true* labels on them: Refine with a perfect teacher.
- ``random-true``: the true labels on a random half of the texts: a perfect teacher that also covers
  the hard texts.
- ``random-default``: the fast default's clusters (raw K-Means refined by the co-view) on a random
  half, so the other half is embedded by a model that never saw its clusters (cross-fitting).
The first two use the labels to train and are oracles, not methods: they say how far a better
teacher could take the same model. "unseen": the texts left out of the training, each sent to the
nearest centre of the trained texts' classes (or clusters) in the refined space.
Corpora as in ``benchmarks/coview_corpora.py``.
"""
from __future__ import annotations

import argparse
import time

import coview_corpora as cc  # noqa: E402  (sets one BLAS/OpenMP thread and the import path)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.training.refine import fine_tune, pseudo_labels  # noqa: E402
from core.embedding.backends import resolve_model_path  # noqa: E402
from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.config import DEFAULT_MODEL, RefineConfig  # noqa: E402
from core.clustering.coview import reassign as coview  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="ag")
    parser.add_argument("--mode", choices=["confident-true", "random-true", "random-default"], required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    texts, y, X, k = cc.corpus(args.corpus)
    texts = list(texts)
    _, truth = np.unique(y, return_inverse=True)
    fast = coview(X, kmeans(X, k, seed=42).labels, texts, seed=42).labels
    teacher = fast if args.mode == "random-default" else truth
    cfg = RefineConfig()
    if args.mode == "confident-true":  # Refine's own choice of texts, made on the teacher's clusters
        seen = pseudo_labels(X, teacher, None, cfg.keep)
    else:
        seen = np.zeros(len(teacher), bool)
        seen[np.random.default_rng(0).permutation(len(teacher))[: len(teacher) // 2]] = True
    started = time.perf_counter()
    out = fine_tune(texts, X, teacher, None, model_path=resolve_model_path(DEFAULT_MODEL), layers=cfg.layers,
                    epochs=cfg.epochs, keep=cfg.keep, lr=cfg.lr, batch=cfg.batch, seed=42, chosen=seen)
    seconds = time.perf_counter() - started
    V = out.vectors
    whole = label_scores(y, kmeans(V, k, seed=42).labels)
    centres = np.stack([V[seen & (teacher == c)].mean(0) for c in range(k)])
    unseen = label_scores(y[~seen], (V[~seen] @ centres.T).argmax(1))
    before = label_scores(y[~seen], fast[~seen])
    taught = label_scores(y[seen], teacher[seen])
    print(f"| {args.corpus} | {args.mode} | {taught['acc']:.3f} | {whole['acc']:.3f} / {whole['nmi']:.3f} "
          f"| {unseen['acc']:.3f} / {unseen['nmi']:.3f} | {before['acc']:.3f} / {before['nmi']:.3f} "
          f"| {out.steps} ({seconds:.0f} s) |")


if __name__ == "__main__":
    main()
