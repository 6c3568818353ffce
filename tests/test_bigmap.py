"""The big map's component (pages/_bigmap.py): the compact payload, the selection it answers, and the
Map page's switch to it above ``BIG`` points (the drawing itself: tests/test_browser_speed.py)."""
import json

import numpy as np

import pages._bigmap as bigmap
from core.plots import map_figure


def _figure(n=60, highlight=None):
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 3, n)
    xy = rng.normal(size=(n, 2)).astype(np.float32)
    rows = np.arange(100, 100 + n)  # row ids of the corpus, not positions
    hover = [f"title <{i}>\nsecond line" for i in range(n)]
    fig = map_figure(xy, groups, {0: "a", 1: "b", 2: "c"}, hover, rows, title="T", highlight=highlight)
    return fig, xy, rows


def test_payload_is_binary_arrays_in_trace_order_with_one_hover_a_point():
    fig, xy, rows = _figure(highlight=np.arange(60) % 7 == 0)  # a search: faint and bright traces per group
    p = bigmap.payload(fig)
    at_xy = np.frombuffer(p["xy"], dtype="<f4").reshape(-1, 2)
    ids = np.frombuffer(p["ids"], dtype="<i4")
    hover = p["hover"].decode().split("\n")
    assert len(ids) == len(at_xy) == len(hover) == 60 == sum(t["count"] for t in p["traces"])
    assert sorted(ids.tolist()) == rows.tolist()
    np.testing.assert_array_equal(at_xy, xy[ids - 100])  # each point's coordinates travel with its row id
    assert hover[0].startswith("title &lt;") and all("\n" not in h for h in hover)  # escaped, one line each
    start = 0
    for trace, plotly_trace in zip(p["traces"], fig.data):  # the slices are the traces' own points
        assert ids[start:start + trace["count"]].tolist() == [int(c[0]) for c in plotly_trace.customdata]
        assert "x" not in trace and "customdata" not in trace and trace["type"] == "scattergl"
        start += trace["count"]
    json.dumps({k: v for k, v in p.items() if not isinstance(v, bytes)})  # the rest is plain JSON
    assert p["layout"]["title"]["text"] == "T"
    assert bigmap.payload(_figure()[0])["digest"] == bigmap.payload(_figure()[0])["digest"]
    assert bigmap.payload(_figure(61)[0])["digest"] != bigmap.payload(_figure()[0])["digest"]


def test_chart_answers_in_plotly_charts_selection_shape(monkeypatch):
    answers = iter([None, {"ids": [5, 9], "n": 1}, {"bad": 1}])
    monkeypatch.setattr(bigmap, "_declared", lambda: (lambda **kwargs: next(answers)))
    fig = _figure()[0]
    assert bigmap.chart(fig, key="k") == {"selection": {"points": []}}
    assert bigmap.chart(fig, key="k") == {"selection": {"points": [{"customdata": [5]}, {"customdata": [9]}]}}
    assert bigmap.chart(fig, key="k") == {"selection": {"points": []}}


def test_the_map_page_draws_a_big_map_with_the_component(fake_app, monkeypatch):
    monkeypatch.setattr(bigmap, "BIG", 50)  # the fake corpus has 200 texts
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    assert not at.get("plotly_chart")
    drawn = at.get("component_instance")
    assert len(drawn) == 1 and drawn[0].proto.component_name.endswith("clusterlens_bigmap"), drawn
    assert bigmap._asset_dir().joinpath("plotly.min.js").stat().st_size > 1_000_000  # served locally
    monkeypatch.setattr(bigmap, "BIG", 10_000)
    at.run()
    assert at.get("plotly_chart")
