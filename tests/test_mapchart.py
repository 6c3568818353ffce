"""The map's component (pages/_mapchart.py): the compact payload, the bundle a map of each size loads,
the selection it answers, and the Map page drawing through it (the drawing itself: the browser tests)."""
import json
import re

import numpy as np
import plotly

import pages._mapchart as mapchart
from apphelpers import map_charts, select_on_map
from core.plots.plots import CHART_CONFIG, map_figure


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
    for svg, kind, bundle in ((True, "scatter", mapchart.BASIC), (False, "scattergl", mapchart.FULL)):
        p = mapchart.payload(fig, svg=svg)
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
            assert "x" not in trace and "customdata" not in trace and trace["type"] == kind
            start += trace["count"]
        json.dumps({k: v for k, v in p.items() if not isinstance(v, bytes)})  # the rest is plain JSON
        assert p["layout"]["title"]["text"] == "T" and p["bundle"] == bundle
    digest = mapchart.payload(_figure()[0], svg=True)["digest"]
    assert mapchart.payload(_figure()[0], svg=True)["digest"] == digest
    assert mapchart.payload(_figure(61)[0], svg=True)["digest"] != digest
    assert mapchart.payload(_figure()[0], svg=False)["digest"] != digest  # another bundle draws it anew


def test_chart_answers_in_plotly_charts_selection_shape_under_a_key_per_bundle(monkeypatch):
    answers = iter([None, {"ids": [5, 9], "n": 1}, {"bad": 1}, None])
    calls = []

    def component(**kwargs):
        calls.append((kwargs["key"], kwargs["bundle"]))
        assert kwargs["config"] == CHART_CONFIG  # the app's one Plotly config: no cloud or external links
        return next(answers)

    monkeypatch.setattr(mapchart, "_declared", lambda svg: component)
    fig = _figure()[0]
    none = {"focus": None, "focus_n": None}
    assert mapchart.chart(fig, key="k") == {"selection": {"points": []}} | none
    assert mapchart.chart(fig, key="k") == {"selection": {"points": [{"customdata": [5]}, {"customdata": [9]}]}} | none
    assert mapchart.chart(fig, key="k") == {"selection": {"points": []}} | none
    monkeypatch.setattr(mapchart, "SVG_MAX", 59)  # 60 points: a WebGL map, in a frame of its own
    mapchart.chart(fig, key="k")
    assert calls == [("k_svg", mapchart.BASIC)] * 3 + [("k_gl", mapchart.FULL)]


def test_the_bundles_are_served_locally_and_the_basic_one_matches_the_plotly_package():
    folder = mapchart._asset_dir()
    svg, gl = folder / "svg", folder / "gl"
    assert {p.name for p in svg.iterdir()} == {"index.html", mapchart.BASIC}
    assert {p.name for p in gl.iterdir()} == {"index.html", mapchart.FULL}
    # each frame names its own bundle, so it starts loading it before its first arguments arrive
    assert mapchart.BUNDLE_META % mapchart.BASIC in (svg / "index.html").read_text()
    assert mapchart.BUNDLE_META % mapchart.FULL in (gl / "index.html").read_text()
    version = re.compile(r"plotly\.js(?: \(basic - minified\))? v(\d+\.\d+\.\d+)")
    full = version.search((gl / mapchart.FULL).read_text()[:300]).group(1)
    basic = version.search((svg / mapchart.BASIC).read_text()[:300]).group(1)
    assert basic == full == plotly.offline.get_plotlyjs_version()  # figures are written for this version
    assert (svg / mapchart.BASIC).stat().st_size < (gl / mapchart.FULL).stat().st_size / 3


def test_the_map_page_draws_small_maps_as_svg_and_big_ones_as_webgl(fake_app, monkeypatch):
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    assert not at.get("plotly_chart")  # no st.plotly_chart on the Map page: its chunk is the whole Plotly.js
    (figure,) = map_charts(at)
    assert figure["bundle"] == mapchart.BASIC and {t["type"] for t in figure["data"]} == {"scatter"}
    assert sum(len(t["x"]) for t in figure["data"]) == 200
    select_on_map(at, [3, 7])  # a box selection lists its articles
    at.run()
    assert any("2 selected texts" in h.value for h in at.subheader)
    monkeypatch.setattr(mapchart, "SVG_MAX", 50)  # the fake corpus has 200 texts
    at.run()
    (figure,) = map_charts(at)
    assert figure["bundle"] == mapchart.FULL and {t["type"] for t in figure["data"]} == {"scattergl"}


def test_the_chart_config_names_switches_both_bundles_have():
    """``CHART_CONFIG`` turns off what this Plotly.js version offers: a switch it does not know (a typo, a
    rename in a later version) would be ignored without a word and bring the cloud button back."""
    folder = mapchart._asset_dir()
    for bundle in (folder / "svg" / mapchart.BASIC, folder / "gl" / mapchart.FULL):
        source = bundle.read_text()
        for switch in CHART_CONFIG:
            assert re.search(re.escape(switch) + r':\{valType:"', source), (bundle.name, switch)
        for button in CHART_CONFIG["modeBarButtonsToRemove"]:
            assert f"{button}={{name:\"{button}\"" in source, (bundle.name, button)
    assert CHART_CONFIG["showSendToCloud"] is False and CHART_CONFIG["displaylogo"] is False


def test_labels_travel_placed_first_escaped_and_change_the_digest():
    from core.plots.map_labels import Frame, extent, place_labels

    fig, xy, _ = _figure()
    labelled = np.random.default_rng(2).integers(0, 3, 60)
    largest = int(np.argmax(np.bincount(labelled)))
    names = {g: f"{g} & c" for g in range(3)} | {largest: "<b> a name far too long for so small a frame"}
    placed = place_labels(xy, labelled, names, Frame(120, 40, *extent(xy)))
    assert placed[0].group == largest and not placed[0].placed and any(p.placed for p in placed)
    args = mapchart.label_args(placed, {0: "0", 1: "1", 2: "2"}, {0: "#111111", 1: "#222222", 2: "#333333"})
    flags = [next(p for p in placed if str(p.group) == a["key"]).placed for a in args]
    assert flags == sorted(flags, reverse=True)  # placed ones first: the frame shows each unless it overlaps one before
    assert args[-1]["key"] == str(largest) and args[-1]["text"].startswith("&lt;b&gt; a name")  # escaped
    with_labels = mapchart.payload(fig, svg=True, labels=args)
    assert with_labels["digest"] != mapchart.payload(fig, svg=True)["digest"] and with_labels["labels"] == args


def test_a_focus_counts_only_while_it_is_the_maps_last_event(monkeypatch):
    answers = iter([{"ids": [4], "n": 3, "focus": 2, "focused_at": 3}, {"ids": [4, 5], "n": 4, "focus": 2, "focused_at": 3}])
    monkeypatch.setattr(mapchart, "_declared", lambda svg: lambda **kwargs: next(answers))
    fig, _, _ = _figure()
    first, second = mapchart.chart(fig, key="m"), mapchart.chart(fig, key="m")
    assert first["focus"] == 2 and first["focus_n"] == 3 and second["focus"] is None  # a selection came after it
    assert [p["customdata"][0] for p in second["selection"]["points"]] == [4, 5]
