"""K-Means on the two views side by side: the (n, 384) embeddings next to ``w`` times the word view's
100-d LSA (TF-IDF of words and word pairs, ``core.clustering.coview.word_view``, truncated SVD, rows
L2-normalised), seed 42. A tried alternative to the co-view refinement (issue #13); labels only
evaluate.

    python benchmarks/concat_views.py [--corpora ag,ag760,banking] [--weights 0,0.5,1]

Corpora as in ``benchmarks/coview_corpora.py``.
"""
from __future__ import annotations

import argparse

import coview_corpora as cc  # noqa: E402  (sets one BLAS/OpenMP thread and the import path)

import numpy as np  # noqa: E402
from sklearn.decomposition import TruncatedSVD  # noqa: E402

from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.clustering.coview import word_view  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="ag,ag760,banking")
    parser.add_argument("--weights", default="0,0.5,1")
    args = parser.parse_args()
    print("| corpus | w | ACC | NMI |\n|---|---|---|---|")
    for name in args.corpora.split(","):
        texts, y, X, k = cc.corpus(name)
        words = word_view(texts)
        lsa = TruncatedSVD(100, random_state=0).fit_transform(words)
        lsa /= np.maximum(np.linalg.norm(lsa, axis=1, keepdims=True), 1e-12)
        for w in (float(v) for v in args.weights.split(",")):
            labels = kmeans(np.hstack([X, w * lsa]).astype(np.float32), k, seed=42).labels
            scores = label_scores(y, labels)
            print(f"| {name} | {w:g} | {scores['acc']:.3f} | {scores['nmi']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
