"""AppTest of the Map page's search (by meaning, by words, a point's nearest articles) and of the
confidence (map colour, the floor that hides texts, the least typical texts on the Clusters page).

The search by meaning runs on the bundled demo corpus with the real packaged model (what the app
ships); the rest uses the counting fake embedder of ``apphelpers``.
"""
import json
import re
import sys

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import pages._cached as cached
from apphelpers import APP, _navigation_not_pages_dir
from conftest import DEMO
from core.plots import DIMMED


@pytest.fixture
def demo_app(monkeypatch):
    """The app on the bundled demo corpus (320 texts) with the real packaged embedding model."""
    from core import background

    _navigation_not_pages_dir(monkeypatch)
    monkeypatch.setattr(cached, "PRECOMPUTE", False)
    cached.embedder.clear()  # an earlier test may have left a fake model under the same name
    cached.CACHE.clear()
    background.forget()
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(DEMO), "--fraction", "1"])
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception and not at.error
    return at


def traces(at) -> list[dict]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"]


def drawn(at) -> tuple[int, int]:
    """(bright points, dimmed points) on the map."""
    data = traces(at)
    return (sum(len(t["text"]) for t in data if t.get("meta") != DIMMED),
            sum(len(t["text"]) for t in data if t.get("meta") == DIMMED))


def results(at) -> pd.DataFrame | None:
    return at.dataframe[0].value if len(at.dataframe) else None


def test_search_by_meaning_highlights_and_lists_the_nearest_texts(demo_app):
    at = demo_app
    assert drawn(at) == (320, 0) and results(at) is None
    at.text_input(key="search_query").set_value("football match: the striker scored twice in the final").run()
    assert not at.exception and not at.error
    table = results(at)
    assert len(table) == 50 and list(table.columns[:2]) == ["similarity", "cluster"] and "text" in table
    assert table["similarity"].is_monotonic_decreasing and table["similarity"].iloc[0] > 0.3
    assert drawn(at) == (50, 270)  # the 50 nearest bright, the rest dimmed
    labels = pd.read_csv(DEMO).set_index(pd.read_csv(DEMO)["title"] + ". " + pd.read_csv(DEMO)["description"])
    sports = sum(labels["label"].get(t) == "Sports" for t in table["text"].head(20))
    assert sports >= 15, table.head(20)  # found by meaning: the nearest are sports news

    at.number_input(key="search_n").set_value(10).run()
    assert len(results(at)) == 10 and drawn(at) == (10, 310)

    title = pd.read_csv(DEMO)["title"].iat[5]  # a text's own headline finds it first
    at.text_input(key="search_query").set_value(title).run()
    assert results(at)["text"].iat[0].startswith(title)

    at.text_input(key="search_query").set_value("").run()  # clearing restores the map
    assert not at.exception and results(at) is None and drawn(at) == (320, 0)


def test_a_10000_character_query_is_cut_with_a_notice(demo_app):
    at = demo_app
    at.text_input(key="search_query").set_value("markets " * 1250).run()
    assert not at.exception and not at.error
    assert any("only its first 1,000 are searched" in i.value for i in at.info)
    assert len(results(at)) == 50


def test_contains_words_filters_the_whole_corpus(fake_app, app_csv):
    at = fake_app()
    at.run()
    texts = pd.read_csv(app_csv)
    words = texts["title"] + ". " + texts["description"]
    expected = words.str.contains(r"(?i)\bthe\b") & words.str.contains(r"(?i)\bof\b")
    at.text_input(key="search_words").set_value("OF the").run()
    assert not at.exception and not at.error
    table = results(at)
    assert len(table) == expected.sum() > 0 and drawn(at) == (expected.sum(), 200 - expected.sum())
    assert table["text"].str.contains(r"(?i)\bof\b").all() and "similarity" not in table
    at.text_input(key="search_words").set_value("zzzunknownword").run()
    assert not at.exception and any("No texts match" in w.value for w in at.warning)
    assert drawn(at) == (0, 200)
    at.text_input(key="search_words").set_value("").run()
    assert results(at) is None and drawn(at) == (200, 0)


def test_an_empty_query_changes_nothing(fake_app):
    at = fake_app()
    at.run()
    before = traces(at)
    at.text_input(key="search_query").set_value("   ").run()
    assert not at.exception and not at.error and not at.warning and results(at) is None
    assert traces(at) == before and at.fake.calls == 1  # no query embedded: only the corpus was


def test_colour_by_confidence_and_the_floor_hides_texts(fake_app):
    at = fake_app()
    at.run()
    at.radio(key="colour_by").set_value("Confidence").run()
    assert not at.exception and not at.error
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "confidence"
    assert all(t["marker"]["coloraxis"] == "coloraxis" for t in figure["data"]) and drawn(at) == (200, 0)

    at.slider(key="min_confidence").set_value(0.3).run()
    assert not at.exception and not at.error
    shown, _ = drawn(at)
    assert 0 < shown < 200
    assert any(f"{200 - shown} of 200 texts hidden (confidence below 0.30)" in c.value for c in at.caption)
    at.text_input(key="search_words").set_value("the").run()
    assert (results(at)["confidence"] >= 0.3).all()

    at.switch_page("pages/clusters.py").run()  # the floor holds on the Clusters page and thins its lists
    assert not at.exception and not at.error
    assert at.slider(key="min_confidence").value == pytest.approx(0.3)
    counts = [re.match(r"([\d,]+) articles;", c.value) for c in at.caption]
    assert sum(int(m.group(1).replace(",", "")) for m in counts if m) == shown  # each cluster's list, thinned
    least = [t.value for t in at.text if t.value.startswith("• ") and " · " in t.value]
    assert least and all(float(t[2:].split(" · ")[0]) >= 0.3 for t in least)
    assert len(least) <= 5 * 4


def test_each_cluster_lists_its_least_typical_texts(fake_app):
    at = fake_app()
    at.run()
    at.switch_page("pages/clusters.py").run()
    assert not at.exception and not at.error
    values = [float(t.value[2:].split(" · ")[0]) for t in at.text if t.value.startswith("• ") and " · " in t.value]
    assert len(values) == 5 * 4  # 5 per cluster, k = 4
    assert all(values[i:i + 5] == sorted(values[i:i + 5]) for i in range(0, 20, 5))  # lowest first
    assert min(values) < 0.2  # the least typical are near a border
