"""Plain Plotly.js (no Streamlit) drawing and panning the map figure of N synthetic points in Chromium.

    python benchmarks/plotly_points.py 200000 text      # text: with hover titles; notext: without

Prints newPlot (until two animation frames after) and the mean of 5 relayouts (a pan), in ms.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _common  # noqa: F401  (the repository on the import path)

import numpy as np  # noqa: E402
import plotly  # noqa: E402

from _browser import chromium_page  # noqa: E402
from core.plots.plots import map_figure  # noqa: E402

NEW_PLOT_JS = """async () => { const t0 = performance.now(); await Plotly.newPlot('g', spec.data, spec.layout);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return performance.now() - t0; }"""
PAN_JS = """async () => { const t0 = performance.now();
  for (let i = 0; i < 5; i++) { await Plotly.relayout('g', {'xaxis.range': [-50 + i, 50 + i]}); }
  await new Promise(r => requestAnimationFrame(r)); return (performance.now() - t0) / 5; }"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="points")
    parser.add_argument("mode", choices=["text", "notext"], help="with hover titles or without")
    args = parser.parse_args()
    n = args.n
    rng = np.random.default_rng(0)
    g = rng.integers(0, 8, n)
    xy = (rng.uniform(-40, 40, (8, 2))[g] + rng.normal(scale=6, size=(n, 2))).astype(np.float32)
    titles = [f"Synthetic headline {i}" for i in range(n)]
    fig = map_figure(xy, g, {i: str(i) for i in range(8)}, titles, np.arange(n))
    if args.mode == "notext":
        for trace in fig.data:
            trace.text = None
            trace.hovertemplate = None
    plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    html = (f"<html><body><div id=g style='width:1200px;height:620px'></div><script>{plotly_js}</script>"
            f"<script>window.spec={fig.to_json()};</script></body></html>")
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "plotly_points.html"
        page_file.write_text(html)
        with chromium_page() as page:
            page.goto(page_file.as_uri())
            print(args.mode, n, "newPlot ms", round(page.evaluate(NEW_PLOT_JS)))
            print(args.mode, n, "relayout ms each", round(page.evaluate(PAN_JS)))


if __name__ == "__main__":
    main()
