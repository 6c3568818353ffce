"""The Map page's map at 200,000 and 1,000,000 points (issue 29): seconds until every point is drawn, in
Chromium without a GPU (SwiftShader), over the real page (``tests/bigmap_app.py``: a finished synthetic
run, no embedding), on a server whose run is already in memory (a first visit warms it, a second is timed).

    python benchmarks/map_million.py                 # 200,000 then 1,000,000
    python benchmarks/map_million.py --sizes 1000000

Prints per size: ``open`` (the page opened until every point drawn: the server's script run, the figure's
transfer and the drawing), ``arrival`` (the figure's websocket message until drawn: the browser's part),
``component`` (the component's arguments until drawn: decoding, ``decode``, and Plotly), the ratio of each to the first
size's, and the machine's load average (the machine is shared: read the ratios, not the seconds).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _browser import MAP_PLOT, SPY_JS, chromium_page, raise_on_app_error, start_app

DRAWN_JS = f"""(n) => {{
  const gd = {MAP_PLOT};
  const clock = gd && gd.ownerDocument.defaultView.__map;
  return gd && clock && clock.points === n && clock.drawnAt ? clock : null;
}}"""


def time_map(server, n: int) -> dict:
    """One visit: seconds from opening the page, from the figure's arrival and inside the component."""
    with chromium_page() as page:
        page.add_init_script(SPY_JS)
        opened = time.time() * 1000
        page.goto(server.url, wait_until="domcontentloaded")
        clock = page.wait_for_function(DRAWN_JS, arg=n, timeout=600_000, polling=100).json_value()
        arrived = page.evaluate("() => window.__bigFrameAt")
        raise_on_app_error(page, server)
    return {"open": (clock["drawnAt"] - opened) / 1000, "arrival": (clock["drawnAt"] - arrived) / 1000,
            "component": (clock["drawnAt"] - clock["receivedAt"]) / 1000,
            "decode": (clock["decodedAt"] - clock["receivedAt"]) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000],
                        help="points (the first: the baseline)")
    args = parser.parse_args()
    first = None
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            server = start_app(Path(folder), "tests/bigmap_app.py", BIGMAP_N=str(n))
            try:
                time_map(server, n)  # warms the server: the synthetic run built, the modules imported
                times = time_map(server, n)
            finally:
                server.stop()
        first = first or times
        ratios = " ".join(f"{k} x{times[k] / first[k]:.2f}" for k in times)
        print(f"{n:>9,} points: open {times['open']:.1f} s, arrival {times['arrival']:.1f} s, component "
              f"{times['component']:.1f} s (decoding {times['decode']:.1f} s of it; ratios to {args.sizes[0]:,}: "
              f"{ratios}); load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
