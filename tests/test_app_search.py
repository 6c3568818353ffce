"""AppTest of the Map page's search (by meaning, by words, a point's nearest texts) and of the
confidence (map colour, the floor that hides texts, the least typical texts on the Clusters page).

The search by meaning runs on the bundled demo corpus with the real packaged model (what the app
ships); the rest uses the counting fake embedder of ``apphelpers``.
"""
import re
import sys

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import pages._cached as cached
from apphelpers import APP, _navigation_not_pages_dir, map_charts, select_on_map, stop_background_passes
from conftest import DEMO
from core.plots.plots import DIMMED


@pytest.fixture
def demo_app(monkeypatch):
    """The app on the bundled demo corpus (320 texts) with the real packaged embedding model."""
    _navigation_not_pages_dir(monkeypatch)
    monkeypatch.setattr(cached, "PRECOMPUTE", False)
    cached.embedder.clear()  # an earlier test may have left a fake model under the same name
    stop_background_passes()
    cached.CACHE.clear()
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(DEMO), "--fraction", "1"])
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception and not at.error
    return at


def traces(at) -> list[dict]:
    return map_charts(at)[0]["data"]


def drawn(at) -> tuple[int, int]:
    """(bright points, dimmed points) on the map."""
    data = traces(at)
    return (sum(len(t["text"]) for t in data if t.get("meta") != DIMMED),
            sum(len(t["text"]) for t in data if t.get("meta") == DIMMED))


def results(at) -> pd.DataFrame | None:
    return at.dataframe[0].value if len(at.dataframe) else None


def test_search_by_meaning_words_and_bad_queries(demo_app, monkeypatch):
    """One app (the real model's first run is the slow part), every search in turn."""
    import core.naming.search

    at, demo = demo_app, pd.read_csv(DEMO)
    assert drawn(at) == (320, 0) and results(at) is None
    at.text_input(key="search_query").set_value("football match: the striker scored twice in the final").run()
    assert not at.exception and not at.error
    table = results(at)
    assert len(table) == 50 and list(table.columns[:2]) == ["similarity", "cluster"] and "text" in table
    assert table["similarity"].is_monotonic_decreasing and table["similarity"].iloc[0] > 0.3
    assert drawn(at) == (50, 270)  # the 50 nearest bright, the rest dimmed
    label_of = dict(zip(demo["title"], demo["label"]))
    sports = sum(label_of[next(t for t in label_of if text.startswith(t))] == "Sports" for text in table["text"][:20])
    assert sports >= 15, table.head(20)  # found by meaning: the nearest are sports news

    at.number_input(key="search_n").set_value(10).run()
    assert len(results(at)) == 10 and drawn(at) == (10, 310)

    title = demo["title"].iat[5]  # a text's own headline finds it first
    at.text_input(key="search_query").set_value(title).run()
    assert results(at)["text"].iat[0].startswith(title)

    at.text_input(key="search_query").set_value("").run()  # clearing restores the map
    assert not at.exception and results(at) is None and drawn(at) == (320, 0)

    at.text_input(key="search_query").set_value("markets " * 1250).run()  # 10,000 characters: cut, said
    assert not at.exception and not at.error
    assert any("only its first 1,000 are searched" in i.value for i in at.info) and len(results(at)) == 10

    calls = []
    monkeypatch.setattr(core.naming.search, "embed_query", lambda *a: calls.append(a) or pytest.fail("embedded"))
    at.text_input(key="search_query").set_value("   ").run()  # blank: nothing happens
    assert not at.exception and not at.error and not at.info and results(at) is None and not calls
    assert drawn(at) == (320, 0)

    words = (demo["title"] + " " + demo["description"]).str.lower()
    expected = int((words.str.contains(r"\bthe\b") & words.str.contains(r"\bof\b")).sum())
    at.text_input(key="search_words").set_value("OF the").run()  # any case, all words
    assert not at.exception and not at.error
    table = results(at)
    assert len(table) == expected > 0 and drawn(at) == (expected, 320 - expected) and "similarity" not in table
    assert table["text"].str.contains(r"(?i)\bof\b").all()
    at.text_input(key="search_words").set_value("zzzunknownword").run()
    assert not at.exception and any("No texts match" in w.value for w in at.warning) and drawn(at) == (0, 320)
    at.text_input(key="search_words").set_value("").run()
    assert results(at) is None and drawn(at) == (320, 0)


def least_typical(at) -> list[float]:
    """The confidences of the Clusters page's least typical texts ("0.12 · headline"), in page order."""
    return [float(t.value.split(" · ")[0]) for t in at.text if re.match(r"\d\.\d\d · ", t.value)]


def test_nearest_articles_of_a_clicked_point_then_confidence_colours_lists_and_hides(fake_app):
    at = fake_app()
    at.run()
    select_on_map(at, [5])  # a click on row 5
    at.run()
    next(b for b in at.button if b.label == "Texts nearest this one").click().run()
    assert not at.exception and not at.error
    assert drawn(at) == (11, 189)  # the point and its 10 nearest bright
    table = results(at)
    assert len(table) == 10 and table["similarity"].is_monotonic_decreasing
    assert any("the 10 texts nearest to" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Clear the nearest texts").click().run()
    assert not at.exception and drawn(at) == (200, 0)
    select_on_map(at, [])

    at.radio(key="colour_by").set_value("Confidence").run()
    assert not at.exception and not at.error
    figure = map_charts(at)[0]
    assert figure["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "confidence"
    assert all(t["marker"]["coloraxis"] == "coloraxis" for t in figure["data"]) and drawn(at) == (200, 0)

    at.switch_page("pages/clusters.py").run()  # each cluster's 5 least typical texts, lowest first
    assert not at.exception and not at.error
    values = least_typical(at)
    assert len(values) == 5 * 4 and all(values[i:i + 5] == sorted(values[i:i + 5]) for i in range(0, 20, 5))
    assert min(values) < 0.2  # the least typical lie near a border

    at.switch_page("pages/map.py").run()
    at.slider(key="min_confidence").set_value(0.3).run()
    assert not at.exception and not at.error
    shown, _ = drawn(at)
    assert 0 < shown < 200
    assert any(f"{200 - shown} of 200 texts hidden (confidence below 0.30)" in c.value for c in at.caption)
    at.text_input(key="search_words").set_value("the").run()  # the lists skip hidden texts too
    assert len(results(at)) and (results(at)["confidence"] >= 0.3).all()

    at.switch_page("pages/clusters.py").run()  # the floor holds on the Clusters page and thins its lists
    assert not at.exception and not at.error
    assert at.slider(key="min_confidence").value == pytest.approx(0.3)
    counts = [re.match(r"([\d,]+) texts;", c.value) for c in at.caption]
    assert sum(int(m.group(1).replace(",", "")) for m in counts if m) == shown  # each cluster's list, thinned
    values = least_typical(at)
    assert values and min(values) >= 0.3
