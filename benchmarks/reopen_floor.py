"""The warm reopen against what Streamlit and Plotly cost by themselves on this machine: seconds from
opening the page in a new Chromium until a 320-point WebGL map is drawn, for

  bare      a one-slider Streamlit page with no chart (the framework alone)
  plotly    the same page with one 320-point ``st.plotly_chart`` Scattergl chart (how the app drew its
            map before: Streamlit's Plotly chunk is the whole Plotly.js)
  mapchart  the same page with one 320-point map drawn as the app draws it now (``pages/_mapchart.py``:
            Plotly's basic bundle, SVG, in a component): the floor for the app's map
  app       ClusterLens on the demo corpus, every stage already cached (the warm reopen)
  app-tab   the same, in a new tab of the browser (the same profile) that opened it before, that tab
            closed: Streamlit's JavaScript chunks come from the browser's cache, as for a user
            coming back

    python benchmarks/reopen_floor.py [--repeat 3]

Each page but ``app-tab`` is opened ``--repeat`` times in a fresh browser process (no HTTP or code
cache), as the browser test does; the app is warmed by one full visit first. Prints the median of
each and the app's ratios to the ``mapchart`` floor.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _browser import (CHROMIUM, CHROMIUM_ARGS, FINAL_MAP_JS, MAP_STATE_JS, ROOT, VIEWPORT, StreamlitServer,
                      time_to_map, wait_idle)

PAGE = '''import sys

import numpy as np
import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, ROOT)
from pages import _mapchart

st.sidebar.slider("k", 2, 20, 4)
st.title("Map")
xy = np.random.default_rng(0).random((2, 320))
if st.query_params.get("chart") == "1":
    st.plotly_chart(go.Figure(go.Scattergl(x=xy[0], y=xy[1], mode="markers")))
elif st.query_params.get("chart") == "2":
    _mapchart.chart(go.Figure(go.Scattergl(x=xy[0], y=xy[1], mode="markers", customdata=np.arange(320)[:, None],
                                           text=["a title"] * 320)), key="map")
else:
    st.markdown("<div class='floor-done'>done</div>", unsafe_allow_html=True)
'''
DRAWN = {"bare": "() => !!document.querySelector('.floor-done')",
         "plotly": "() => !!document.querySelector('[data-testid=\"stPlotlyChart\"] .gl-canvas')",
         "mapchart": MAP_STATE_JS,
         "app": FINAL_MAP_JS, "app-tab": FINAL_MAP_JS}


def drawn_after(opener, url: str, drawn: str) -> float:
    """Seconds from opening ``url`` in a new page of ``opener`` until ``drawn`` holds; the page is closed.

    ``opener``: a browser (each page then gets a new context: no HTTP cache) or a browser context
    (its pages share one HTTP cache, as the tabs of a user's browser do).
    """
    page = opener.new_page(viewport=VIEWPORT) if hasattr(opener, "contexts") else opener.new_page()
    try:
        started = time.monotonic()
        page.goto(url, wait_until="domcontentloaded")
        while not page.evaluate(drawn):
            if time.monotonic() - started > 120:
                raise TimeoutError(url)
            time.sleep(0.05)
        return time.monotonic() - started
    finally:
        page.close()


def fill_caches(opener, app: StreamlitServer) -> None:
    """A first full visit of the app in a page of ``opener`` (a browser or a context, as in
    :func:`drawn_after`): every stage cached for the reopens after it, and the page closed."""
    page = opener.new_page(viewport=VIEWPORT) if hasattr(opener, "contexts") else opener.new_page()
    time_to_map(page, app, final=True, timeout=600)
    wait_idle(page, timeout=300, server=app)
    page.close()


def opened(p, url: str, drawn: str) -> float:
    """The same in a new browser process (no HTTP or code cache)."""
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        return drawn_after(browser, url, drawn)
    finally:
        browser.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    (folder / "floor.py").write_text(PAGE.replace("ROOT", repr(str(ROOT))))
    env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(folder / "cache"), HF_HUB_OFFLINE="1")
    floor = StreamlitServer(folder, "floor.py", [], env, folder / "floor.log")
    app = StreamlitServer(ROOT, "app.py", [], env, folder / "app.log")
    times: dict[str, list[float]] = {name: [] for name in DRAWN}
    try:
        floor.wait_healthy(120)
        app.wait_healthy(120)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            tabs = browser.new_context(viewport=VIEWPORT)  # one profile: its tabs share the HTTP cache
            fill_caches(tabs, app)
            for _ in range(args.repeat):  # interleaved, so a change of load touches all alike
                times["bare"].append(opened(p, floor.url + "/?chart=0", DRAWN["bare"]))
                times["plotly"].append(opened(p, floor.url + "/?chart=1", DRAWN["plotly"]))
                times["mapchart"].append(opened(p, floor.url + "/?chart=2", DRAWN["mapchart"]))
                times["app"].append(opened(p, app.url, DRAWN["app"]))
                times["app-tab"].append(drawn_after(tabs, app.url, DRAWN["app-tab"]))
            browser.close()
    finally:
        floor.stop()
        app.stop()
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:8s} median {median[name]:5.2f} s   runs {' '.join(f'{v:.2f}' for v in values)}")
    print(f"app / mapchart floor: {median['app'] / median['mapchart']:.2f}x; app-tab / mapchart floor: "
          f"{median['app-tab'] / median['mapchart']:.2f}x; app / plotly page: {median['app'] / median['plotly']:.2f}x; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
