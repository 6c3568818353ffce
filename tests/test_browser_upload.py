"""A new user's first minutes in a real browser (issue 18): the app opens offline on the demo corpus,
a 60-row file with ``headline,body,label`` columns is uploaded through the sidebar, all 60 rows are
used, the map is drawn near the top with its hint above it, and the downloads are named after the file.

Debian's Chromium driven by Playwright against ``streamlit run app.py`` with the real embedding model.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browserkit import MAP_FRAME, running_app, text_uploader, wait_idle, wait_until
from test_browser import MAP_JS, browser_session

FIRST_RUN_TIMEOUT = 420  # s: exporting the ONNX model, then embedding, training and t-SNE
STEP_TIMEOUT = 180
TOPICS = [("Shares rally as markets gain", "Stocks and bonds rose on the exchange as investors bought bank shares"),
          ("Team wins the cup final", "The striker scored twice as the club beat its rivals in the league match"),
          ("New phone chip unveiled", "The company showed a faster processor for laptops and smartphones"),
          ("Rain floods the valley", "Storms and heavy rain flooded towns as rivers burst their banks")]

CAPTION_JS = """(text) => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')]
    .map(e => e.innerText).find(t => t.includes(text)) || null"""


def topic_rows_csv(path: Path, header: str, extra: list[str] | None = None) -> Path:
    """60 rows of the 4 TOPICS, 15 each: ``title, text, label`` (1-4) under ``header``'s names, then
    ``extra[i % len(extra)]`` as a fourth column when given."""
    lines = [header]
    for i in range(60):
        head, body = TOPICS[i % 4]
        row = f'"{head} ({i})","{body}, report number {i}.",{i % 4 + 1}'
        lines.append(f"{row},{extra[i % len(extra)]}" if extra else row)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def upload_file(tmp_path_factory) -> Path:
    """first_ten.csv: 60 rows, ``headline,body,label``, 15 per topic."""
    return topic_rows_csv(tmp_path_factory.mktemp("upload") / "first_ten.csv", "headline,body,label")


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """``streamlit run app.py`` with no data argument, the hub offline (so it opens on the demo corpus)."""
    with running_app(tmp_path_factory.mktemp("browser_upload_server")) as server:
        yield server


@pytest.mark.timeout(900)
def test_upload_a_60_row_file_and_download_named_exports(bare_server, upload_file, tmp_path):
    started, timings = time.monotonic(), {}
    with browser_session(bare_server, tmp_path, timings) as page:
        page.goto(bare_server.url, wait_until="domcontentloaded")
        # offline, the radio names what is loaded, with one line on why and a retry
        radio = page.locator('[data-testid="stSidebar"] [role="radiogroup"]').first
        radio.wait_for(timeout=STEP_TIMEOUT * 1000)
        page.get_by_text("Demo corpus (the AG News hub file is unavailable)").wait_for(timeout=STEP_TIMEOUT * 1000)
        page.get_by_role("button", name=re.compile("Retry the hub")).wait_for(timeout=30_000)

        radio.get_by_text("Upload a file").click()
        text_uploader(page).set_input_files(str(upload_file))
        # the demo's rows line stays up until the upload's run has read the file: wait for the upload's
        line = wait_until(page, CAPTION_JS, arg="60 rows in the file", timeout=FIRST_RUN_TIMEOUT,
                          what="the upload's rows line in the sidebar", server=bare_server)
        assert "60 rows in the file, 60 in use (fraction 1.00)" in line, line
        assert "headline + body (detected)" in line, line
        drawn = wait_until(page, """() => { const r = (%s)(); return r && r.points === 60 ? r : null; }""" % MAP_JS,
                           timeout=FIRST_RUN_TIMEOUT, what="the map of 60 texts", server=bare_server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=bare_server)
        timings["map"] = round(time.monotonic() - started, 1)
        assert len(drawn["legend"]) == 4, drawn

        # the first screen: the hint above the map, the map near the top, the cards explained
        hint = page.get_by_text(re.compile(r"drag a box or lasso", re.IGNORECASE)).first.bounding_box()
        chart = page.locator(MAP_FRAME + ":visible").last.bounding_box()
        assert hint and chart and hint["y"] < chart["y"] < 450, (hint, chart)
        assert page.get_by_text(re.compile("against K-Means on the raw embeddings")).count() >= 1
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "--" not in main, "the app names a command-line flag"

        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Data & export").click()
        button = page.get_by_role("button", name="Assignments (CSV)")
        button.wait_for(timeout=STEP_TIMEOUT * 1000)
        wait_idle(page, timeout=STEP_TIMEOUT, server=bare_server)
        names = {}
        for label in ("Assignments (CSV)", "Clusters (JSON)", "Metrics (JSON)"):
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name=label).click()
            names[label] = download.value.suggested_filename
            if label == "Assignments (CSV)":
                text = Path(download.value.path()).read_text()
                assert text.splitlines()[0].startswith("id,title,text,cluster,cluster_name,confidence"), text[:200]
                assert len(text.strip().splitlines()) == 61
        assert names == {"Assignments (CSV)": "first_ten-k4-assignments.csv",
                         "Clusters (JSON)": "first_ten-k4-clusters.json",
                         "Metrics (JSON)": "first_ten-k4-metrics.json"}, names
        timings["downloads"] = round(time.monotonic() - started, 1)
        print(f"\nbrowser upload test timings (s): {timings}")
