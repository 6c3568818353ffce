"""Search by meaning in a real browser: type a query on the Map page, see the nearest texts listed
and the map dimmed around them, then clear the box and see the map restored.

Debian's Chromium driven by Playwright against ``streamlit run app.py`` on the bundled demo corpus
(320 texts) with the real packaged model.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from browserkit import MAP_PLOT, chromium_page, raise_on_app_error, running_app, wait_idle, wait_until

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "core" / "demo" / "demo_news.csv"
FIRST_RUN_TIMEOUT = 420  # s: embedding 320 texts (exporting the ONNX model first), training, t-SNE
STEP_TIMEOUT = 120

# {bright, dimmed} points of the map as the browser holds them: a trace's ``meta`` marks the dimmed;
# its hover ``text`` is a plain list (``x`` may arrive binary-encoded)
POINTS_JS = """() => {
  const gd = %s;
  if (!gd || !gd.data || !gd.querySelector('.gl-canvas, .scatterlayer .point')) return null;
  let bright = 0, dimmed = 0;
  for (const t of gd.data) {
    const n = (t.text && t.text.length) || 0;
    if (t.meta === 'dimmed') dimmed += n; else bright += n;
  }
  return {bright, dimmed, opacities: gd.data.map(t => t.marker && t.marker.opacity)};
}""" % MAP_PLOT
ROWS_JS = """() => {
  const rows = [...document.querySelectorAll('[data-testid="stDataFrame"] [role="row"]')]
    .map(r => [...r.querySelectorAll('[role="gridcell"]')].map(c => c.innerText.trim())).filter(r => r.length);
  return rows.length ? rows : null;
}"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_search")
    data = folder / "demo.csv"
    data.write_bytes(DEMO.read_bytes())
    with running_app(folder, ["--data", str(data), "--fraction", "1"], CLUSTERLENS_PRECOMPUTE="0") as server:
        yield server


def _points(page, server, want) -> dict:
    return wait_until(page, f"() => {{ const p = ({POINTS_JS})(); return p && ({want}) ? p : null; }}",
                      timeout=STEP_TIMEOUT, what=want, server=server)


@pytest.mark.timeout(600)
def test_search_by_meaning_lists_results_and_dims_the_map(demo_server, tmp_path):
    with chromium_page() as page:
        try:
            page.goto(demo_server.url, wait_until="domcontentloaded")
            wait_until(page, POINTS_JS, timeout=FIRST_RUN_TIMEOUT, what="the map", server=demo_server)
            wait_idle(page, timeout=STEP_TIMEOUT, server=demo_server)
            start = _points(page, demo_server, "p.bright === 320")
            assert start["dimmed"] == 0, start

            box = page.get_by_role("textbox", name="Search by meaning", exact=True)
            box.fill("football match: the striker scored twice in the final")
            box.press("Enter")
            heading = page.get_by_role("heading", name="Search results")
            heading.wait_for(timeout=STEP_TIMEOUT * 1000)
            searched = _points(page, demo_server, "p.dimmed === 270")
            wait_idle(page, timeout=STEP_TIMEOUT, server=demo_server)
            assert searched["bright"] == 50, searched  # the 50 nearest bright, the rest faint
            assert min(o for o in searched["opacities"] if o is not None) < 0.2, searched
            caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Highlighted on the map")
            assert re.search(r"the 50 texts nearest in meaning", caption.inner_text()), caption.inner_text()
            rows = wait_until(page, ROWS_JS, timeout=30, what="the results table", server=demo_server)
            similarities = [float(row[0]) for row in rows]  # the first column, best first
            assert len(similarities) >= 5 and similarities == sorted(similarities, reverse=True), rows[:5]
            assert all(0 < s <= 1 for s in similarities), rows[:5]

            box.fill("")  # clearing restores the map
            box.press("Enter")
            _points(page, demo_server, "p.bright === 320 && p.dimmed === 0")
            wait_idle(page, timeout=STEP_TIMEOUT, server=demo_server)
            assert page.get_by_role("heading", name="Search results").count() == 0
            raise_on_app_error(page, demo_server)
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"\nscreenshot: {tmp_path / 'failure.png'}\n--- streamlit log ---\n{demo_server.log_tail()}")
            raise
