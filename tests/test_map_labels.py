"""Cluster names on the map (core.plots.map_labels): sized by cluster size, never overlapping, near their clusters."""
import numpy as np
import pytest

from core.plots.map_labels import MAX_SHIFT_PX, Frame, extent, font_sizes, group_boxes, place_labels, wrap


def _blobs(k: int, n: int, seed: int = 0, spread: float = 0.6):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-20, 20, size=(k, 2))
    sizes = rng.integers(5, 3 * n // k, size=k)
    groups = np.repeat(np.arange(k), sizes)
    xy = centres[groups] + rng.normal(scale=spread, size=(len(groups), 2))
    return xy, groups


def _overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


@pytest.mark.parametrize("k", [4, 20, 77, 150])
def test_placed_labels_never_overlap_stay_inside_and_near_their_cluster(k):
    xy, groups = _blobs(k, 3000, seed=k)
    names = {g: f"{g}: keyword{g}, another word, third" for g in range(k)}
    frame = Frame(640, 500, *extent(xy))
    labels = place_labels(xy, groups, names, frame)
    assert [label.group for label in labels] == sorted(range(k), key=lambda g: -(groups == g).sum())  # largest first
    placed = [label for label in labels if label.placed]
    boxes = [label.box() for label in placed]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not _overlap(boxes[i], boxes[j]), (placed[i].group, placed[j].group)
    px, py = frame.per_px
    for label in placed:
        x0, x1, y0, y1 = label.box()
        assert frame.x_range[0] <= x0 and x1 <= frame.x_range[1] and frame.y_range[0] <= y0 and y1 <= frame.y_range[1]
        shift = np.hypot((label.x - label.anchor_x) / px, (label.y - label.anchor_y) / py)
        assert shift <= MAX_SHIFT_PX + 1e-6
        rows = xy[groups == label.group]
        assert np.any(np.all(rows == (label.anchor_x, label.anchor_y), axis=1))  # the anchor is one of its points
    assert len(placed) >= min(k, 12)  # the largest clusters are named at the first zoom
    print(f"\nk={k}: {len(placed)} labels placed at the first zoom, the others shown when a zoom makes room")


def test_larger_clusters_get_larger_labels_and_names_are_wrapped():
    sizes = font_sizes(np.array([10, 100, 1000]))
    assert sizes[0] < sizes[1] < sizes[2]
    assert wrap("0: bank transfer, card payment, exchange rate") == ("0: bank transfer,", "card payment,",
                                                                      "exchange rate")
    assert len(wrap("a " * 100)) == 3 and wrap("a " * 100)[-1].endswith("…")


def test_a_label_names_what_names_say_and_a_zoom_box_holds_most_of_its_cluster():
    xy, groups = _blobs(3, 300)
    labels = place_labels(xy, groups, {0: "0: my renamed cluster", 1: "1: b", 2: "2: c"}, Frame(640, 500, *extent(xy)))
    assert {" ".join(label.lines) for label in labels} == {"0: my renamed cluster", "1: b", "2: c"}
    boxes = group_boxes(xy, groups, [0, 1, 2])
    for g, (x0, x1, y0, y1) in boxes.items():
        inside = ((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))[groups == g]
        assert inside.mean() >= 0.95
