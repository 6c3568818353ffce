"""``python -m core.bench.search_latency``: the warm latency of one "Search by meaning" query.

What the Map page does per query: embed it with the already-loaded model (``core.naming.search.embed_query``)
and rank the corpus by cosine (``core.naming.search.top_cosine``). The model is loaded and warmed first
(the app loads it once per server); each query is then timed alone. The corpus vectors are random
unit vectors of the model's width: ranking costs the same whatever the vectors hold.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from core.config import DEFAULT_MODEL
from core.embedding.embed import get_embedder
from core.naming.search import clean_query, embed_query, top_cosine
from core.bench.common import machine

QUERIES = ["oil prices climb as supply tightens", "the striker scored twice in the cup final",
           "central bank raises interest rates", "new phone chip promises longer battery life",
           "storm floods coastal towns", "election results contested by the opposition",
           "researchers find a new treatment for malaria", "shares fall after a profit warning",
           "a long query that reads like the first sentence of an article about trade talks between "
           "two neighbouring countries and the tariffs on steel and aluminium they both impose"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.bench.search_latency", description=__doc__)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--corpus-size", type=int, default=7600, help="texts ranked per query")
    parser.add_argument("--repeats", type=int, default=5, help="times each query is run")
    parser.add_argument("--n", type=int, default=50, help="nearest texts per query")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    embedder = get_embedder(DEFAULT_MODEL, args.backend)
    load = time.perf_counter() - started
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(args.corpus_size, embedder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for text in QUERIES[:3]:  # warm: first calls allocate
        top_cosine(vectors, embed_query(embedder, clean_query(text)), args.n, unit_rows=True)

    embed_ms, rank_ms = [], []
    for _ in range(args.repeats):
        for text in QUERIES:
            t0 = time.perf_counter()
            vector = embed_query(embedder, clean_query(text))
            t1 = time.perf_counter()
            top_cosine(vectors, vector, args.n, unit_rows=True)  # as the Map page calls it
            t2 = time.perf_counter()
            embed_ms.append(1000 * (t1 - t0))
            rank_ms.append(1000 * (t2 - t1))
    total = [a + b for a, b in zip(embed_ms, rank_ms)]
    p95 = sorted(total)[int(0.95 * (len(total) - 1))]
    print(f"machine: {machine()}")
    print(f"backend {embedder.backend}; model load {load:.1f} s (once per server); {len(total)} queries, "
          f"top {args.n} of {args.corpus_size:,} texts")
    print(f"warm query: median {statistics.median(total):.1f} ms, p95 {p95:.1f} ms, max {max(total):.1f} ms "
          f"(embed median {statistics.median(embed_ms):.1f} ms, rank median {statistics.median(rank_ms):.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
