"""Nothing leaves the machine, in a real browser: every request the page makes goes to the app's own
server, and no chart offers to upload itself or links out.

Debian's Chromium driven by Playwright against ``streamlit run app.py`` on the bundled demo corpus
(320 texts) with the real packaged model. The recorder listens on the browser context, so it sees
the requests of the page, of every frame in it (the map is a component's iframe) and of workers,
the favicon's included; web sockets and pages opened by the walk are recorded too.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from browserkit import map_frame, running_app, wait_idle, wait_until
from test_browser import CARDS_JS, _box_select, _open_map, _wait_clusters_page, browser_session

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "core" / "demo" / "demo_news.csv"
FIRST_RUN_TIMEOUT = 420  # s: embedding 320 texts (exporting the ONNX model first), training, t-SNE
STEP_TIMEOUT = 120
LOCAL_SCHEMES = {"data", "blob", "about"}  # served from memory, never the network
# a mode bar button or link that sends the chart, or the user, out of the machine: Plotly's "Share
# chart..." (sendChartToCloud), its "Produced with Plotly.js" logo link, "Edit in Chart Studio"
OUTWARD = re.compile(r"cloud|share|chart studio|plotly|edit in", re.IGNORECASE)
# each mode bar button of the documents' Plotly charts: its title, its data-attr and the link it holds
MODE_BAR_JS = """() => [...document.querySelectorAll('.modebar-btn')].map(b => ({
  title: b.getAttribute('data-title') || '', attr: b.getAttribute('data-attr') || '',
  href: b.getAttribute('href') || (b.closest('a') && b.closest('a').getAttribute('href')) || ''}))"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_privacy")
    data = folder / "demo.csv"
    data.write_bytes(DEMO.read_bytes())
    with running_app(folder, ["--data", str(data), "--fraction", "1"], CLUSTERLENS_PRECOMPUTE="0") as server:
        yield server


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pd.read_csv(DEMO)


def _outward_buttons(buttons: list[dict]) -> list[dict]:
    return [b for b in buttons if OUTWARD.search(b["title"]) or OUTWARD.search(b["attr"]) or b["href"]]


def _download(page, server, button) -> None:
    """Click a download button and wait for the file (its bytes come from the app's media route)."""
    with page.expect_download(timeout=STEP_TIMEOUT * 1000) as download:
        button.click()
    assert download.value.failure() is None, download.value.failure()
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)


def _go(page, server, title: str, heading: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=STEP_TIMEOUT * 1000)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)


@pytest.mark.timeout(600)
def test_the_maps_mode_bar_has_no_cloud_or_external_link(demo_server, corpus, tmp_path):
    with browser_session(demo_server, tmp_path, {}) as page:
        _open_map(page, demo_server, corpus, FIRST_RUN_TIMEOUT)
        buttons = map_frame(page).locator("body").evaluate(f"({MODE_BAR_JS})")
        assert any(b["title"] == "Box Select" for b in buttons), buttons  # the mode bar is there to look at
        assert _outward_buttons(buttons) == [], buttons
        assert map_frame(page).locator("a[href^='http']").count() == 0


@pytest.mark.timeout(600)
def test_a_walk_through_the_app_requests_nothing_from_another_host(demo_server, corpus, tmp_path):
    """The first map, a box selection and its download, a search, the Clusters page, the Quality page
    (three Plotly charts: their mode bars checked too) and every download of the Data & export page."""
    own = urlsplit(demo_server.url).netloc  # 127.0.0.1:PORT
    requests: list[tuple[str, str, str]] = []  # (url, resource type, the frame's url)
    sockets: list[str] = []
    with browser_session(demo_server, tmp_path, {}) as page:
        def record(request) -> None:
            try:
                frame = request.frame.url
            except Exception:  # a service worker's request has no frame
                frame = "(worker)"
            requests.append((request.url, request.resource_type, frame))

        page.context.on("request", record)
        page.on("websocket", lambda socket: sockets.append(socket.url))
        opened = []
        page.context.on("page", lambda other: opened.append(other.url))

        _open_map(page, demo_server, corpus, FIRST_RUN_TIMEOUT)
        # the page settles once the cards have their changes against the baseline
        wait_until(page, CARDS_JS, timeout=STEP_TIMEOUT, what="5 cards with their changes", server=demo_server)
        _box_select(page, demo_server, set(corpus["title"].astype(str)))
        _download(page, demo_server, page.get_by_role("button", name="Download the selection (CSV)"))

        box = page.get_by_role("textbox", name="Search by meaning", exact=True)
        box.fill("a new vaccine trial for the flu")
        box.press("Enter")
        page.get_by_role("heading", name="Search results").wait_for(timeout=STEP_TIMEOUT * 1000)
        wait_idle(page, timeout=STEP_TIMEOUT, server=demo_server)

        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Clusters").click()
        _wait_clusters_page(page, demo_server, 4)

        _go(page, demo_server, "Quality", "Clusters against labels")
        wait_until(page, "() => document.querySelectorAll('.js-plotly-plot .modebar').length >= 3", timeout=STEP_TIMEOUT,
                   what="the Quality page's three charts", server=demo_server)
        buttons = page.evaluate(MODE_BAR_JS)
        assert _outward_buttons(buttons) == [], buttons

        _go(page, demo_server, "Data & export", "Export")
        for name in ("Assignments (CSV)", "Clusters (JSON)", "Metrics (JSON)", "Encoder weights (safetensors)"):
            _download(page, demo_server, page.get_by_role("button", name=name))

    assert any("component" in frame for _, _, frame in requests), "the map's frame made no request: not recorded?"
    assert sockets and requests
    elsewhere = [r for r in requests if urlsplit(r[0]).scheme not in LOCAL_SCHEMES and urlsplit(r[0]).netloc != own]
    assert elsewhere == [], f"requests to another host than {own}: {elsewhere}"
    assert [s for s in sockets if urlsplit(s).netloc != own] == [], sockets
    assert opened == [], f"the walk opened other pages: {opened}"
