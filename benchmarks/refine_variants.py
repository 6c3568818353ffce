"""Refine variants on the first N rows of AG News' test split (issue #13): what moves the clusters.

    python benchmarks/refine_variants.py 2400                   # Refine as shipped (2 top layers, 2 epochs)
    python benchmarks/refine_variants.py 2400 --rounds 3        # iterated: pseudo-labels re-derived each round
    python benchmarks/refine_variants.py 2400 --word-teacher    # only the word view as a teacher, no training

The start is what Refine starts from: raw K-Means (n_init 10, seed 42) on the onnx-int8 vectors of
the default store, refined by the word view (the fast default, ``core.clustering.coview``). Each round takes
``core.training.refine.pseudo_labels`` of the current partition, trains the top layers with
``core.training.refine.supervised_contrast`` over neighbour partners (as ``core.training.refine.fine_tune`` does, but
keeping the model between rounds), re-embeds every text and re-clusters the new vectors the same way
(K-Means, then the word view). ``--word-teacher`` asks instead whether the word view could teach the
texts Refine leaves out: a TF-IDF logistic regression (words, then words beside the embedding)
trained on the pseudo-labelled half, scored on the other half. The labels only evaluate.
"""
from __future__ import annotations

import argparse
import time

import _common  # noqa: F401  (the repository on the import path)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core.embedding.backends import resolve_model_path  # noqa: E402
from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.clustering.coview import reassign as coview_reassign  # noqa: E402
from core.tables.data import build_corpus  # noqa: E402
from core.embedding.embed import default_store, embed_texts, get_embedder  # noqa: E402
from core.pipeline import coview_views  # noqa: E402
from core.training.refine import TopLayers, positive_partners, pseudo_labels, refine_device, supervised_contrast  # noqa: E402

def clusters(V: np.ndarray, texts: list[str], k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fast default's labels, raw K-Means' labels) of the (n, dim) vectors ``V``."""
    raw = kmeans(V, k, seed=seed).labels
    return coview_reassign(V, raw, texts, seed=seed, **coview_views(V, texts)).labels, raw


def scores(truth: np.ndarray, labels: np.ndarray) -> str:
    s = label_scores(truth, labels)
    return f"{s['acc']:.3f} / {s['nmi']:.3f}"


def word_teacher(X: np.ndarray, texts: list[str], truth: np.ndarray, fast: np.ndarray, raw: np.ndarray) -> None:
    import scipy.sparse as sp
    from scipy.optimize import linear_sum_assignment
    from sklearn.linear_model import LogisticRegression

    chosen = pseudo_labels(X, fast, raw, 0.5)
    rest = ~chosen
    k = int(fast.max()) + 1
    counts = np.zeros((k, int(truth.max()) + 1))
    np.add.at(counts, (fast, truth), 1)
    rows, cols = linear_sum_assignment(-counts)
    to_class = dict(zip(rows, cols))  # the fast default's cluster -> class map, fixed for both

    def accuracy(labels: np.ndarray) -> float:
        """ACC on the uncertain half of its (rest,) labels, through the fast default's cluster -> class map."""
        return float(np.mean([to_class.get(c, -1) == t for c, t in zip(labels, truth[rest])]))

    words = coview_views(X, texts)["words"]
    print(f"uncertain half: {rest.sum()} texts, the fast default's ACC there {accuracy(fast[rest]):.3f}")
    for name, features in (("words", words), ("words + embedding", sp.hstack([words, sp.csr_matrix(X)]).tocsr())):
        model = LogisticRegression(C=10, max_iter=2000).fit(features[chosen], fast[chosen])
        proba = model.predict_proba(features)
        predicted, confidence = model.classes_[proba.argmax(1)], proba.max(1)
        print(f"{name}: ACC on the uncertain half {accuracy(predicted[rest]):.3f}")
        for p in (0.6, 0.8, 0.9):
            sure = rest & (confidence >= p)
            print(f"  probability >= {p}: {sure.sum()} texts, agree with the fast default "
                  f"{np.mean(predicted[sure] == fast[sure]):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="the first N rows of AG News' test split")
    _common.add_data_argument(parser, _common.AG_NEWS)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--keep", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--word-teacher", action="store_true")
    args = parser.parse_args()
    import torch

    corpus = build_corpus(pd.read_csv(args.data).head(args.n))
    texts, truth = corpus.texts, pd.factorize(corpus.labels)[0]
    X = embed_texts(texts, get_embedder("all-MiniLM-L6-v2", "onnx-int8"), store=default_store()).vectors
    started = time.perf_counter()
    labels, raw = clusters(X, texts, args.k, args.seed)
    print(f"start: raw K-Means {scores(truth, raw)}, fast default {scores(truth, labels)} (ACC / NMI)")
    if args.word_teacher:
        word_teacher(X, texts, truth, labels, raw)
        return
    torch.manual_seed(args.seed)
    model = TopLayers(resolve_model_path("all-MiniLM-L6-v2"), args.layers, "cpu")
    states = model.lower_states(texts)
    optimiser = torch.optim.AdamW(list(model.top.parameters()), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    autocast = refine_device()[1] if refine_device()[0] != "cuda" else None
    V = X
    for r in range(args.rounds):
        chosen = np.flatnonzero(pseudo_labels(V, labels, raw, args.keep))
        chosen_scores = scores(truth[chosen], labels[chosen])
        partners = positive_partners(V, labels, chosen, args.seed)
        losses = []
        for _ in range(args.epochs):
            model.top.train()
            order = rng.permutation(len(chosen))
            for s in range(0, len(order), args.batch):
                ids = np.concatenate([chosen[order[s:s + args.batch]], partners[order[s:s + args.batch]]])
                with torch.autocast("cpu", dtype=autocast, enabled=autocast is not None):
                    vectors = model.pooled([states[i] for i in ids])
                loss = supervised_contrast(vectors.float(), torch.as_tensor(labels[ids]))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                losses.append(float(loss.detach()))
        V = model.embed(states)
        labels, raw = clusters(V, texts, args.k, args.seed)
        print(f"round {r + 1}: {len(chosen)} pseudo-labels (ACC {chosen_scores[:5]} against the labels), "
              f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; raw K-Means {scores(truth, raw)}, fast default "
              f"{scores(truth, labels)} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
