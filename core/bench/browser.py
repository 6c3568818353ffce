"""Driving the app in a real browser, for the browser tests (``tests/browserkit.py``) and the browser
benchmarks (``benchmarks/_browser.py``): run ``streamlit run`` in its own process group, drive Debian's
Chromium with Playwright, wait for the page. Playwright is a development dependency, imported where a
page is opened; nothing here imports streamlit (the server is a child process).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 1000}

# what Streamlit draws for an uncaught exception (with or without details) or an st.error
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# the Map page's map (pages/_mapchart.py) is Plotly.js inside a component's iframe, same-origin with the page
MAP_FRAME = 'iframe[title*="clusterlens_map_"]'  # clusterlens_map_svg or clusterlens_map_gl
# a JS expression: the plot element of the last map on the page that has finished drawing, or null
MAP_PLOT = ("(() => { let gd = null; for (const f of document.querySelectorAll('%s')) { "
            "const w = f.contentWindow, g = w && w.document.querySelector('.js-plotly-plot'); "
            "if (g && g._fullLayout && w.__map && w.__map.drawnAt) gd = g; } return gd; })()"
            % MAP_FRAME)

# an init script: records when the browser receives the first large websocket message (the figure) from
# the server, in epoch ms, as window.__bigFrameAt (the map's "data arrived" clock)
SPY_JS = """(() => {
  window.__bigFrameAt = null;
  class Spy extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const size = (e.data && (e.data.byteLength || e.data.size || e.data.length)) || 0;
        if (size > 1000000 && window.__bigFrameAt === null) {
          window.__bigFrameAt = performance.timeOrigin + performance.now();
        }
      });
    }
  }
  window.WebSocket = Spy;
})();"""


def map_frame(page):
    """The last visible map's frame, for locators inside it (its legend, its drag layer, its mode bar)."""
    return page.locator(MAP_FRAME + ":visible").last.content_frame


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``python -m streamlit run APP`` in its own process group, its output in ``log``. Its other settings
    are the repository's ``.streamlit/config.toml``, as shipped (no usage statistics among them: the
    privacy test checks that a browser on it requests nothing from another host)."""

    def __init__(self, root: Path, app: str, app_args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [sys.executable, "-m", "streamlit", "run", app, "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--", *app_args]
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"streamlit not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self._log_file.flush()
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the whole process group (streamlit and anything it started), then reap it."""
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:  # the leader is gone; children may not be
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log_file.close()


@contextmanager
def chromium_page() -> Iterator:
    """A fresh page in Debian's Chromium (Playwright cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            yield page
        finally:
            browser.close()


def raise_on_app_error(page, server: StreamlitServer | None = None) -> None:
    """Fail at once, with the message, when the app shows an exception or an error box."""
    errors = page.locator(ERROR_SELECTOR)
    if errors.count():
        message = " | ".join(errors.all_inner_texts())
        tail = f"\n--- streamlit log ---\n{server.log_tail()}" if server else ""
        raise AssertionError(f"the app shows an error: {message}{tail}")


def wait_until(page, js: str, *, timeout: float, what: str, server: StreamlitServer | None = None,
               arg=None, poll: float = 1.0):
    """Poll the JS predicate ``js`` (a function of ``arg``) until it returns a truthy value, failing early
    on an app error. Returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        raise_on_app_error(page, server)
        value = page.evaluate(js, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        page.wait_for_timeout(poll * 1000)


#: The app's script has finished and nothing on the page is left from the run before (the page's own
#: record of its script's state: Streamlit's status widget is not drawn in this layout).
IDLE_JS = """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')
  === 'notRunning' && !document.querySelector('[data-stale="true"]')"""


def wait_idle(page, *, timeout: float, server: StreamlitServer | None = None) -> None:
    """The page idle, and still idle half a second later (a rerun may be just about to start)."""
    for _ in range(2):
        wait_until(page, IDLE_JS, timeout=timeout, what="the app idle", server=server, poll=0.25)
        page.wait_for_timeout(500)
    wait_until(page, IDLE_JS, timeout=timeout, what="the app idle", server=server, poll=0.25)
