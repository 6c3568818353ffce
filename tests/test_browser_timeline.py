"""Topics over time in a real browser (issue 27, item 5): a brush across the time chart lists the texts
of its span under the map (AppTest cannot make a Plotly selection).

Its own server on 90 short texts of three topics dated over three months (by week: 13 bins), with
the real embedding model.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from browserkit import chromium_page, running_app, wait_idle, wait_until
from corpora import topic_frame

FIRST_RUN_TIMEOUT = 600  # s: embedding 90 texts, training, t-SNE
STEP_TIMEOUT = 240

#: The time chart's plot (an st.plotly_chart whose traces are stacked "shares").
TIME_PLOT = ("(() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')]"
             ".find(g => g._fullData && g._fullData.length && g._fullData[0].stackgroup === 'shares') || null)()")
#: The plot area's box on the page, and its x axis' data at a page x (ms since 1970).
AREA_JS = """() => { const gd = %s; if (!gd) return null; const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const r = gd.getBoundingClientRect();
  return {left: r.left + xa._offset, width: xa._length, top: r.top + ya._offset, height: ya._length}; }""" % TIME_PLOT
DATA_AT_JS = """(x) => { const gd = %s; const xa = gd._fullLayout.xaxis;
  return xa.p2c(x - gd.getBoundingClientRect().left - xa._offset); }""" % TIME_PLOT
SELECTED_JS = r"""() => { const m = document.body.innerText.match(/([\d,]+) selected texts?/); return m ? m[1] : null; }"""


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_timeline")
    frame = topic_frame(30)
    rng = np.random.default_rng(1)
    frame["published"] = (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 91, len(frame)), unit="D")
                          ).strftime("%Y-%m-%d")
    path = folder / "dated.csv"
    frame.to_csv(path, index=False)
    with running_app(folder, ["--data", str(path), "--fraction", "1"], CLUSTERLENS_PRECOMPUTE="0") as app:
        yield app, pd.to_datetime(frame["published"])


@pytest.mark.timeout(1200)
def test_a_brush_across_the_time_chart_lists_the_texts_of_its_span(dated):
    server, dates = dated
    with chromium_page() as page:
        page.goto(server.url, wait_until="domcontentloaded")
        area = wait_until(page, AREA_JS, timeout=FIRST_RUN_TIMEOUT, what="the time chart", server=server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        page.evaluate("() => %s.scrollIntoView({block: 'center'})" % TIME_PLOT)  # under the map: below the fold
        page.wait_for_timeout(500)
        area = page.evaluate(AREA_JS)
        y = area["top"] + area["height"] / 2
        x0, x1 = area["left"] + 0.3 * area["width"], area["left"] + 0.6 * area["width"]
        low, high = (pd.Timestamp(page.evaluate(DATA_AT_JS, x), unit="ms") for x in (x0, x1))
        page.mouse.move(x0, y)
        page.mouse.down()
        page.mouse.move((x0 + x1) / 2, y, steps=5)
        page.mouse.move(x1, y, steps=5)
        page.mouse.up()
        try:
            shown = wait_until(page, SELECTED_JS, timeout=STEP_TIMEOUT, what="the brushed texts listed", server=server)
        except TimeoutError:
            selections = page.evaluate("() => JSON.stringify(%s.layout.selections || null)" % TIME_PLOT)
            raise AssertionError(f"no texts listed; the chart's selections: {selections}; area {area}\n"
                                 f"{server.log_tail()}")
        expected = int(((dates >= low) & (dates <= high)).sum())
        assert expected > 0 and int(re.sub(",", "", shown)) == expected, (low, high, shown, expected)
