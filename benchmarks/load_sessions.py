"""Whether the server keeps answering while several browser sessions work (issue 28, "new visitors
locked out under load"): ``--sessions`` scripted Chromium sessions change k and search on the demo
corpus, and meanwhile a new visitor opens the app and a probe polls ``/_stcore/health``.

    python benchmarks/load_sessions.py [--sessions 6] [--before-root DIR] [--settle 20] [--probe-for 60]

A server on a fresh cache folder is warmed by one full visit (the demo's map computed and cached) and
``--quiet`` seconds for its background pass. Then, on that same server:

  baseline  no other session: the health probe for ``--baseline-for`` seconds, and one new visitor
  load      ``--sessions`` sessions, each alternately moving k one step (3 to 8 and back) and searching
            by meaning, each step done when its page shows the result and has stopped running; after
            ``--settle`` seconds of that, the health probe for ``--probe-for`` seconds and one new visitor;
            with ``--think S`` the sessions are impatient users who act every S seconds without waiting

The visitor's figures: seconds to the first byte of ``/`` (plain HTTP, as the browser's first request),
then, in a new Chromium context (no HTTP cache), to the app's first page on screen (the Map page's first
line) and to its map drawn (the encoder's, final). The probe's: seconds per answer of
``/_stcore/health`` (one request every ``--probe-every`` seconds, each on a new connection; one not
answered within ``--probe-timeout`` counts as that timeout). ``--before-root`` measures a copy of the
repository from before a change first, the same way, in the same run. Prints each figure for both
phases and their ratio, the sessions' step times, and the load average (the machine is shared).
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import logging
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from _browser import CHROMIUM, CHROMIUM_ARGS, IDLE_JS, MAP_PLOT, ROOT, VIEWPORT, StreamlitServer

log = logging.getLogger("load_sessions")

# the final map (the encoder's, titled "... latent space") drawn with points
FINAL_MAP_JS = """() => {
  const gd = %s;
  if (!gd || !gd._fullData) return false;
  const points = gd._fullData.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0);
  const title = (gd._fullLayout.title && gd._fullLayout.title.text) || "";
  return /latent space/.test(title) && points > 0 && !!gd.querySelector('.gl-canvas, .scatterlayer .point');
}""" % MAP_PLOT
# the Map page on screen: it has no title (the map fills the first screen); its first line names the texts
TITLE_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stCaptionContainer"]')]
  .some(c => / texts from /.test(c.innerText))"""
QUERIES = ["the striker scored twice in the cup final", "interest rates and the central bank",
           "a new phone with a faster chip", "elections and a new government", "the top scorer of the league",
           "a merger of two airlines", "a rocket launch to the moon", "peace talks between neighbours"]
# the page shows k clusters: its first line names "k = <k>" and the map's legend has k entries
SHOWS_K_JS = """(k) => {
  const caption = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stCaptionContainer"]')]
    .find(c => / texts from /.test(c.innerText));
  const gd = %s;
  const legend = gd ? gd.querySelectorAll('.legend .legendtext').length : 0;
  return !!caption && caption.innerText.includes(`k = ${k} ·`) && legend === k;
}""" % MAP_PLOT
# the search results for the query that begins with ``start`` are listed
SHOWS_SEARCH_JS = """(start) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
  .some(e => e.innerText.includes('Highlighted on the map') && e.innerText.includes(start))"""


@dataclass
class Probe:
    """``/_stcore/health`` polled from a thread: one new connection per request."""

    port: int
    every: float
    timeout: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            ok = _get(self.port, "/_stcore/health", self.timeout)[0] is not None
            took = time.monotonic() - started
            self.latencies.append(took if ok else self.timeout)
            self.failures += not ok
            self.stop.wait(max(0.0, self.every - took))


