"""``python -m core bench names``: the cluster names of one run of the app's default method, checked.

It runs the same pipeline as ``python -m core run`` on the whole file (fraction 1, no map) and
reports each cluster's first three keywords beside the old c-TF-IDF keywords, how many distinct
words they hold, which of them are among the corpus's ten most frequent words (after English stop
words), and how many clusters share a word of their first three keywords with another cluster.
"""
from __future__ import annotations

import argparse
from collections import Counter

from core.storage.cache import DiskCache
from core.config import ClusterConfig, DataConfig, ProjectConfig, RunConfig
from core.naming.describe import ctfidf_keywords, term_counts
from core.embedding.embed import default_results, default_store
from core.errors import UserError
from core.naming.naming import phrase_counts, top_words
from core.bench.common import machine, seeds


def name_checks(heads: list[list[str]], frequent: list[str]) -> dict[str, object]:
    """Figures for the first keywords ``heads`` of each cluster against the corpus's ``frequent`` words."""
    words = [{w for phrase in head for w in phrase.split()} for head in heads]
    count = Counter(w for ws in words for w in ws)
    return {"keywords": sum(map(len, heads)), "distinct_keywords": len({p for h in heads for p in h}),
            "words": sum(len(p.split()) for h in heads for p in h), "distinct_words": len(set().union(*words)),
            "frequent_in_names": sorted(set().union(*words) & set(frequent)),
            "clusters_sharing_a_word": sum(1 for ws in words if any(count[w] > 1 for w in ws))}


def names(args: argparse.Namespace) -> int:
    from core.pipeline import run

    seed = seeds(args)[0]
    if args.k is None:
        raise UserError("bench names needs --k")
    cfg = RunConfig(data=DataConfig(source=args.data, label_col=args.label_col, fraction=1.0),
                    cluster=ClusterConfig(k=args.k), project=ProjectConfig(method="none"), seed=seed)
    result = run(cfg, cache=DiskCache(default_results()), store=default_store())
    texts, labels = result.corpus.texts, result.clusters.clustering.labels
    heads = [s.keywords[:3] for s in result.summaries]
    old = ctfidf_keywords(term_counts(texts), labels, args.k, top=3)
    frequent = top_words(phrase_counts(texts), 10)
    checks = name_checks(heads, frequent)
    old_checks = name_checks(old, frequent)
    print(f"names on {args.data}: {len(texts)} texts, k={args.k}, seed {seed}, default clusters "
          f"({cfg.cluster.method}), embeddings {cfg.embed.model} ({result.embeddings.backend})")
    print(f"machine: {machine()}")
    print(f"the corpus's 10 most frequent words (English stop words out): {', '.join(frequent)}")
    print("| cluster | size | name (first 3 keywords) | c-TF-IDF before |")
    print("|---|---|---|---|")
    for s, before in zip(result.summaries, old):
        print(f"| {s.cluster} | {s.size} | {', '.join(s.keywords[:3])} | {', '.join(before)} |")
    print("| figure | names | c-TF-IDF before |")
    print("|---|---|---|")
    for key in checks:
        print(f"| {key} | {checks[key]} | {old_checks[key]} |")
    return 0
