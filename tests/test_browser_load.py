"""The server keeps answering while sessions work (issue 28, "new visitors locked out under load").

Streamlit's default ends every script run with a full garbage collection, which holds the interpreter
lock the server's event loop needs for as long as it walks the heap; with several sessions working,
one followed another and new visitors and ``/_stcore/health`` waited minutes. The figures under load
are measured by ``benchmarks/load_sessions.py`` (docs/benchmarks.md); these tests check the mechanism.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from browserkit import StreamlitServer, chromium_page, require_browser, wait_idle, wait_until

ROOT = Path(__file__).resolve().parents[1]
RUNS = 6
COUNTS_JS = """(runs) => {
  const e = document.querySelector('#counts');
  const m = e && e.innerText.match(/runs (\\d+) full (\\d+)/);
  return m && (runs === null || Number(m[1]) === runs) ? [Number(m[1]), Number(m[2])] : null;
}"""


@pytest.mark.timeout(300)
def test_a_script_run_does_not_end_with_a_full_garbage_collection(tmp_path):
    """The app's own Streamlit settings (``.streamlit/config.toml``, read from the repository root):
    reruns add no full collection each; Python's own collector still runs one as the heap grows."""
    require_browser()
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.pop("STREAMLIT_RUNNER_POST_SCRIPT_GC", None)
    server = StreamlitServer(ROOT, "tests/fullgc_app.py", [], env, tmp_path / "streamlit.log")
    try:
        server.wait_healthy(timeout=120)
        with chromium_page() as page:
            page.goto(server.url, wait_until="domcontentloaded")
            runs, before = wait_until(page, COUNTS_JS, arg=None, timeout=120, what="the first run", server=server)
            wait_idle(page, timeout=60, server=server)
            for _ in range(RUNS):
                page.get_by_role("button", name="Run again").click()
                runs, full = wait_until(page, COUNTS_JS, arg=runs + 1, timeout=60, what="the next run", server=server)
                wait_idle(page, timeout=60, server=server)
        # Streamlit's default (runner.postScriptGC) runs one per run: at least RUNS more
        assert full - before < RUNS // 2, (before, full)
    finally:
        server.stop()
