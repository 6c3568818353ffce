"""A link reproduces the view and a reload keeps it (issue 14, item 6), in a real browser: Debian's
Chromium driven by Playwright against ``streamlit run app.py`` (no data argument, the hub offline) with
the real embedding model on the bundled demo corpus."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from browserkit import running_app, wait_idle, wait_until
from test_browser import LEGEND_JS, browser_session

FIRST_RUN_TIMEOUT = 420  # s: exporting the ONNX model, then embedding 320 texts, training and t-SNE
STEP_TIMEOUT = 240       # s: a change of k (clustering only) or of the fraction (training and t-SNE again)
SEARCH_JS = "(part) => location.search.includes(part) ? location.search : null"


@pytest.fixture(scope="module")
def link_server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("browser_link_server")) as server:
        yield server


def _slider(page, name: str):
    return page.get_by_role("slider", name=name)  # an <input type=range>: role "slider" is implicit


@pytest.mark.timeout(1200)
def test_a_link_opens_the_demo_with_k_5_and_a_reload_keeps_the_view(link_server, tmp_path):
    started, timings = time.monotonic(), {}
    server = link_server
    with browser_session(server, tmp_path, timings) as page:
        page.goto(f"{server.url}/?data=demo&k=5", wait_until="domcontentloaded")
        wait_until(page, LEGEND_JS, arg=5, timeout=FIRST_RUN_TIMEOUT, what="the map with 5 clusters", server=server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        timings["map"] = round(time.monotonic() - started, 1)
        assert _slider(page, "Clusters (k)").get_attribute("aria-valuetext") == "5"
        assert "Demo corpus" in page.locator('[data-testid="stSidebar"] [role="radiogroup"]').first.inner_text()
        caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        assert caption.startswith("320 texts") and "k = 5" in caption, caption
        # the URL now holds every setting, the link to copy in the sidebar says the same
        search = wait_until(page, SEARCH_JS, arg="fraction=1", timeout=30, what="the settings in the URL")
        assert "data=demo" in search and "k=5" in search, search

        thumb = _slider(page, "Clusters (k)")
        thumb.focus()
        page.keyboard.press("ArrowRight")  # k = 6: the URL follows
        wait_until(page, LEGEND_JS, arg=6, timeout=STEP_TIMEOUT, what="6 legend entries", server=server)
        wait_until(page, SEARCH_JS, arg="k=6", timeout=30, what="k=6 in the URL")
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)

        fraction = _slider(page, "Sample fraction")
        assert fraction.get_attribute("aria-valuetext") == "1.00"
        fraction.focus()
        page.keyboard.press("ArrowLeft")  # 0.99 of the demo (today's reload would reset it)
        wait_until(page, SEARCH_JS, arg="fraction=0.99", timeout=STEP_TIMEOUT, what="fraction=0.99 in the URL")
        caption_js = """() => { const c = document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]');
                                return c && c.innerText.startsWith('317 texts') ? c.innerText : null; }"""
        wait_until(page, caption_js, timeout=STEP_TIMEOUT, what="the map of 317 texts", server=server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        timings["changes"] = round(time.monotonic() - started, 1)
        # the sidebar offers the link: the whole address, as the browser's
        page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary').filter(
            has_text="Link to this view").click()
        code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
        code.wait_for(state="visible", timeout=30_000)
        link = code.inner_text().strip()
        here = page.evaluate("() => location.href")
        assert parse_qs(urlsplit(link).query) == parse_qs(urlsplit(here).query), (link, here)
        assert link.startswith(server.url) and "k=6" in link and "fraction=0.99" in link, link

        page.reload(wait_until="domcontentloaded")  # a new session on the same URL
        wait_until(page, caption_js, timeout=STEP_TIMEOUT, what="the reloaded map of 317 texts", server=server)
        wait_until(page, LEGEND_JS, arg=6, timeout=STEP_TIMEOUT, what="6 legend entries after the reload", server=server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        assert _slider(page, "Sample fraction").get_attribute("aria-valuetext") == "0.99"
        assert _slider(page, "Clusters (k)").get_attribute("aria-valuetext") == "6"
        timings["reload"] = round(time.monotonic() - started, 1)

        # "Encoder and seed" draws its widgets only while open, and they keep their values while closed;
        # in a new session without a link (a link's settings are session state already)
        page.goto(server.url, wait_until="domcontentloaded")
        wait_until(page, LEGEND_JS, arg=4, timeout=STEP_TIMEOUT, what="the default map", server=server)
        wait_until(page, SEARCH_JS, arg="seed=42", timeout=30, what="the settings in the URL")
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        sidebar = page.locator('[data-testid="stSidebar"]')
        encoder = sidebar.locator('[data-testid="stExpander"] summary').filter(has_text="Encoder and seed")
        assert sidebar.get_by_label("Seed").count() == 0
        encoder.click()
        seed = sidebar.get_by_label("Seed")
        seed.wait_for(state="visible", timeout=30_000)
        seed.fill("7")
        seed.press("Enter")
        wait_until(page, SEARCH_JS, arg="seed=7", timeout=STEP_TIMEOUT, what="seed=7 in the URL")
        encoder.click()  # closed: a run without the widget, which would drop its value
        gone = """() => !document.querySelector('[data-testid="stSidebar"] input[aria-label="Seed"]')"""
        wait_until(page, gone, timeout=30, what="the closed expander's widgets gone")
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        _slider(page, "Clusters (k)").focus()
        page.keyboard.press("ArrowRight")  # k = 5: one more run without the widget (the first still had its value)
        wait_until(page, LEGEND_JS, arg=5, timeout=STEP_TIMEOUT, what="5 legend entries", server=server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        assert "seed=7" in page.evaluate("() => location.search")
        encoder.click()
        seed.wait_for(state="visible", timeout=30_000)
        assert seed.input_value() == "7"
        timings["encoder"] = round(time.monotonic() - started, 1)
        print(f"timings (s): {timings}")
