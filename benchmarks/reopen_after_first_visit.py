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
import tempfile
from pathlib import Path

from _browser import chromium_page, cpu_seconds, start_app, time_to_map, wait_idle, wait_quiet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--precompute", choices=["0", "1"], default="1")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    for _ in range(args.repeat):
        server = start_app(Path(tempfile.mkdtemp()), CLUSTERLENS_PRECOMPUTE=args.precompute)
        try:
            with chromium_page() as page:
                time_to_map(page, server, final=True, timeout=600)
                wait_idle(page, timeout=300, server=server)
            if args.quiet:
                wait_quiet(server)
            cpu = cpu_seconds(server)
            with chromium_page() as page:
                warm, _ = time_to_map(page, server, final=True, timeout=120)
            print(f"precompute={args.precompute}{' quiet' if args.quiet else ''}: warm reopen {warm:.2f} s, "
                  f"server {cpu_seconds(server) - cpu:.2f} CPU-s during it, load {os.getloadavg()[0]:.1f}",
                  flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
