"""Where a warm reopen of the demo corpus's map spends its time in the browser: milliseconds from the
start of navigation to each step, for a new Chromium opening the app after a first visit has filled
every cache.

    python benchmarks/reopen_timeline.py [--repeat 3] [--settle 20]

Per open: the page's DOMContentLoaded, the websocket's opening, the map's arguments arriving (the
first message over 5 kB), the script's last message, the frontend's request for its component chunk
(``ComponentInstance``), the map's frame created, its arguments received in the frame, the Plotly
bundle fetched, and the map drawn (two animation frames after ``Plotly.react``). ``--settle`` waits
that many seconds after the first visit, so the background pass it started is less likely to compete.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _browser import CHROMIUM, CHROMIUM_ARGS, MAP_FRAME, ROOT, VIEWPORT, StreamlitServer, time_to_map
from reopen_floor import fill_caches

SPY_JS = """(() => {
  window.__ws = {messages: []};
  class Spy extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { window.__ws.open = performance.now(); });
      this.addEventListener('message', (e) => {
        const size = (e.data && (e.data.byteLength || e.data.size || e.data.length)) || 0;
        window.__ws.messages.push([performance.now(), size]);
      });
    }
  }
  window.WebSocket = Spy;
})();"""
PAGE_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const chunk = performance.getEntriesByType('resource').find(r => r.name.includes('ComponentInstance'));
  const big = window.__ws.messages.find(m => m[1] > 5000);
  return {dcl: nav.domContentLoadedEventEnd, ws: window.__ws.open, args: big ? big[0] : null,
          last: window.__ws.messages[window.__ws.messages.length - 1][0],
          chunk: chunk ? [chunk.startTime, chunk.responseEnd] : null};
}"""
FRAME_JS = """() => {
  const shift = performance.timeOrigin - window.parent.performance.timeOrigin;  // into the page's clock
  const bundle = performance.getEntriesByType('resource').find(r => /plotly.*\\.js/.test(r.name));
  return {frame: shift, received: window.__map.receivedAt - window.parent.performance.timeOrigin,
          bundle: bundle ? [bundle.startTime + shift, bundle.responseEnd + shift] : null,
          drawn: window.__map.drawnAt - window.parent.performance.timeOrigin};
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--settle", type=float, default=20.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(folder / "cache"), HF_HUB_OFFLINE="1")
    app = StreamlitServer(ROOT, "app.py", [], env, folder / "app.log")
    try:
        app.wait_healthy(120)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            fill_caches(browser, app)
            browser.close()
            time.sleep(args.settle)
            for _ in range(args.repeat):
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport=VIEWPORT)
                    page.add_init_script(SPY_JS)
                    seconds, _ = time_to_map(page, app, final=True, timeout=120)
                    at = page.evaluate(PAGE_JS)
                    inner = page.locator(MAP_FRAME + ":visible").last.content_frame.locator("body").evaluate(
                        f"(_) => ({FRAME_JS})()")
                finally:
                    browser.close()
                ms = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
                span = lambda v: "-" if v is None else f"{v[0]:.0f}-{v[1]:.0f}"  # noqa: E731
                print(f"reopen {seconds:.2f} s | DOMContentLoaded {ms(at['dcl'])} | websocket {ms(at['ws'])} | "
                      f"map's arguments {ms(at['args'])} | script's last message {ms(at['last'])} | "
                      f"ComponentInstance chunk {span(at['chunk'])} | frame {ms(inner['frame'])} | "
                      f"received {ms(inner['received'])} | bundle {span(inner['bundle'])} | drawn {ms(inner['drawn'])}"
                      f" (ms)")
    finally:
        app.stop()
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
