import json

import numpy as np
import plotly.io as pio

from core.plots import map_figure


def test_map_figure_carries_row_ids_and_shows_text_literally():
    xy = np.arange(12, dtype=np.float32).reshape(6, 2)
    groups = np.array([1, 0, 1, 0, 1, 1])
    hover = ["a", "<b>bold</b>", "c & d", "d", "<script>x</script>", "f"]
    fig = map_figure(xy, groups, {0: "zero <i>", 1: "one"}, hover, np.arange(6) + 100)
    traces = {t.name: t for t in fig.data}
    assert list(traces) == ["zero &lt;i&gt;", "one"]  # legend follows names' order, escaped
    zero, one = traces["zero &lt;i&gt;"], traces["one"]
    assert np.asarray(zero.customdata).ravel().tolist() == [101, 103]  # row ids, to map a selection back
    assert np.asarray(one.customdata).ravel().tolist() == [100, 102, 104, 105]
    assert list(zero.text) == ["&lt;b&gt;bold&lt;/b&gt;", "d"]
    assert list(one.text)[1:3] == ["c &amp; d", "&lt;script&gt;x&lt;/script&gt;"]
    assert fig.layout.dragmode == "select"
    spec = json.loads(pio.to_json(fig, validate=False))  # what Streamlit sends: the texts as plain strings
    assert spec["data"][0]["text"] == ["&lt;b&gt;bold&lt;/b&gt;", "d"]
