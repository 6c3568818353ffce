"""Issue 14's outliers (part 3), cluster names (part 4) and any column on the map (part 5) in a real
browser: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

One server, one page, one test (each step reuses the previous one's caches): the app opens offline on
the demo corpus (320 texts); its legend's names are 3 keywords each and none is "said"; "Colour by" →
"Confidence" redraws the map on a continuous scale; "Hide texts below confidence" hides exactly the
texts below the floor (counted from the confidences the browser holds) and says so; the Clusters page
keeps the floor and lists a cluster's least typical texts (its lowest confidences above the floor);
back on the Map at 0 all are drawn; then a 60-row CSV with a ``source`` column is uploaded and "Colour by" → "source" gives a
legend of its 3 values.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browserkit import MAP_PLOT, raise_on_app_error, running_app, text_uploader, wait_idle, wait_until
from test_browser import _wait_clusters_page, browser_session
from test_browser_upload import topic_rows_csv

FIRST_RUN_TIMEOUT = 420  # s: exporting the ONNX model, then embedding 320 texts, training and t-SNE
STEP_TIMEOUT = 180       # s: a rerun after a widget change (generous: the machine is shared)
STEP = 0.05              # the confidence slider's step
SOURCES = ["wire", "blog", "paper"]

# the map as the browser holds it: points drawn, legend, whether a colour bar is drawn, and each
# trace's marker colours (numbers on a scale, or one colour string per trace)
STATE_JS = """() => {
  const gd = %s;
  if (!gd || !gd._fullData || !gd.querySelector('.gl-canvas, .scatterlayer .point')) return null;
  const points = gd._fullData.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0);
  const legend = [...gd.querySelectorAll('.legend .legendtext')].map(e => e.textContent);
  const colours = gd._fullData.map(t => {
    const c = t.marker && t.marker.color;
    return (c && typeof c === 'object' && c.length !== undefined) ? Array.from(c) : c;
  });
  const numeric = colours.length > 0 && colours.every(c => Array.isArray(c) && c.every(v => typeof v === 'number'));
  const colorbar = !!gd.querySelector('.colorbar');
  const title = (gd._fullLayout.title && gd._fullLayout.title.text) || '';
  return {points, legend, numeric, colorbar, title, final: !/provisional/i.test(title),
          values: numeric ? colours.flat() : null,
          byTrace: numeric ? gd._fullData.map((t, i) => [t.name, colours[i]]) : null};
}""" % MAP_PLOT
CAPTION_JS = """(text) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .map(e => e.innerText).find(t => t.includes(text)) || null"""
HIDDEN = re.compile(r"([\d,]+) of ([\d,]+) texts hidden \(confidence below ([\d.]+)\)")


@pytest.fixture(scope="module")
def source_file(tmp_path_factory) -> Path:
    """sources.csv: 60 rows of 4 topics, ``title,text,label,source`` (source: wire, blog or paper)."""
    return topic_rows_csv(tmp_path_factory.mktemp("explore_upload") / "sources.csv", "title,text,label,source",
                          SOURCES)


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """``streamlit run app.py`` with no data argument and the hub offline: it opens on the demo corpus."""
    with running_app(tmp_path_factory.mktemp("browser_explore_server"), CLUSTERLENS_PRECOMPUTE="0") as server:
        yield server


def _map(page, server, want: str, what: str, timeout: float = STEP_TIMEOUT) -> dict:
    """Wait for the encoder's map (not the provisional one drawn while the encoder trains) whose state
    (STATE_JS, as ``s``) satisfies the JS expression ``want``, then for the run's end."""
    state = wait_until(page, f"() => {{ const s = ({STATE_JS})(); return s && s.final && ({want}) ? s : null; }}",
                       timeout=timeout, what=what, server=server)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)
    return page.evaluate(STATE_JS) or state  # the settled state (a last redraw may follow the first match)


def _colour_by(page, option: str) -> None:
    radio = page.locator('[data-testid="stRadio"]').filter(has_text="Colour by")
    radio.get_by_text(option, exact=True).click()


