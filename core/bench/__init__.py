"""``python -m core bench quality|speed|names``: benchmarks that print each figure beside its baseline.

They stand beside the library: they import ``core``, and ``core`` never imports them. Timings are
measured side by side in one run on this machine, never asserted by tests.
"""
from __future__ import annotations

import argparse


def main(args: argparse.Namespace) -> int:
    if args.which == "names":
        from core.bench.names import names

        return names(args)
    if args.which == "quality":
        from core.bench.quality import quality

        return quality(args)
    from core.bench.speed import speed

    return speed(args)
