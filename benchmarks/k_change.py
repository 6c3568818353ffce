"""The reaction to a change of k on a warm server, in Chromium: seconds from typing k into the number
box to the map of k clusters drawn (legend and labels) and the page idle.

    python benchmarks/k_change.py [--data $CLUSTERLENS_SHARED_DATA/banking77_test.csv] [--fraction 1] [--k 77]
                                  [--cache DIR] [--repeat 2]

The server runs ``app.py -- --data DATA --fraction F`` without a background pass
(``CLUSTERLENS_PRECOMPUTE=0``), on the cache folder ``--cache`` (default: the user's, where the
data's embeddings, encoder and map are usually already computed: a warm server). It opens the app at
k-1 (a link), then measures, in order:

- ``new k``: k typed into the box, its clustering not in the cache (computed in the foreground, the
  page showing its progress);
- ``back``: k-1 typed again (its clustering in the cache, as the background pass leaves the ks near
  the current one);
- ``cached k``: k again (in the cache now).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import _common
from _browser import MAP_PLOT, ROOT, StreamlitServer, chromium_page, wait_idle, wait_until

READY_JS = """(n) => {
  const gd = %s;
  if (!gd) return null;
  const legend = gd.querySelectorAll('.legend .legendtext').length;
  const labels = gd.querySelectorAll('.annotation').length;
  return legend === n && labels > 0 ? {legend, labels} : null;
}""" % MAP_PLOT


def _type_k(page, k: int, timeout: float) -> float:
    box = page.get_by_role("spinbutton", name="k")
    started = time.monotonic()
    box.fill(str(k))
    box.press("Enter")
    page.wait_for_timeout(300)  # the rerun starts
    wait_until(page, READY_JS, arg=k, timeout=timeout, what=f"the map of {k} clusters", poll=0.1)
    wait_idle(page, timeout=timeout)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _common.add_data_argument(parser, _common.BANKING77)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--k", type=int, default=77)
    parser.add_argument("--cache", default=None, help="cache folder (default: the user's)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", CLUSTERLENS_PRECOMPUTE="0")
    if args.cache:
        env["CLUSTERLENS_CACHE_DIR"] = args.cache
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "k_change_streamlit.log"
    server = StreamlitServer(ROOT, "app.py", ["--data", args.data, "--fraction", str(args.fraction)], env, log)
    try:
        server.wait_healthy(timeout=120)
        for trial in range(args.repeat):
            with chromium_page() as page:
                started = time.monotonic()
                page.goto(f"{server.url}/?k={args.k - 1}", wait_until="domcontentloaded")
                wait_until(page, READY_JS, arg=args.k - 1, timeout=1800, what="the first map", poll=0.5)
                wait_idle(page, timeout=600)
                first = time.monotonic() - started
                new = _type_k(page, args.k, 600) if trial == 0 else None
                back = _type_k(page, args.k - 1, 600)
                again = _type_k(page, args.k, 600)
            print(f"k={args.k}, {args.data} x {args.fraction}: first map {first:.1f} s; "
                  + (f"new k {new:.1f} s; " if new is not None else "")
                  + f"back to k={args.k - 1} (cached) {back:.1f} s; cached k {again:.1f} s; "
                  f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
