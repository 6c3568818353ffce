"""Speed in a real browser (issue 16): the demo corpus's first map on a fresh cache, a warm reopen,
and a map of every one of 1,000,000 points (issue 29) that pans, hovers and box-selects (WebGL through
Chromium's SwiftShader).

Times are printed (and recorded in docs/benchmarks.md); the machine is shared, so the tests assert
only generous bounds that hold on a busy machine, plus the behaviour itself.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from browserkit import (MAP_FRAME, MAP_PLOT, SPY_JS, StreamlitServer, chromium_page, map_frame, raise_on_app_error,
                        wait_idle, wait_until)
from test_browser import _require_browser

ROOT = Path(__file__).resolve().parents[1]
N_BIG = 1_000_000  # core.plots.map_points.MAX_DRAWN: the most a map draws without sampling

# the map's points and its title once it is drawn (two animation frames after Plotly has drawn the data)
MAP_STATE_JS = """() => {
  const gd = %s;
  if (!gd || !gd._fullData) return null;
  const points = gd._fullData.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0);
  const title = (gd._fullLayout.title && gd._fullLayout.title.text) || "";
  return points > 0 && gd.querySelector('.gl-canvas, .scatterlayer .point') ? {points, title} : null;
}""" % MAP_PLOT
FINAL_MAP_JS = MAP_STATE_JS.replace("return points > 0", "return /latent space/.test(title) && points > 0")
DRAWN_JS = f"""(n) => {{
  const gd = {MAP_PLOT};
  const clock = gd && gd.ownerDocument.defaultView.__map;
  if (!gd || !gd._fullData || !gd.querySelector('.gl-canvas') || !clock || !clock.drawnAt) return null;
  const points = gd._fullData.reduce((m, t) => m + ((t.x && t.x.length) || 0), 0);
  return points === n ? clock : null;
}}"""
RANGE_JS = f"""() => {{
  const gd = {MAP_PLOT};
  return [...gd._fullLayout.xaxis.range, ...gd._fullLayout.yaxis.range];
}}"""
# a drawn point's place in the page (the map's frame offset added), to hover it: the first point of the
# first trace, pushed a pixel inwards if it sits on the plot's edge
POINT_JS = f"""() => {{
  const gd = {MAP_PLOT};
  const frame = [...document.querySelectorAll('{MAP_FRAME}')].find((f) => f.contentWindow.document.contains(gd));
  const at = frame.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const trace = gd._fullData.find((t) => t.x && t.x.length);
  const i = trace.x.findIndex((x, j) => Math.abs(xa.l2p(x)) < xa._length && Math.abs(ya.l2p(trace.y[j])) < ya._length);
  return {{x: at.left + xa._offset + xa.l2p(trace.x[i]), y: at.top + ya._offset + ya.l2p(trace.y[i])}};
}}"""
MOVED_JS = f"""(before) => {{
  const gd = {MAP_PLOT};
  const now = [...gd._fullLayout.xaxis.range, ...gd._fullLayout.yaxis.range];
  return now.some((v, i) => Math.abs(v - before[i]) > 1e-9);
}}"""


def _server(tmp_path: Path, app: str, args: list[str], **env: str) -> StreamlitServer:
    _require_browser()
    environment = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(tmp_path / "fresh-cache"), HF_HUB_OFFLINE="1",
                       PYTHONUNBUFFERED="1", **env)
    server = StreamlitServer(ROOT, app, args, environment, tmp_path / "streamlit.log")
    server.wait_healthy(timeout=120)
    return server


def _wait_quiet(server: StreamlitServer, *, window: float = 2.0, timeout: float = 180.0) -> None:
    """Until the server has used under a tenth of a CPU-second in ``window`` seconds: its background
    pass has finished (a page that connects meanwhile pauses it, but not while the page loads)."""
    deadline = time.monotonic() + timeout
    before = _cpu_seconds(server)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = _cpu_seconds(server)
        if now - before < 0.1:
            return
        before = now
    raise AssertionError(f"the server was still busy after {timeout:.0f} s:\n{server.log_tail()}")


def _cpu_seconds(server: StreamlitServer) -> float:
    """CPU time (user + system, all threads) the server process has used: a figure the load of a shared
    machine inflates far less than wall time."""
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time_to_map(page, server, *, final: bool, timeout: float) -> tuple[float, dict]:
    """Open the app; seconds until the map (``final``: the encoder's map, not the provisional one)."""
    started = time.monotonic()
    page.goto(server.url, wait_until="domcontentloaded")
    state = wait_until(page, FINAL_MAP_JS if final else MAP_STATE_JS, timeout=timeout, what="the map", server=server,
                       poll=0.1)
    return time.monotonic() - started, state


@pytest.mark.timeout(900)
def test_the_demo_corpus_first_map_on_a_fresh_cache_and_a_warm_reopen(tmp_path):
    """A new user offline: no --data, the hub unreachable, so the app opens the 320-text demo corpus."""
    server = _server(tmp_path, "app.py", [])
    try:
        with chromium_page() as page:
            started, cpu0 = time.monotonic(), _cpu_seconds(server)
            first, state = _time_to_map(page, server, final=False, timeout=600)
            first_title, first_cpu = state["title"], _cpu_seconds(server) - cpu0
            assert state["points"] == 320, state
            wait_until(page, FINAL_MAP_JS, timeout=600, what="the encoder's map", server=server, poll=0.1)
            final, final_cpu = time.monotonic() - started, _cpu_seconds(server) - cpu0
            wait_idle(page, timeout=300, server=server)
        # the background pass (the other k) done: a warm server, not a busy one (a reopen beside the
        # pass: benchmarks/reopen_after_first_visit.py)
        _wait_quiet(server)
        with chromium_page() as page:  # a new session: everything comes from the server's caches
            warm, state = _time_to_map(page, server, final=True, timeout=120)
            assert state["points"] == 320, state
            raise_on_app_error(page, server)
        print(f"\nfirst map ({'provisional' if 'provisional' in first_title else 'the encoder'}'s): {first:.1f} s "
              f"({first_cpu:.1f} CPU-s of the server); the encoder's map: {final:.1f} s ({final_cpu:.1f} CPU-s); "
              f"warm reopen: {warm:.1f} s; load average {os.getloadavg()[0]:.1f}")
        # generous bounds that hold on a busy shared machine (the figures themselves are in the benchmarks)
        assert final < 240 and warm < 60, (first, final, warm)
    finally:
        server.stop()


@pytest.mark.timeout(600)
def test_a_1000000_point_map_draws_every_point_hovers_pans_and_box_selects(tmp_path):
    """Every point of a million drawn (no sample), a hover naming the point's title, a pan and a box
    selection listing its texts under the map: what issue 29 asks of the map at its largest."""
    server = _server(tmp_path, "tests/bigmap_app.py", [], BIGMAP_N=str(N_BIG))
    try:
        with chromium_page() as page:
            page.add_init_script(SPY_JS)
            started = time.monotonic()
            page.goto(server.url, wait_until="domcontentloaded")
            clock = page.wait_for_function(DRAWN_JS, arg=N_BIG, timeout=300_000, polling=100).json_value()
            received_at = page.evaluate("() => window.__bigFrameAt")
            total = time.monotonic() - started
            assert received_at is not None, "no large message from the server: the figure was not seen arriving"
            render = (clock["drawnAt"] - received_at) / 1000  # the websocket's message to two frames after drawing
            plotly_part = (clock["drawnAt"] - clock["receivedAt"]) / 1000  # inside the component
            raise_on_app_error(page, server)
            assert not page.get_by_text(re.compile(r"Showing [\d,]+ of")).count()  # every point drawn, no sample

            # hover: a drawn point's title in the hover label
            frame = map_frame(page)
            point = page.evaluate(POINT_JS)
            t = time.monotonic()
            page.mouse.move(point["x"] - 3, point["y"] - 3)
            page.mouse.move(point["x"], point["y"])
            label = frame.locator(".hoverlayer .hovertext").filter(has_text="Synthetic headline").first
            label.wait_for(timeout=60_000)
            hover = time.monotonic() - t
            assert re.search(r"Synthetic headline \d+ about \w+", label.text_content())

            # pan: the modebar's pan tool, a drag, and the axes have moved
            plot = frame.locator(".nsewdrag").first
            box = plot.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            frame.locator('.modebar-btn[data-val="pan"]').first.click()
            before = page.evaluate(RANGE_JS)
            t = time.monotonic()
            _drag(page, box, (0.5, 0.5), (0.3, 0.4))
            wait_until(page, MOVED_JS, arg=before, timeout=60, what="the axes to move after a pan", poll=0.1)
            pan = time.monotonic() - t

            # box select: the modebar's box tool, a box in the middle, the selected articles listed
            frame.locator('.modebar-btn[data-val="select"]').first.click()
            t = time.monotonic()
            _drag(page, box, (0.45, 0.45), (0.55, 0.55))
            heading = page.locator('[data-testid="stHeading"]').filter(has_text=re.compile(r"selected texts?"))
            heading.wait_for(timeout=300_000)
            selected = int(re.match(r"([\d,]+) selected", heading.inner_text()).group(1).replace(",", ""))
            select = time.monotonic() - t
            wait_idle(page, timeout=120, server=server)
            raise_on_app_error(page, server)
        print(f"\n{N_BIG:,} points: drawn {render:.1f} s after the figure arrived ({plotly_part:.1f} s of it in "
              f"the component; {total:.1f} s after opening the page, server included); hover {hover:.1f} s; "
              f"pan {pan:.1f} s; box select of {selected:,} points listed in {select:.1f} s; load average "
              f"{os.getloadavg()[0]:.1f}")
        assert selected > 0
        # the target is 10 s (benchmarks/map_million.py measures it); the shared machine's load can triple any
        # time, so the bound only catches a pathology (an SVG fallback, a lost WebGL context)
        assert render < 120, render
    finally:
        server.stop()


def _drag(page, box: dict, start: tuple[float, float], end: tuple[float, float]) -> None:
    x0, y0 = box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"]
    x1, y1 = box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()
