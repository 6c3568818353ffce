"""Helpers for the real-browser tests: run the app offline with a private cache, and fail when the
browser is missing. Running the server and driving Chromium is shared with the browser benchmarks in
:mod:`core.bench.browser` (its names are re-exported here for the tests)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.bench.browser import (  # noqa: F401 (re-exported for the tests)
    CHROMIUM, CHROMIUM_ARGS, ERROR_SELECTOR, IDLE_JS, MAP_FRAME, MAP_PLOT, SPY_JS, VIEWPORT, StreamlitServer,
    chromium_page, free_port, map_frame, raise_on_app_error, wait_idle, wait_until)


def require_browser() -> None:
    """Fail (not skip: CI installs both) when Debian's Chromium or the playwright package is missing."""
    if not CHROMIUM.exists():
        import pytest

        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                    "Playwright cannot download its own browser here")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        import pytest

        pytest.fail("the 'playwright' Python package is missing: pip install playwright")


@contextmanager
def running_app(folder: Path, args: list[str] | tuple[str, ...] = (), *, timeout: float = 60.0,
                **env: str) -> Iterator[StreamlitServer]:
    """``streamlit run app.py -- ARGS`` offline, with a private cache under ``folder``, every data source
    starting at k = 4 (no suggested k), and the extra environment ``env``; stopped (with everything it
    started) on exit."""
    require_browser()
    root = Path(__file__).resolve().parents[1]
    # every data source starts at k = 4 unless a test asks for the suggested k (CLUSTERLENS_SUGGEST_K="1")
    environment = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(folder / "cache"), HF_HUB_OFFLINE="1",
                       PYTHONUNBUFFERED="1", **{"CLUSTERLENS_SUGGEST_K": "0", **env})
    server = StreamlitServer(root, "app.py", list(args), environment, folder / "streamlit.log")
    try:
        server.wait_healthy(timeout=timeout)
        yield server
    finally:
        server.stop()


def text_uploader(page):
    """The sidebar's uploader of the texts ("Upload a file"), not the optional Embeddings one beside it."""
    return (page.locator('[data-testid="stFileUploader"]').filter(has_text="CSV, TSV, Parquet or JSONL")
            .locator('[data-testid="stFileUploaderDropzoneInput"]'))
