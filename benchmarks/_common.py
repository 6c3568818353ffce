"""What the benchmark scripts share: the repository on the import path and where the measuring data lives.

The scripts are research apart from the product: they import only public names of ``core`` (and the
app's own files where they measure the app), never the tests' helpers. Run them from anywhere as
``python benchmarks/NAME.py``; ``import _common`` first puts the repository root on the import path.

The data (AG News' and BANKING77's test splits, by path only: never copied into the repository) lives
in the folder named by the environment variable ``CLUSTERLENS_SHARED_DATA``, by default
``../shared/data`` beside the repository (the same folder the tests' ``ag_news_path`` fixture reads).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED_DATA_ENV = "CLUSTERLENS_SHARED_DATA"
AG_NEWS = "ag_news_test.csv"
BANKING77 = "banking77_test.csv"
DEMO = ROOT / "core" / "demo" / "demo_news.csv"


def shared_data() -> Path:
    """The folder of the measuring data: ``$CLUSTERLENS_SHARED_DATA``, else ``../shared/data`` beside
    the repository."""
    return Path(os.environ.get(SHARED_DATA_ENV) or ROOT.parent / "shared" / "data")


def data_file(name: str) -> Path:
    """``name`` (e.g. :data:`AG_NEWS`) in :func:`shared_data`; whether it exists is the caller's check."""
    return shared_data() / name


def add_data_argument(parser: argparse.ArgumentParser, name: str = AG_NEWS, *, required: bool = False) -> None:
    """``--data PATH``: the corpus file, by default ``name`` in :func:`shared_data`."""
    if required:
        parser.add_argument("--data", required=True, help="the corpus file (CSV, TSV, Parquet or JSONL)")
    else:
        parser.add_argument("--data", default=str(data_file(name)),
                            help=f"the corpus file (default: {name} in ${SHARED_DATA_ENV}, "
                                 f"else ../shared/data; now {data_file(name)})")
