"""The Quality page's k sweep: seconds per k and in all, on a warm run (embeddings, encoder and map cached),
for the ks the page sweeps first (k = 2..20) and, with ``--further``, the ladder above them.

    python benchmarks/k_sweep_time.py --fraction 0.2632   # 2,000 texts of AG News ($CLUSTERLENS_SHARED_DATA)
    python benchmarks/k_sweep_time.py --fraction 1        # 7,600 texts

It goes through ``core.session.session.Workbench`` as the app does (the same stage cache, the user's cache
folder on disk), runs the pipeline once at k=4 (cached after a first time), then clusters each k of
``core.clustering.k_choice.sweep_ks`` one after the other, as the page does while it draws the sweep; nothing
of the sweep is cached in memory before it starts (a fresh process), though the disk cache holds the
encoder and the map.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import _common  # the repository on the import path

from core.config import RunConfig  # noqa: E402
from core.clustering.k_choice import k_max, sweep_ks  # noqa: E402
from core.pipeline import source_key  # noqa: E402
from core.session.session import Workbench  # noqa: E402
from core.session.view import DataSource  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _common.add_data_argument(parser, _common.AG_NEWS)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--further", action="store_true", help="also the ladder above k = 20")
    args = parser.parse_args()
    source = DataSource(source_key(args.data), args.data, Path(args.data).name)
    bench = Workbench(precompute=False)
    cfg = RunConfig().with_(data={"source": source.key, "fraction": args.fraction})
    started = time.perf_counter()
    result = bench.run(source, cfg)
    n = len(result.corpus)
    print(f"{n:,} texts; the run at k=4 in {time.perf_counter() - started:.1f} s", flush=True)
    ks = sweep_ks(k_max(n), extended=args.further)
    started = time.perf_counter()
    for k, scores in bench.k_sweep_steps(result, ks):
        print(f"k={k}: {time.perf_counter() - started:.1f} s so far, silhouette {scores['silhouette']:.3f}", flush=True)
    print(f"sweep of {len(ks)} ks (k = {ks[0]}..{ks[-1]}) on {n:,} texts: {time.perf_counter() - started:.1f} s; "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
