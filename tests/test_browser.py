"""The whole app in a real browser: Debian's Chromium driven by Playwright against ``streamlit run``.

The server reads the bundled demo corpus (320 news texts, 80 per label) with the real embedding model; both tests share it
(the first pays for embedding, training and t-SNE; the second reuses Streamlit's caches). Each test
opens a fresh browser session, so every sidebar setting starts at its default (k = 4).
"""
from __future__ import annotations

import html
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from browserkit import (MAP_PLOT, StreamlitServer, chromium_page, map_frame, raise_on_app_error, require_browser,
                        running_app, wait_idle, wait_until)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "core" / "demo" / "demo_news.csv"
FIRST_RUN_TIMEOUT = 420  # s: the first run embeds 320 texts (exporting the ONNX model first), trains, runs t-SNE
STEP_TIMEOUT = 120       # s: a rerun after a widget change (the embeddings and the encoder are cached)

MAP_JS = """() => {
  const gd = %s;
  if (!gd || !gd._fullData || !gd.querySelector('.gl-canvas, .scatterlayer .point')) return null;
  const points = gd._fullData.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0);
  const legend = [...gd.querySelectorAll('.legend .legendtext')].map(e => e.textContent);
  return points > 0 && legend.length ? {points, legend} : null;
}""" % MAP_PLOT
LEGEND_JS = """(n) => {
  const gd = %s;
  const legend = gd ? [...gd.querySelectorAll('.legend .legendtext')] : [];
  return legend.length === n ? legend.map(e => e.textContent) : null;
}""" % MAP_PLOT
SELECTED_JS = """() => {
  const gd = %s;
  return gd.data.flatMap((t, i) => (t.selectedpoints || []).map(j => String((t.text || gd._fullData[i].text)[j])));
}""" % MAP_PLOT
CARDS_JS = """() => {
  const texts = (id) => [...document.querySelectorAll(`[data-testid="${id}"]`)].map(e => e.innerText);
  const labels = texts("stMetricLabel"), values = texts("stMetricValue");
  const pending = document.body.innerText.includes("computing the change");
  return labels.length === 5 && values.length === 5 && !pending ? {labels, values} : null;
}"""
CELLS_JS = """() => {
  const cells = [...document.querySelectorAll('[data-testid="stDataFrame"] [role="gridcell"]')];
  return cells.length ? cells.map(c => c.innerText.trim()) : null;
}"""


_require_browser = require_browser  # the other browser tests import it from here


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """The bundled demo corpus (title, description, label) copied as small.csv."""
    path = tmp_path_factory.mktemp("browser_data") / "small.csv"
    path.write_bytes(DEMO.read_bytes())
    return path


@pytest.fixture(scope="module")
def corpus(small_data) -> pd.DataFrame:
    return pd.read_csv(small_data)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, small_data):
    """``streamlit run app.py -- --data small.csv --fraction 1`` on a free port, with a private cache."""
    with running_app(tmp_path_factory.mktemp("browser_server"), ["--data", str(small_data), "--fraction", "1"]) as server:
        yield server


@contextmanager
def browser_session(server: StreamlitServer, tmp_path: Path, timings: dict):
    """A page on the app; on any failure, a screenshot in tmp_path and the server's last log lines."""
    with chromium_page() as page:
        try:
            yield page
        except BaseException:
            shot = tmp_path / "failure.png"
            try:
                page.screenshot(path=str(shot))
                print(f"\nscreenshot of the failure: {shot}")
            except Exception as exc:  # the browser may be gone
                print(f"\nno screenshot: {exc}")
            print(f"timings so far (s): {timings}\n--- streamlit log ({server.log}) ---\n{server.log_tail()}")
            raise


def _lap(timings: dict, started: float, name: str) -> None:
    timings[name] = round(time.monotonic() - started, 1)


def _open_map(page, server: StreamlitServer, corpus: pd.DataFrame, timeout: float) -> None:
    """The map with every text drawn and one legend entry per cluster (k = 4 by default)."""
    page.goto(server.url, wait_until="domcontentloaded")
    drawn = wait_until(page, MAP_JS, timeout=timeout, what="the map", server=server)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)
    assert drawn["points"] == len(corpus), drawn
    assert len(drawn["legend"]) == 4, drawn["legend"]


