"""``bench speed --parts run``: a whole cold run of a big corpus, from the file to ``assignments.csv`` and
the map's coordinates, as a user starts it: ``python -m core run`` in a fresh process with an empty
cache folder.

The corpus is ``--data`` grown to ``--scale`` texts (``core.bench.big_corpus``: the real texts, then
copies with seeded word edits, so all are distinct); growing it is not timed. The run's wall time,
CPU time and peak memory (the child process's maximum resident set) are printed against the targets
of issue 29 (5 minutes and 8 GB for a million texts with the static embedder).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_S = 300.0
TARGET_GB = 8.0


def cold_run(data: str, n: int, *, k: int, model: str, backend: str, seed: int = 0) -> None:
    """Grow ``data`` to ``n`` texts, then time one cold ``python -m core run`` of all of them."""
    from core.bench.big_corpus import grow_file

    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(Path(tmp) / f"grown-{n}.csv")
        started = time.perf_counter()
        rows = grow_file(data, n, corpus, seed=seed)
        grown = time.perf_counter() - started
        out = Path(tmp) / "out"
        argv = [sys.executable, "-m", "core", "run", "--data", corpus, "--fraction", "1", "--k", str(k),
                "--model", model, "--backend", backend, "--seed", str(seed), "--out", str(out)]
        env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(Path(tmp) / "cache"))  # cold: nothing cached
        root = Path(__file__).resolve().parents[2]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        load = os.getloadavg()
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
        proc.returncode = os.waitstatus_to_exitcode(status)
        load_after = os.getloadavg()
        if proc.returncode != 0:
            print(f"the run failed (exit {proc.returncode}): {stderr.strip().splitlines()[-1:] or stdout}")
            return
        metrics = json.loads((out / "metrics.json").read_text())
        table = pd.read_csv(out / "assignments.csv", usecols=["cluster", "x", "y"])
    peak_gb = usage.ru_maxrss / 1024 ** 2  # KiB -> GiB
    cpu = usage.ru_utime + usage.ru_stime
    mapped = bool(np.isfinite(table[["x", "y"]].to_numpy()).all())
    print(f"\n#### Cold run of {rows:,} texts: file to assignments.csv and map ({model}, backend "
          f"{metrics['embed_backend']}, k={k}, seed {seed})")
    print(f"corpus: {data} grown to {rows:,} distinct texts in {grown:.0f} s (not timed below)")
    print(f"command: python {' '.join(argv[1:])} (fresh CLUSTERLENS_CACHE_DIR)")
    print("| figure | value | target | met |\n|---|---|---|---|")
    print(f"| wall time, process start to outputs written | {wall:.1f} s | <= {TARGET_S:.0f} s | "
          f"{'yes' if wall <= TARGET_S else 'no'} |")
    print(f"| CPU time (user + system, all threads) | {cpu:.1f} s | | |")
    print(f"| peak memory (maximum resident set of the run) | {peak_gb:.2f} GiB | <= {TARGET_GB:.0f} GB | "
          f"{'yes' if peak_gb * 1.074 <= TARGET_GB else 'no'} |")
    print(f"| stages (s, metrics.json) | {', '.join(f'{s} {v:.1f}' for s, v in metrics['timings_s'].items())} | | |")
    print(f"| rows in assignments.csv, all with finite x, y | {len(table):,}, {mapped} | {rows:,}, True | "
          f"{'yes' if len(table) == rows and mapped else 'no'} |")
    print(f"| ACC / NMI against the copied texts' labels (raw K-Means: {metrics['baseline']['acc']:.3f} / "
          f"{metrics['baseline']['nmi']:.3f}) | {metrics['acc']:.3f} / {metrics['nmi']:.3f} | | |")
    print(f"load average (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} before; {load_after[0]:.1f}, "
          f"{load_after[1]:.1f}, {load_after[2]:.1f} after; {os.cpu_count()} cores")
