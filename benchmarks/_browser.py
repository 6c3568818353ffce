"""Browser helpers for the benchmark scripts: run a Streamlit app, drive Debian's Chromium with Playwright,
time the Map page's map.

A copy of what the scripts need from the tests' ``tests/browserkit.py`` and ``tests/test_browser_speed.py``
(the benchmarks import no test module: a test's refactoring must not break a research script, and a
script must not reach into a test's private helpers). The selectors follow the app's markup; when the
tests' copies change because the app did, change these too.
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

ROOT = Path(__file__).resolve().parents[1]

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