def _set_k_to_5(page, server: StreamlitServer) -> list[str]:
    """k from 4 to 5 with the keyboard on the sidebar slider; returns the map's legend."""
    thumb = page.get_by_role("slider", name="Clusters (k)")  # an <input type=range>: role "slider" is implicit
    assert thumb.get_attribute("aria-valuetext") == "4"
    thumb.focus()
    page.keyboard.press("ArrowRight")
    legend = wait_until(page, LEGEND_JS, arg=5, timeout=STEP_TIMEOUT, what="5 legend entries", server=server)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)
    assert thumb.get_attribute("aria-valuetext") == "5"
    assert [entry.split(":")[0] for entry in legend] == ["0", "1", "2", "3", "4"], legend
    assert "k = 5" in page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    return legend


def _box_select(page, server: StreamlitServer, titles: set[str]) -> int:
    """Drag a box over the middle 60% of the plot (the chart opens in box-select mode) and check the
    articles listed below the map are the selected points, as rows of small.csv. Returns their number."""
    box = map_frame(page).locator('.nsewdrag').first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    x0, y0 = box["x"] + 0.2 * box["width"], box["y"] + 0.2 * box["height"]
    x1, y1 = box["x"] + 0.8 * box["width"], box["y"] + 0.8 * box["height"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()

    heading = page.locator('[data-testid="stHeading"]').filter(has_text=re.compile(r"selected texts?"))
    heading.wait_for(timeout=STEP_TIMEOUT * 1000)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)
    match = re.fullmatch(r"([\d,]+) selected texts?", heading.inner_text().strip())
    assert match, heading.inner_text()
    n_selected = int(match.group(1).replace(",", ""))
    assert n_selected > 0

    # the browser's selected points (their hover texts are the headlines, HTML-escaped) ...
    selected_hover = [html.unescape(t) for t in page.evaluate(SELECTED_JS)]
    assert len(selected_hover) == n_selected, (len(selected_hover), n_selected)
    # ... are the rows of the table: its (canvas) grid exposes the visible cells as an accessible table
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=STEP_TIMEOUT * 1000)
    cells = wait_until(page, CELLS_JS, timeout=30, what="the cells of the selected articles' table", server=server)
    shown_titles = [c for c in cells if c in titles]
    assert shown_titles, f"no headline of small.csv among the table's cells: {cells[:12]}"
    assert set(shown_titles) <= set(selected_hover), set(shown_titles) - set(selected_hover)
    return n_selected


def _cluster_headers(page) -> dict[int, list[str]]:
    """{cluster: keywords} from the Clusters page's expander headers "Cluster 0: a, b, c · 98 texts"."""
    summaries = page.locator('[data-testid="stExpander"] summary').filter(has_text=re.compile(r"Cluster \d+:"))
    keywords: dict[int, list[str]] = {}
    for text in summaries.all_inner_texts():
        header = re.sub(r"^keyboard_arrow_\w+\s*", "", text.strip())  # the expander's icon ligature
        parsed = re.fullmatch(r"Cluster (\d+): (.*?) · ([\d,]+) texts", header)
        assert parsed, header
        keywords[int(parsed.group(1))] = [w.strip().lower() for w in parsed.group(2).split(",") if w.strip()]
    return keywords


def _whole_word(word: str, text: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


# the Clusters page's sections ("Cluster 3: ..."), not the sidebar's "Encoder and seed" expander
CLUSTER_SECTIONS_JS = """(k) => [...document.querySelectorAll('[data-testid="stExpander"] summary')]
    .filter(s => /Cluster \\d+:/.test(s.innerText)).length >= k"""


def _wait_clusters_page(page, server: StreamlitServer, k: int) -> None:
    """Wait for the Clusters page with all ``k`` sections drawn (Streamlit shows its "running" widget
    only after a delay, so idleness alone can be seen before the page is complete)."""
    # the view's settings follow in the query (pages/_link.py)
    page.wait_for_url(re.compile(r"/clusters(\?.*)?$"), timeout=STEP_TIMEOUT * 1000)
    page.get_by_role("heading", name="Clusters", exact=True).wait_for(timeout=STEP_TIMEOUT * 1000)
    wait_until(page, CLUSTER_SECTIONS_JS, arg=k, timeout=STEP_TIMEOUT, what=f"{k} cluster sections", server=server)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)
    raise_on_app_error(page, server)


