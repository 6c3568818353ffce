"""core.clustering.compare: two clusterings compared on the texts they share (by row id), their agreement, the
texts that moved, and how versions are described."""
import numpy as np
import pandas as pd
import pytest

from core.clustering.compare import Side, compare, describe_settings, moved_texts, version_title
from core.config import RunConfig
from core.storage.projects import Version, version_settings


def side(rows, labels, title="") -> Side:
    labels = np.asarray(labels)
    return Side(np.asarray(rows), labels, {int(c): f"{c}: name {c}" for c in np.unique(labels)}, title)


def test_the_same_partition_under_other_ids_agrees_fully():
    a = side(range(6), [0, 0, 1, 1, 2, 2])
    b = side(range(6), [2, 2, 0, 0, 1, 1])
    result = compare(a, b)
    assert result.ari == pytest.approx(1.0) and result.nmi == pytest.approx(1.0)
    assert not result.moved.any() and result.stayed == 1.0
    assert result.partner == {0: 2, 1: 0, 2: 1}
    assert result.table.tolist() == [[0, 0, 2], [2, 0, 0], [0, 2, 0]]  # rows: a's clusters; columns: b's


def test_a_split_moves_the_texts_of_its_new_part_only():
    before = side(range(8), [0, 0, 0, 0, 1, 1, 1, 1])
    after = side(range(8), [0, 0, 0, 2, 1, 1, 1, 1])  # cluster 0 split: one text to a new cluster 2
    result = compare(before, after)
    assert result.moved.tolist() == [False, False, False, True, False, False, False, False]
    assert result.partner == {0: 0, 1: 1} and 0 < result.ari < 1
    texts = pd.Series([f"text {i}" for i in range(8)], index=range(8))
    table = moved_texts(result, texts)
    assert table.to_dict("records") == [{"id": 3, "text": "text 3", "from": "0: name 0", "to": "2: name 2"}]
    assert moved_texts(result, texts, "TEXT 3").attrs["total"] == 1 and moved_texts(result, texts, "nope").empty


def test_versions_of_other_fractions_compare_on_the_rows_they_share():
    small = side([2, 5, 7, 9], [0, 0, 1, 1])  # a smaller sample: part of the larger one, by row id
    large = side([1, 2, 3, 5, 7, 8, 9], [0, 1, 0, 1, 0, 0, 1])
    result = compare(small, large)
    assert result.shared.tolist() == [2, 5, 7, 9] and result.only_a == 0 and result.only_b == 3
    assert result.a_labels.tolist() == [0, 0, 1, 1] and result.b_labels.tolist() == [1, 1, 0, 1]
    assert result.moved.sum() == 1  # row 7: its cluster's texts went to 1, it to 0
    with pytest.raises(ValueError, match="share no texts"):
        compare(side([1, 2], [0, 1]), side([3, 4], [0, 1]))


def test_more_clusters_on_the_first_side_leave_one_unmatched():
    result = compare(side(range(6), [0, 0, 1, 1, 2, 2]), side(range(6), [0, 0, 1, 1, 1, 1]))
    assert sorted(p for p in result.partner.values() if p is not None) == [0, 1]
    assert list(result.partner.values()).count(None) == 1 and result.moved.sum() == 2


def test_a_version_is_described_by_its_settings_or_its_name():
    settings = version_settings(RunConfig().with_(cluster={"k": 6}, refine={"enabled": True}))
    assert describe_settings(settings) == ("k=6 · fraction 0.10 · K-Means checked by words · neighbours, "
                                           "latent 64 · Refine on")
    version = Version("v1", settings, "2026-12-07T01:00:00+00:00", "2026-12-07T02:30:00+00:00", n=10)
    assert version_title(version, "v1") == describe_settings(settings) + " (shown now) · 2026-12-07 02:30 UTC"
    named = Version("v2", settings, "x", "2026-12-07T02:30:00+00:00", names={0: "a"}, name="Before merging")
    assert version_title(named).startswith("Before merging, edited · ")


def test_a_version_of_another_embedder_says_so_in_its_title():
    settings = {"data": {"fraction": 1.0}, "cluster": {"k": 4, "method": "coview"}, "embed": {"model": "static-minilm-l6-v2"}}
    assert "embedder Static" in describe_settings(settings)
    assert "embedder" not in describe_settings(settings | {"embed": {"model": "all-MiniLM-L6-v2"}})
