import json

import numpy as np
import plotly.io as pio

from core.plots.plots import map_figure


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


def test_a_label_that_looks_like_a_digit_does_not_crash_the_map():
    """'²'.isdigit() is True but int('²') fails: a label is never read as a number (issue 17, item 4)."""
    from core.plots.plots import PALETTE

    xy = np.zeros((4, 2), dtype=np.float32)
    groups = np.array(["²", "1", "²", "x"], dtype=object)
    fig = map_figure(xy, groups, {"1": "1", "x": "x", "²": "²"}, list("abcd"), np.arange(4))
    assert [t.name for t in fig.data] == ["1", "x", "²"]
    assert [t.marker.color for t in fig.data] == PALETTE[:3]  # by position, not by the label's value


def test_label_colours_follow_their_majority_cluster():
    from core.plots.plots import colour, label_colours

    clusters = np.array([2, 2, 2, 0, 0, 1, 1, 1, 1])
    labels = np.array(["b", "b", "a", "a", "a", "c", "c", "c", "d"])
    colours = label_colours(labels, clusters)
    assert colours["b"] == colour(2) and colours["a"] == colour(0) and colours["c"] == colour(1)
    assert colours["d"] not in {colour(0), colour(1), colour(2)}  # a fourth label: a colour of its own
    fig = map_figure(np.zeros((9, 2)), labels, {v: v for v in "abcd"}, ["t"] * 9, np.arange(9), colours=colours)
    assert [t.marker.color for t in fig.data] == [colours[v] for v in "abcd"]


def test_confusion_axes_are_categorical():
    from core.plots.plots import confusion_figure

    fig = confusion_figure(np.array([[3, 1], [0, 4]]), ["0: a", "1: b"], ["1", "2"])
    spec = json.loads(pio.to_json(fig, validate=False))
    assert spec["layout"]["xaxis"]["type"] == "category" and spec["layout"]["yaxis"]["type"] == "category"
    assert list(fig.data[0].x) == ["1", "2"]


def test_sweep_shows_acc_and_nmi_when_given():
    from core.plots.plots import sweep_figure

    fig = sweep_figure([2, 3, 4], [0.3, 0.25, 0.2], [1.2, 1.1, 1.0], 2, acc=[0.5, 0.6, 0.8], nmi=[0.3, 0.4, 0.5],
                       n_labels=4)
    assert [t.name for t in fig.data] == ["silhouette, latent space (higher is better)", "ACC vs labels",
                                          "NMI vs labels", "Davies-Bouldin, latent space (lower is better)"]
    assert len(sweep_figure([2, 3], [0.3, 0.2], [1.0, 1.1], 2).data) == 2  # no labels: no ACC/NMI lines


def test_map_figure_highlight_dims_the_rest_and_keeps_one_legend_entry_per_group():
    from core.plots.plots import DIMMED

    xy = np.arange(12, dtype=np.float32).reshape(6, 2)
    groups = np.array([0, 0, 1, 1, 2, 2])
    highlight = np.array([True, False, False, False, True, True])
    fig = map_figure(xy, groups, {0: "a", 1: "b", 2: "c"}, list("uvwxyz"), np.arange(6), highlight=highlight)
    bright = [t for t in fig.data if t.meta != DIMMED]
    dimmed = [t for t in fig.data if t.meta == DIMMED]
    assert sorted(int(i) for t in bright for i in np.asarray(t.customdata).ravel()) == [0, 4, 5]
    assert sorted(int(i) for t in dimmed for i in np.asarray(t.customdata).ravel()) == [1, 2, 3]
    assert fig.data[-1].meta != DIMMED and all(t.marker.opacity < 0.2 for t in dimmed)  # bright on top
    assert sorted(t.name for t in fig.data if t.showlegend) == ["a", "b", "c"]  # b only dimmed: still listed
    plain = map_figure(xy, groups, {0: "a", 1: "b", 2: "c"}, list("uvwxyz"), np.arange(6))
    assert [t.meta for t in plain.data] == [None] * 3 and len(plain.data) == 3  # no highlight: as before


def test_map_figure_colours_by_values_on_a_continuous_scale():
    xy = np.zeros((4, 2), dtype=np.float32)
    fig = map_figure(xy, np.array([0, 1, 0, 1]), {0: "a", 1: "b"}, list("wxyz"), np.arange(4),
                     values=np.array([0.1, 0.2, 0.3, 0.9]))
    assert [list(t.marker.color) for t in fig.data] == [[0.1, 0.3], [0.2, 0.9]]
    assert fig.layout.coloraxis.cmin == 0 and fig.layout.coloraxis.cmax == 1
    assert fig.layout.coloraxis.colorbar.title.text == "confidence"


def test_small_maps_get_larger_points_fill_the_frame_and_a_colour_bar_keeps_off_the_legend():
    from core.plots.plots import point_size

    assert point_size(100) == 11 and point_size(2000) == 5 and point_size(200_000) == 4
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(100, 2))
    fig = map_figure(xy, rng.integers(0, 3, 100), {0: "a", 1: "b", 2: "c"}, ["t"] * 100, np.arange(100),
                     values=rng.uniform(size=100))
    assert {t.marker.size for t in fig.data} == {11}
    x0, x1 = fig.layout.xaxis.range
    span = xy[:, 0].max() - xy[:, 0].min()
    assert x0 < xy[:, 0].min() and x1 > xy[:, 0].max() and (x1 - x0) < 1.1 * span  # the points fill the frame
    assert fig.layout.coloraxis.colorbar.orientation == "h"  # under the map: the legend has the right-hand side


def test_confusion_of_many_clusters_keeps_a_row_each_and_drops_the_counts():
    from core.plots.plots import confusion_figure

    small = confusion_figure(np.ones((4, 4), int), [f"{i}: x" for i in range(4)], list("abcd"))
    big = confusion_figure(np.ones((77, 77), int), [f"{i}: x" for i in range(77)], [str(i) for i in range(77)])
    assert small.data[0].texttemplate == "%{text}" and big.data[0].texttemplate is None
    assert big.layout.height >= 77 * 14