@pytest.mark.timeout(600)
def test_map_selection_and_clusters_in_a_real_browser(app_server, corpus, tmp_path):
    titles = set(corpus["title"].astype(str))
    text = " ".join((corpus["title"].astype(str) + " " + corpus["description"].astype(str)).str.lower())
    started, timings = time.monotonic(), {}
    with browser_session(app_server, tmp_path, timings) as page:
        _open_map(page, app_server, corpus, FIRST_RUN_TIMEOUT)
        _lap(timings, started, "map")

        # the cards are drawn under the map, then redrawn once their changes against the baseline are in
        cards = wait_until(page, CARDS_JS, timeout=STEP_TIMEOUT, what="5 cards with their changes", server=app_server)
        labels, values = cards["labels"], cards["values"]
        for name in ("Silhouette", "Davies-Bouldin", "ACC", "NMI", "ARI"):
            assert any(name in label for label in labels), (name, labels)
        numbers = [float(v.strip()) for v in values]
        assert -1 <= numbers[0] <= 1 and numbers[1] >= 0 and all(-1 <= n <= 1 for n in numbers[2:]), numbers

        _set_k_to_5(page, app_server)
        _lap(timings, started, "k=5")

        n_selected = _box_select(page, app_server, titles)
        _lap(timings, started, "selection")

        # the Clusters page through the sidebar navigation: the 5 clusters, named by words of the texts
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Clusters").click()
        _wait_clusters_page(page, app_server, 5)
        _lap(timings, started, "clusters page")
        caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        assert caption.startswith("5 clusters of 320"), caption
        keywords = _cluster_headers(page)
        assert sorted(keywords) == [0, 1, 2, 3, 4], keywords
        found = {c: [w for w in words if _whole_word(w, text)] for c, words in keywords.items()}
        from_texts = [c for c, words in keywords.items() if words and found[c] == words]
        assert from_texts, f"no cluster whose keywords all occur in small.csv: {keywords} (found {found})"

        # open that cluster: its keyword line is visible
        cluster = from_texts[0]
        page.locator('[data-testid="stExpander"] summary').filter(has_text=f"Cluster {cluster}:").click()
        opened = page.locator('[data-testid="stExpander"] details[open]')
        opened.locator('[data-testid="stText"]').first.wait_for(timeout=30_000)
        line = opened.locator('[data-testid="stText"]').first
        assert line.is_visible()
        assert line.inner_text().lower().startswith(", ".join(keywords[cluster][:2])), (line.inner_text(), keywords)
        print(f"\nbrowser test timings (s): {timings}; {n_selected} articles selected")


@pytest.mark.timeout(600)
def test_open_cluster_button_keeps_settings_and_opens_the_cluster(app_server, corpus, tmp_path):
    titles = set(corpus["title"].astype(str))
    started, timings = time.monotonic(), {}
    with browser_session(app_server, tmp_path, timings) as page:
        _open_map(page, app_server, corpus, FIRST_RUN_TIMEOUT)
        _set_k_to_5(page, app_server)
        _box_select(page, app_server, titles)
        _lap(timings, started, "selection")

        button = page.get_by_role("link", name=re.compile(r"Open the selection and cluster"))
        target = re.search(r"Open the selection and cluster (\d+):", button.inner_text())
        assert target, button.inner_text()
        button.click()
        _wait_clusters_page(page, app_server, 5)
        _lap(timings, started, "clusters page")
        assert page.get_by_role("slider", name="Clusters (k)").get_attribute("aria-valuetext") == "5"
        caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        assert caption.startswith("5 clusters of 320"), f"the slider shows k = 5, the page: {caption!r}"
        focus = int(target.group(1))
        opened = page.locator('[data-testid="stExpander"] details[open]')
        assert opened.count() == 1, "the cluster sent from the map is not expanded"
        assert f"Cluster {focus}:" in opened.locator("summary").inner_text()
        assert opened.locator('[data-testid="stText"]').first.is_visible()
