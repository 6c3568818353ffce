"""Any column of a file, not only the label (issue 14, item 5): colour the map by it, show only some of
its values on the map and in the lists, name the labels, and carry the map's selection to the Clusters
page. AppTests with the counting fake embedder on three topics (tests/corpora.py), uploaded."""
from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from apphelpers import map_charts, shown
from core.tables.data import sample_order
from corpora import topic_frame

FAST = {"epochs": "2"}  # a link's settings: a short training keeps these tests quick


@pytest.fixture
def upload_bytes() -> tuple[pd.DataFrame, bytes]:
    """36 texts of three topics with a 'source' (3 values), a 'score' (36 numbers) and a 'day' column."""
    frame = topic_frame(12)
    frame["source"] = [["wire", "blog", "paper"][i % 3] for i in range(len(frame))]
    frame["score"] = np.round(np.linspace(0.5, 9.5, len(frame)), 2)
    frame["day"] = [f"2024-{1 + i // 18:02d}-{1 + i % 18:02d}" for i in range(len(frame))]  # 36 days, 2 months
    return frame, frame.to_csv(index=False).encode()


def uploaded(fake_app, upload_bytes, **link):
    at = fake_app(data=None)
    at.query_params = {"upload": "topics.csv", **FAST, **link}  # nothing is computed before the upload
    at.session_state["columns_open"] = True  # the "Columns" expander: its widgets drawn
    at.run()
    at.sidebar.file_uploader[0].set_value(("topics.csv", upload_bytes[1], "text/csv")).run()
    assert not at.exception and not at.error
    return at


def traces(at) -> list[dict]:
    return map_charts(at)[0]["data"]


def array(value) -> np.ndarray:
    """A figure's array as Plotly writes it: a list, or typed {"dtype", "bdata"} (base64)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.ravel(np.asarray(value))


def drawn(at) -> int:
    return sum(len(array(t["x"])) for t in traces(at))


def test_colour_by_any_column_of_an_upload_and_labels_take_their_clusters_colour(fake_app, upload_bytes):
    at = uploaded(fake_app, upload_bytes)
    by_cluster = {t["marker"]["color"]: set(array(t["customdata"]).tolist()) for t in traces(at)}
    at.radio(key="colour_by").set_value("True label").run()
    for trace in traces(at):  # each label takes the colour of the cluster it mostly falls in
        rows = set(array(trace["customdata"]).tolist())
        majority = max(by_cluster, key=lambda c: len(by_cluster[c] & rows))
        assert trace["marker"]["color"] == majority, trace["name"]

    colour = at.radio(key="colour_by")
    assert colour.options == ["Cluster", "True label", "source", "score", "day", "Confidence"]

    colour.set_value("source").run()
    assert not at.exception and not at.error
    assert [t["name"] for t in traces(at)] == ["blog", "paper", "wire"] and drawn(at) == 36

    at.radio(key="colour_by").set_value("score").run()  # 36 numbers: a scale, not 36 colours
    (trace,) = traces(at)
    assert trace["marker"]["colorscale"] and trace["marker"]["colorbar"]["title"]["text"] == "score"
    assert sorted(array(trace["marker"]["color"])) == sorted(upload_bytes[0]["score"])

    at.radio(key="colour_by").set_value("day").run()  # dates: a continuous time scale, its bar in dates
    (trace,) = traces(at)
    bar = trace["marker"]["colorbar"]
    assert bar["title"]["text"] == "day" and bar["ticktext"][0] == "2024-01-01" and bar["ticktext"][-1] == "2024-02-18"
    assert len(np.unique(array(trace["marker"]["color"]))) == 36 and "<br>2024-0" in trace["text"][0]


def test_show_only_values_the_sample_lacks_are_ignored_while_the_columns_box_is_closed(fake_app, upload_bytes):
    at = uploaded(fake_app, upload_bytes)
    at.sidebar.selectbox(key="filter_column").set_value("source").run()
    at.sidebar.multiselect(key="filter_values:source").set_value(["wire"]).run()
    assert drawn(at) == 12
    at.session_state["columns_open"] = False  # closed: its widgets, and their clean-up, are not drawn
    at.run()
    assert drawn(at) == 12  # the filter still applies
    at.session_state["filter_values:source"] = ["nowhere"]  # as after a switch to a file without "wire"
    at.run()
    assert not at.exception and not at.error
    assert drawn(at) == 36 and not any("Showing only" in c.value for c in at.caption)


def test_show_only_filters_the_map_and_the_lists_and_labels_get_names(fake_app, upload_bytes):
    at = uploaded(fake_app, upload_bytes)
    at.sidebar.selectbox(key="filter_column").set_value("source").run()
    at.sidebar.multiselect(key="filter_values:source").set_value(["wire"]).run()
    assert not at.exception and not at.error
    assert drawn(at) == 12
    assert any("Showing only source: wire (12 of 36 texts)" in c.value.replace("\\", "") for c in at.caption)

    at.switch_page("pages/clusters.py").run()
    assert not at.exception and not at.error
    listed = pd.concat([d.value for d in at.main.dataframe])
    wire = upload_bytes[0].loc[upload_bytes[0]["source"] == "wire", "text"]
    assert sorted(listed["text"]) == sorted(wire)

    at.switch_page("pages/map.py").run()
    at.sidebar.selectbox(key="filter_column").set_value("True label").run()
    at.sidebar.multiselect(key="filter_values:True label").set_value(["sport", "space"]).run()
    assert drawn(at) == 24
    at.sidebar.text_area(key="label_names").input("sport=Sports games\nspace=Outer space\nbogus line").run()
    assert not at.exception and not at.error
    assert "line 3 is not 'value=name'" in " ".join(c.value for c in at.sidebar.caption).replace("\\", "")
    at.radio(key="colour_by").set_value("True label").run()
    assert sorted(t["name"] for t in traces(at)) == ["Outer space", "Sports games"]


def test_the_maps_selection_is_listed_on_the_clusters_page(fake_app, upload_bytes):
    at = uploaded(fake_app, upload_bytes)
    sample_key, _ = shown(at)  # the key of the texts in view
    at.session_state["selection"] = (sample_key, [0, 13, 30])  # as the map stores a box selection
    at.switch_page("pages/clusters.py").run()
    assert not at.exception and not at.error
    assert at.main.subheader[0].value == "Selection (3 texts)"
    table = at.main.dataframe[0].value
    expected = upload_bytes[0].iloc[sample_order(36, 42)[[0, 13, 30]]]  # row ids index the (shuffled) sample
    assert sorted(table["text"]) == sorted(expected["text"]) and sorted(table["label"]) == sorted(expected["label"])

    at.button(key="clear_selection").click().run()
    assert not at.exception and not any(s.value.startswith("Selection") for s in at.main.subheader)
    assert "selection" not in at.session_state

    at.session_state["selection"] = ("sample:of another file", [0, 1])  # made on other texts: not shown
    at.run()
    assert not at.exception and not any(s.value.startswith("Selection") for s in at.main.subheader)
