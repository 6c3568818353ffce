"""The co-view refinement against raw K-Means on the development corpora of issue #13.

    python benchmarks/coview_corpora.py [--corpora demo,ag760,...] [--seeds 0,1,42] [--z 1.5] [--rounds 3] [--ks 2,8]

For each corpus and seed: K-Means on the raw embeddings (the app's baseline: n_init 10, that seed),
then :func:`core.clustering.coview.reassign` of that partition; ACC and NMI of both and the difference. The
labels only evaluate. Embeddings come from (and go to) the default store, so a second run is fast.

Corpora (the AG News and BANKING77 files in ``$CLUSTERLENS_SHARED_DATA``, by default ``../shared/data``
beside the repository; missing files are skipped):
- ``demo``: the bundled demo corpus, k=4.
- ``ag760``: the app's default view of AG News (fraction 0.1, sample seed 42), k=4.
- ``ag300-0``, ``ag300-1``, ``ag1000-0``, ``ag1000-1``: random subsets (permutation seeds 100, 101).
- ``agunbal-0``, ``agunbal-2``: AG News with class 0 (or 2) whole (1,900) and 380 of each other.
- ``ag``: the whole test split, k=4. ``banking``: BANKING77's 3,080 queries, k=77.
- ``synthetic-50``: 50 Gaussian clusters of 50 unit vectors, no texts (the refinement is then the
  identity, so it equals raw K-Means by construction).
"""
from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "1")
import _common  # noqa: E402  (the repository on the import path)

import numpy as np  # noqa: E402

from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.clustering.coview import DEFAULT_ROUNDS, DEFAULT_Z, neighbours_of, reassign, word_view  # noqa: E402
from core.tables.data import build_corpus, sample  # noqa: E402
from core.embedding.embed import default_store, embed_texts, get_embedder  # noqa: E402

ALL = "demo,ag760,ag300-0,ag300-1,ag1000-0,ag1000-1,agunbal-0,agunbal-2,ag,banking,synthetic-50"


def embedded(source: str, label_col: str | None = None, fraction: float = 1.0):
    corpus = build_corpus(source, label_col=label_col)
    if fraction < 1:
        corpus = sample(corpus, fraction, 42)
    X = embed_texts(corpus.texts, get_embedder(), store=default_store()).vectors
    return corpus.texts, np.asarray(corpus.labels).astype(str), X


def corpus(name: str):
    """(texts or None, labels, (n, d) embeddings, k) of one development corpus."""
    if name == "demo":
        t, y, X = embedded(str(_common.DEMO))
        return t, y, X, 4
    if name == "banking":
        return (*embedded(str(_common.data_file(_common.BANKING77)), label_col="category"), 77)
    if name.startswith("synthetic"):
        k = int(name.split("-")[1])
        rng = np.random.default_rng(0)
        centres = rng.normal(size=(k, 384))
        y = np.repeat(np.arange(k), 50)
        X = centres[y] + 4.0 * rng.normal(size=(len(y), 384))
        return None, y.astype(str), (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), k
    if name == "ag760":
        return (*embedded(str(_common.data_file(_common.AG_NEWS)), fraction=0.1), 4)
    t, y, X = embedded(str(_common.data_file(_common.AG_NEWS)))
    if name == "ag":
        return t, y, X, 4
    if name.startswith(("ag300", "ag1000")):
        size, which = name[2:].split("-")
        idx = np.random.RandomState(100 + int(which)).permutation(len(t))[:int(size)]
    elif name.startswith("agunbal"):
        big = int(name.split("-")[1])
        rng = np.random.RandomState(7)
        classes = sorted(set(y))
        idx = np.concatenate([np.where(y == c)[0] if i == big
                              else rng.choice(np.where(y == c)[0], 380, replace=False)
                              for i, c in enumerate(classes)])
    else:
        raise SystemExit(f"unknown corpus {name!r}; known: {ALL}")
    return [t[i] for i in idx], y[idx], X[idx], 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=ALL)
    parser.add_argument("--seeds", default="0,1,42")
    parser.add_argument("--z", type=float, default=DEFAULT_Z)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--ks", default=None, help="comma-separated k to use instead of the corpus's class count")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print("| corpus | n | k | seed | raw K-Means ACC / NMI | co-view ACC / NMI | change | moved per round | refine s |")
    print("|---|---|---|---|---|---|---|---|---|")
    worst = [np.inf, np.inf]
    for name in args.corpora.split(","):
        if name != "demo" and not name.startswith("synthetic") and not _common.shared_data().exists():
            continue
        texts, y, X, classes = corpus(name)
        started = time.perf_counter()
        views = {"neighbours": neighbours_of(X), "words": word_view(texts)} if texts is not None else {}
        views_s = time.perf_counter() - started
        for k, seed in [(k, seed) for k in ([int(v) for v in args.ks.split(",")] if args.ks else [classes])
                        for seed in seeds]:
            base = kmeans(X, k, seed=seed).labels
            started = time.perf_counter()
            result = reassign(X, base, texts, seed=seed, z=args.z, rounds=args.rounds, **views)
            seconds = time.perf_counter() - started + views_s
            b, r = label_scores(y, base), label_scores(y, result.labels)
            da, dn = r["acc"] - b["acc"], r["nmi"] - b["nmi"]
            worst = [min(worst[0], da), min(worst[1], dn)]
            print(f"| {name} | {len(y)} | {k} | {seed} | {b['acc']:.3f} / {b['nmi']:.3f} | {r['acc']:.3f} / {r['nmi']:.3f} "
                  f"| {da:+.3f} / {dn:+.3f} | {result.moved} | {seconds:.1f} |", flush=True)
    print(f"worst change: ACC {worst[0]:+.3f}, NMI {worst[1]:+.3f} (z={args.z}, rounds={args.rounds})")


if __name__ == "__main__":
    main()
