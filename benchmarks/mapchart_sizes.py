"""SVG against WebGL for the map's component (``pages/_mapchart.py``) at 2,000 and 5,000 points: seconds
from opening a page with one such map in a new Chromium until it is drawn, and from a box select's drag
until the page lists the selection. Where ``SVG_MAX`` sits.

    python benchmarks/mapchart_sizes.py
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

from _browser import CHROMIUM, CHROMIUM_ARGS, MAP_PLOT, ROOT, VIEWPORT, StreamlitServer, map_frame

PAGE = '''import sys
sys.path.insert(0, ROOT)
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from pages import _mapchart

n = int(st.query_params.get("n", "320"))
_mapchart.SVG_MAX = 10**9 if st.query_params.get("svg", "1") == "1" else 0
rng = np.random.default_rng(0)
xy, groups = rng.normal(size=(n, 2)), rng.integers(0, 8, n)
fig = go.Figure([go.Scattergl(x=xy[groups == c, 0], y=xy[groups == c, 1], mode="markers", name=str(c),
                              customdata=np.flatnonzero(groups == c)[:, None],
                              text=[f"headline number {i} of the corpus" for i in np.flatnonzero(groups == c)])
                 for c in range(8)])
fig.update_layout(dragmode="select", height=620)
points = _mapchart.chart(fig, key="m")["selection"]["points"]
if points:
    st.markdown(f"<div class='sel'>{len(points)} selected</div>", unsafe_allow_html=True)
'''
DRAWN = "() => { const gd = %s; return !!(gd && gd._fullData); }" % MAP_PLOT


def drag(page, box: dict) -> None:
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    x1, y1 = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    (folder / "page.py").write_text(PAGE.replace("ROOT", repr(str(ROOT))))
    server = StreamlitServer(folder, "page.py", [], dict(os.environ), folder / "log")
    server.wait_healthy(120)
    try:
        with sync_playwright() as p:
            for n, svg in ((2000, 1), (2000, 0), (5000, 1), (5000, 0)):
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT)
                started = time.monotonic()
                page.goto(f"{server.url}/?n={n}&svg={svg}", wait_until="domcontentloaded")
                page.wait_for_function(DRAWN, timeout=60_000, polling=50)
                drawn = time.monotonic() - started
                started = time.monotonic()
                drag(page, map_frame(page).locator(".nsewdrag").first.bounding_box())
                page.locator(".sel").wait_for(timeout=60_000)
                listed = time.monotonic() - started
                print(f"n={n} {'svg' if svg else 'webgl'}: drawn {drawn:.2f} s, box select listed {listed:.2f} s "
                      f"({page.locator('.sel').inner_text()})", flush=True)
                browser.close()
    finally:
        server.stop()
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