@pytest.mark.timeout(900)
def test_names_confidence_floor_and_colour_by_an_uploaded_column(bare_server, source_file, tmp_path):
    started, timings = time.monotonic(), {}
    with browser_session(bare_server, tmp_path, timings) as page:
        page.goto(bare_server.url, wait_until="domcontentloaded")
        page.get_by_text("Demo corpus (the AG News hub file is unavailable)").wait_for(timeout=FIRST_RUN_TIMEOUT * 1000)

        # (a) the demo corpus's cluster names: 3 keywords each (words or word pairs), never "said"
        demo = _map(page, bare_server, "s.points === 320 && s.legend.length === 4", "the demo corpus's map",
                    timeout=FIRST_RUN_TIMEOUT)
        timings["map"] = round(time.monotonic() - started, 1)
        assert not demo["numeric"] and not demo["colorbar"], demo["legend"]  # by cluster: a colour per trace
        for entry in demo["legend"]:
            parsed = re.fullmatch(r"(\d+): (.+)", entry)
            assert parsed, entry
            keywords = [w.strip() for w in parsed.group(2).split(",")]
            assert len(keywords) == 3 and all(keywords), entry
            assert not re.search(r"\bsaid\b", entry, re.IGNORECASE), f"a generic word in a name: {demo['legend']}"

        # (b) colour by confidence: a continuous scale (a colour bar, numbers in [0, 1] as marker colours)
        _colour_by(page, "Confidence")
        scaled = _map(page, bare_server, "s.numeric && s.colorbar && s.points === 320", "the map on a confidence scale")
        timings["confidence"] = round(time.monotonic() - started, 1)
        values = scaled["values"]
        assert len(values) == 320 and all(0 <= v <= 1 for v in values), (len(values), min(values), max(values))
        assert len(set(values)) > 100, "confidences are not a continuous scale"

        # the floor near the median confidence: exactly the texts below it are hidden, and the page says so
        presses = max(1, round(sorted(values)[160] / STEP))
        floor = round(presses * STEP, 2)
        below = sum(v < floor for v in values)
        assert 0 < below < 320, (floor, below)
        slider = page.get_by_role("slider", name="Hide texts below confidence")
        assert float(slider.get_attribute("aria-valuetext")) == 0
        for _ in range(3 * presses):  # a rerun may redraw the slider and take its focus: press until it shows the floor
            if float(slider.get_attribute("aria-valuetext")) >= floor - 1e-9:
                break
            slider.focus()
            page.keyboard.press("ArrowRight")
        hidden = _map(page, bare_server, f"s.points === {320 - below}", f"{320 - below} points drawn (floor {floor})")
        timings["floor"] = round(time.monotonic() - started, 1)
        assert float(slider.get_attribute("aria-valuetext")) == pytest.approx(floor)
        assert hidden["numeric"] and all(v >= floor for v in hidden["values"]), "a point below the floor is drawn"
        line = wait_until(page, CAPTION_JS, arg="texts hidden", timeout=30, what="the hidden-texts line",
                          server=bare_server)
        said = HIDDEN.search(line)
        assert said and int(said.group(1)) == below and int(said.group(2)) == 320, line
        assert float(said.group(3)) == pytest.approx(floor), line

        # the Clusters page shares the floor; each cluster lists its least typical texts above it
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Clusters").click()
        _wait_clusters_page(page, bare_server, 4)
        line = wait_until(page, CAPTION_JS, arg="texts hidden", timeout=30, what="the Clusters page's hidden line",
                          server=bare_server)
        assert HIDDEN.search(line) and int(HIDDEN.search(line).group(1)) == below, line
        name, trace_values = hidden["byTrace"][0]
        cluster = int(name.split(":")[0])
        page.locator('[data-testid="stExpander"] summary').filter(has_text=f"Cluster {cluster}:").click()
        opened = page.locator('[data-testid="stExpander"] details[open]')
        opened.get_by_text("Least typical texts").wait_for(timeout=30_000)
        listed = [t for t in opened.locator('[data-testid="stText"]').all_inner_texts() if re.match(r"\d\.\d\d · ", t)]
        expected = [f"{v:.2f}" for v in sorted(trace_values)[:5]]  # the cluster's 5 lowest drawn confidences
        assert [t[:4] for t in listed] == expected, (listed, expected)
        timings["clusters page"] = round(time.monotonic() - started, 1)

        page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Map").click()
        _map(page, bare_server, f"s.points === {320 - below}", "the map keeps the floor")
        slider = page.get_by_role("slider", name="Hide texts below confidence")
        slider.focus()  # back to 0: every text is drawn again, and the line goes
        page.keyboard.press("Home")
        _map(page, bare_server, "s.points === 320", "all 320 points again")
        assert page.evaluate(CAPTION_JS, "texts hidden") is None

        # (c) an uploaded file's other column colours the map: "Colour by" lists it, the legend its values
        page.locator('[data-testid="stSidebar"] [role="radiogroup"]').first.get_by_text("Upload a file").click()
        text_uploader(page).set_input_files(str(source_file))
        wait_until(page, CAPTION_JS, arg="60 rows in the file", timeout=FIRST_RUN_TIMEOUT,
                   what="the upload's rows line in the sidebar", server=bare_server)
        _map(page, bare_server, "s.points === 60", "the map of the 60 uploaded texts", timeout=FIRST_RUN_TIMEOUT)
        timings["upload"] = round(time.monotonic() - started, 1)
        radio = page.locator('[data-testid="stRadio"]').filter(has_text="Colour by")
        options = [o.strip() for o in radio.locator("label").all_inner_texts() if o.strip()]
        assert "source" in options and "True label" in options, options
        _colour_by(page, "source")
        coloured = _map(page, bare_server, "s.points === 60 && s.legend.length === 3", "a legend of the 3 sources")
        timings["source"] = round(time.monotonic() - started, 1)
        assert sorted(coloured["legend"]) == sorted(SOURCES), coloured["legend"]
        assert not coloured["colorbar"], "categories drawn on a scale"
        raise_on_app_error(page, bare_server)
        print(f"\nbrowser explore test timings (s): {timings}")
