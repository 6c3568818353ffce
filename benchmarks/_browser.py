"""Browser helpers for the benchmark scripts: time the Map page's map, wait for a quiet server.

Running the server and driving Chromium is :mod:`core.bench.browser`, shared with the browser tests
(the benchmarks import no test module: a test's refactoring must not break a research script).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from _common import ROOT
from core.bench.browser import (  # noqa: F401 (re-exported for the scripts)
    CHROMIUM, CHROMIUM_ARGS, ERROR_SELECTOR, IDLE_JS, MAP_FRAME, MAP_PLOT, SPY_JS, VIEWPORT, StreamlitServer,
    chromium_page, free_port, map_frame, raise_on_app_error, wait_idle, wait_until)

# the map's points and its title once it is drawn (two animation frames after Plotly has drawn the data)
MAP_STATE_JS = """() => {
  const gd = %s;
  if (!gd || !gd._fullData) return null;
  const points = gd._fullData.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0);
  const title = (gd._fullLayout.title && gd._fullLayout.title.text) || "";
  return points > 0 && gd.querySelector('.gl-canvas, .scatterlayer .point') ? {points, title} : null;
}""" % MAP_PLOT
FINAL_MAP_JS = MAP_STATE_JS.replace("return points > 0", "return /latent space/.test(title) && points > 0")


def start_app(folder: Path, app: str = "app.py", args: list[str] | None = None, **env: str) -> StreamlitServer:
    """``streamlit run APP -- ARGS`` from the repository, offline, with a fresh cache under ``folder`` and
    the extra environment ``env``, once healthy. The caller stops it."""
    environment = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(folder / "fresh-cache"), HF_HUB_OFFLINE="1",
                       PYTHONUNBUFFERED="1", **env)
    server = StreamlitServer(ROOT, app, list(args or []), environment, folder / "streamlit.log")
    server.wait_healthy(timeout=120)
    return server


def wait_quiet(server: StreamlitServer, *, window: float = 2.0, timeout: float = 180.0) -> None:
    """Until the server has used under a tenth of a CPU-second in ``window`` seconds: its background
    pass has finished (a page that connects meanwhile pauses it, but not while the page loads)."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds(server)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = cpu_seconds(server)
        if now - before < 0.1:
            return
        before = now
    raise AssertionError(f"the server was still busy after {timeout:.0f} s:\n{server.log_tail()}")


def cpu_seconds(server: StreamlitServer) -> float:
    """CPU time (user + system, all threads) the server process has used: a figure the load of a shared
    machine inflates far less than wall time."""
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_map(page, server, *, final: bool, timeout: float) -> tuple[float, dict]:
    """Open the app; seconds until the map (``final``: the encoder's map, not the provisional one)."""
    started = time.monotonic()
    page.goto(server.url, wait_until="domcontentloaded")
    state = wait_until(page, FINAL_MAP_JS if final else MAP_STATE_JS, timeout=timeout, what="the map", server=server,
                       poll=0.1)
    return time.monotonic() - started, state
