"""Cluster edits in a real browser: rename a cluster on the Clusters page, see the name in the Map's legend.

Its own server on the bundled demo corpus with the real embedding model (as tests/test_browser.py).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browserkit import MAP_PLOT, StreamlitServer, chromium_page, raise_on_app_error, running_app, wait_idle, wait_until

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "core" / "demo" / "demo_news.csv"
FIRST_RUN_TIMEOUT = 420  # s: embedding 320 texts (and the ONNX export), training, t-SNE
STEP_TIMEOUT = 120
NAME = "Renamed in the browser"

LEGEND_JS = """() => {
  const gd = %s;
  const legend = gd ? [...gd.querySelectorAll('.legend .legendtext')] : [];
  return legend.length ? legend.map(e => e.textContent) : null;
}""" % MAP_PLOT
SECTIONS_JS = """() => {
  const heads = [...document.querySelectorAll('[data-testid="stExpander"] summary')].map(s => s.innerText)
    .filter(t => /Cluster \\d+:/.test(t));
  return heads.length ? heads : null;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_edits")
    data = folder / "small.csv"
    data.write_bytes(DEMO.read_bytes())
    with running_app(folder, ["--data", str(data), "--fraction", "1"], CLUSTERLENS_PRECOMPUTE="0") as app:
        yield app


def _go(page, server: StreamlitServer, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).click()


@pytest.mark.timeout(600)
def test_a_renamed_cluster_is_named_so_on_the_map(server, tmp_path):
    started = time.monotonic()
    with chromium_page() as page:
        try:
            page.goto(server.url, wait_until="domcontentloaded")
            legend = wait_until(page, LEGEND_JS, timeout=FIRST_RUN_TIMEOUT, what="the map's legend", server=server)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            assert len(legend) == 4 and NAME not in " ".join(legend), legend

            _go(page, server, "Clusters")
            page.wait_for_url(re.compile(r"/clusters(\?.*)?$"), timeout=STEP_TIMEOUT * 1000)
            wait_until(page, SECTIONS_JS, timeout=STEP_TIMEOUT, what="the cluster sections", server=server)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            box = page.get_by_label("New name")
            box.fill(NAME)
            box.press("Enter")
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            page.get_by_role("button", name="Rename").click()
            heads = wait_until(page, f"() => ({SECTIONS_JS})()?.find(t => t.includes('Cluster 0: {NAME}'))",
                               timeout=STEP_TIMEOUT, what="the renamed section", server=server)
            assert heads

            _go(page, server, "Map")
            legend = wait_until(page, f"() => {{ const l = ({LEGEND_JS})(); return l && l.includes('0: {NAME}') ? l : null; }}",
                                timeout=STEP_TIMEOUT, what="the new name in the legend", server=server)
            assert len(legend) == 4 and legend[0] == f"0: {NAME}", legend
            raise_on_app_error(page, server)
            print(f"\nbrowser edit test: {time.monotonic() - started:.0f} s")
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"screenshot: {tmp_path / 'failure.png'}\n--- streamlit log ---\n{server.log_tail()}")
            raise
