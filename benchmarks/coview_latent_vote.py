"""The co-view's neighbour vote taken on the trained encoder's latent instead of the raw embeddings
(issue #13; tried, not adopted).

    python benchmarks/coview_latent_vote.py demo,ag760,ag300-1,ag300-0,ag

For each corpus and seed 0, 1, 42: the share of each text's neighbours with its own label (raw space,
then the default `neighbours` encoder's latent), raw K-Means, and the co-view refinement of it with
the vote on either graph. Corpora as in ``benchmarks/coview_corpora.py``; labels only evaluate.
"""
import argparse

import coview_corpora as cc  # noqa: E402  (sets one BLAS/OpenMP thread and the import path)

import numpy as np  # noqa: E402

from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.config import EncoderConfig  # noqa: E402
from core.clustering.coview import neighbours_of, reassign, word_view  # noqa: E402
from core.pipeline import train  # noqa: E402


def purity(N: np.ndarray, y: np.ndarray) -> float:
    return float((y[N] == y[:, None]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", default="demo,ag760,ag300-1,ag300-0,ag",
                        help="comma-separated names of benchmarks/coview_corpora.py's corpora")
    for name in parser.parse_args().corpora.split(","):
        texts, y, X, k = cc.corpus(name)
        W = word_view(list(texts))
        NX = neighbours_of(X)
        for s in (0, 1, 42):
            Z = train(X, EncoderConfig(), s).latent
            NZ = neighbours_of(Z / np.linalg.norm(Z, axis=1, keepdims=True))
            base = kmeans(X, k, seed=s).labels
            b = label_scores(y, base)
            a = label_scores(y, reassign(X, base, list(texts), seed=s, neighbours=NX, words=W).labels)
            c = label_scores(y, reassign(X, base, list(texts), seed=s, neighbours=NZ, words=W).labels)
            print(f"{name} s{s} purity raw {purity(NX,y):.3f} latent {purity(NZ,y):.3f} | raw {b['acc']:.3f}/{b['nmi']:.3f} | vote raw {a['acc']:.3f}/{a['nmi']:.3f} | vote latent {c['acc']:.3f}/{c['nmi']:.3f}", flush=True)


if __name__ == "__main__":
    main()