def _get(port: int, path: str, timeout: float) -> tuple[float | None, int | None]:
    """(seconds to the first byte of the answer to GET ``path``, status), or (None, None) on a timeout/error."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()  # returns once the status line has arrived
        first = time.monotonic() - started
        response.read()
        return first, response.status
    except OSError:
        return None, None
    finally:
        connection.close()


async def _until(page, js: str, timeout: float, poll: float = 0.1, arg=None) -> float:
    started = time.monotonic()
    while not await page.evaluate(js, arg):
        if time.monotonic() - started > timeout:
            raise TimeoutError(js[:60])
        await asyncio.sleep(poll)
    return time.monotonic() - started


async def _idle(page, timeout: float) -> None:
    await asyncio.sleep(0.3)  # the status widget appears a moment after the rerun request
    await _until(page, IDLE_JS, timeout, poll=0.2)


async def _open(browser, url: str, timeout: float) -> tuple[object, object, float, float]:
    """A new context (no HTTP cache) and page at ``url``: (context, page, seconds until the Map page's
    title shows, seconds until its final map is drawn)."""
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        started = time.monotonic()
        await page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        await _until(page, TITLE_JS, timeout - (time.monotonic() - started), poll=0.05)
        shown = time.monotonic() - started
        await _until(page, FINAL_MAP_JS, timeout - (time.monotonic() - started))
    except BaseException:
        await context.close()
        raise
    return context, page, shown, time.monotonic() - started


async def _session(browser, url: str, index: int, steps: list[float], ready: asyncio.Event,
                   stop: asyncio.Event, timeout: float, think: float | None) -> None:
    """One user: open the map, then alternately move k one step (up to 8, down to 3, ...) and search by
    meaning, each step done when the page shows its result and has stopped running; until ``stop``.
    With ``think``: an impatient user, who acts every ``think`` seconds without waiting for the page."""
    context, page, _, _ = await _open(browser, url, timeout)
    try:
        await _idle(page, timeout)
        ready.set()
        slider = page.get_by_role("slider", name="Clusters (k)")
        box = page.get_by_role("textbox", name="Search by meaning", exact=True)
        k, up, i = 4, index % 2 == 0, index  # sessions start at different points
        while not stop.is_set():
            started = time.monotonic()
            if i % 2 == 0:
                up = up if 3 < k < 8 else k <= 3
                k += 1 if up else -1
                await slider.focus()
                await page.keyboard.press("ArrowRight" if up else "ArrowLeft")
                done = (SHOWS_K_JS, k)
            else:
                query = QUERIES[i % len(QUERIES)]
                await box.fill(query)
                await box.press("Enter")
                done = (SHOWS_SEARCH_JS, query[:40])
            if think is None:
                await _until(page, done[0], timeout, arg=done[1])
                await _idle(page, timeout)
            else:
                await asyncio.sleep(think)
            steps.append(time.monotonic() - started)
            i += 1
    finally:
        await context.close()


def _visit(port: int, timeout: float) -> float | None:
    return _get(port, "/", timeout)[0]


async def _phase(browser, server: StreamlitServer, args, sessions: int) -> dict:
    """The probe and one visitor, beside ``sessions`` working sessions (after ``--settle`` s of them)."""
    steps: list[float] = []
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(sessions)]
    workers = [asyncio.create_task(_session(browser, server.url, i, steps, readies[i], stop, args.step_timeout,
                                            args.think)) for i in range(sessions)]
    try:
        if sessions:
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), args.step_timeout * 2)
            await asyncio.sleep(args.settle)
        probe = Probe(server.port, args.probe_every, args.probe_timeout)
        thread = threading.Thread(target=probe.run, daemon=True)
        cpu0, wall0 = _cpu_seconds(server), time.monotonic()
        thread.start()
        await asyncio.sleep(2.0)  # the probe's first answers before the visitor arrives
        first_byte = await asyncio.to_thread(_visit, server.port, args.visitor_timeout)
        from playwright.async_api import TimeoutError as PageTimeout

        try:
            context, _, first_page, first_map = await _open(browser, server.url, args.visitor_timeout)
            await context.close()
        except (TimeoutError, PageTimeout):  # counted as not shown
            first_page = first_map = None
        remaining = args.probe_for - 2.0 - (first_map or args.visitor_timeout)
        await asyncio.sleep(max(0.0, remaining))
        probe.stop.set()
        await asyncio.to_thread(thread.join)
        server_cpu = (_cpu_seconds(server) - cpu0) / (time.monotonic() - wall0)
    finally:
        stop.set()
        for worker in workers:
            if worker.done() and worker.exception():
                log.warning("a session failed: %r", worker.exception())
        await asyncio.gather(*workers, return_exceptions=True)
    return {"first_byte": first_byte, "first_page": first_page, "first_map": first_map, "health": probe.latencies,
            "health_failures": probe.failures, "steps": steps, "server_cpu": server_cpu}


def _cpu_seconds(server: StreamlitServer) -> float:
    """CPU time (user + system, all threads) the server process has used so far."""
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fmt(seconds: float | None) -> str:
    return "timeout" if seconds is None else f"{seconds:.2f} s"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(name: str, figures: dict) -> dict[str, float | None]:
    health = figures["health"]
    out = {"first byte of /": figures["first_byte"], "first page (its title)": figures["first_page"],
           "its map drawn": figures["first_map"],
           "health median": statistics.median(health) if health else None,
           "health p95": _quantile(health, 0.95) if health else None,
           "health max": max(health) if health else None}
    steps = figures["steps"]
    extra = (f"; sessions' steps: {len(steps)}, median {statistics.median(steps):.2f} s, "
             f"max {max(steps):.2f} s") if steps else ""
    print(f"{name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in out.items())
          + f" ({len(health)} health probes, {figures['health_failures']} unanswered){extra}; the server used "
          f"{figures['server_cpu']:.2f} CPU-s per s meanwhile", flush=True)
    return out


async def _measure(p, args, label: str, root: Path) -> tuple[dict, dict]:
    """(baseline, loaded) figures of one server running the app in ``root``."""
    folder = Path(tempfile.mkdtemp(prefix="load_sessions_"))
    env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(args.cache or folder / "cache"), HF_HUB_OFFLINE="1",
               PYTHONUNBUFFERED="1")
    server = StreamlitServer(root, "app.py", [], env, folder / "streamlit.log")
    print(f"{label}: server log {server.log}; load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        server.wait_healthy(120)
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context, page, _, seconds = await _open(browser, server.url, args.first_timeout)
            await _idle(page, args.first_timeout)
            await context.close()
            print(f"{label}: warm-up, the first map in {seconds:.1f} s", flush=True)
            await asyncio.sleep(args.quiet)  # the warm-up's background pass
            baseline = await _phase(browser, server, replace_probe(args, args.baseline_for), 0)
            _report(f"{label}, baseline (no other session)", baseline)
            loaded = await _phase(browser, server, args, args.sessions)
            _report(f"{label}, with {args.sessions} sessions working", loaded)
        finally:
            await browser.close()
    finally:
        server.stop()
    return baseline, loaded


async def _main(args) -> None:
    from playwright.async_api import async_playwright

    print(f"machine: {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.1f}", flush=True)
    runs = [("this checkout", ROOT)]
    if args.before_root:
        runs.insert(0, ("before", args.before_root.resolve()))
    results = []
    async with async_playwright() as p:
        for label, root in runs:
            results.append((label, *await _measure(p, args, label, root)))
    print(f"--- summary; load average at the end {os.getloadavg()[0]:.1f}")
    for label, baseline, loaded in results:
        a = _report(f"{label}, baseline (no other session)", baseline)
        b = _report(f"{label}, with {args.sessions} sessions working", loaded)
        ratios = ", ".join(f"{k} {b[k] / a[k]:.1f}x" for k in a if a[k] and b[k] is not None)
        print(f"{label}, ratio loaded / baseline: {ratios}")


def replace_probe(args, seconds: float):
    copy = argparse.Namespace(**vars(args))
    copy.probe_for = seconds
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds of load before the probe and visitor")
    parser.add_argument("--probe-for", type=float, default=60.0)
    parser.add_argument("--baseline-for", type=float, default=20.0)
    parser.add_argument("--probe-every", type=float, default=0.5)
    parser.add_argument("--probe-timeout", type=float, default=60.0)
    parser.add_argument("--visitor-timeout", type=float, default=300.0)
    parser.add_argument("--step-timeout", type=float, default=300.0)
    parser.add_argument("--first-timeout", type=float, default=600.0)
    parser.add_argument("--quiet", type=float, default=20.0, help="seconds after the warm-up (its background pass)")
    parser.add_argument("--think", type=float,
                        help="impatient users: each session acts every THINK seconds without waiting for its page")
    parser.add_argument("--cache", type=Path, help="a cache folder to reuse (default: a fresh one)")
    parser.add_argument("--before-root", type=Path,
                        help="a copy of the repository before a change (git archive COMMIT | tar -x -C DIR): "
                             "measured first, the same way, in the same run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
