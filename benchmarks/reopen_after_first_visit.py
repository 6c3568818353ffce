"""A warm reopen right after a first visit, while the background pass (the other k) may still run:
seconds to the map and the server's CPU-seconds during the reopen.

    python benchmarks/reopen_after_first_visit.py [--repeat 3] [--precompute 1|0] [--quiet]

Each trial starts a fresh server on a fresh cache (the demo corpus), opens the app in a new Chromium
until the encoder's map, waits until the page is idle, then reopens it in another new Chromium at
once (``--quiet``: only after the server has gone quiet, its background pass done).
``--precompute 0`` starts the app with ``CLUSTERLENS_PRECOMPUTE=0`` (no background pass): the floor.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browserkit import chromium_page, wait_idle  # noqa: E402
import test_browser_speed as speed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--precompute", choices=["0", "1"], default="1")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    for _ in range(args.repeat):
        server = speed._server(Path(tempfile.mkdtemp()), "app.py", [], CLUSTERLENS_PRECOMPUTE=args.precompute)
        try:
            with chromium_page() as page:
                speed._time_to_map(page, server, final=True, timeout=600)
                wait_idle(page, timeout=300, server=server)
            if args.quiet:
                speed._wait_quiet(server)
            cpu = speed._cpu_seconds(server)
            with chromium_page() as page:
                warm, _ = speed._time_to_map(page, server, final=True, timeout=120)
            print(f"precompute={args.precompute}{' quiet' if args.quiet else ''}: warm reopen {warm:.2f} s, "
                  f"server {speed._cpu_seconds(server) - cpu:.2f} CPU-s during it, load {os.getloadavg()[0]:.1f}",
                  flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
