"""core.clustering.edits: split, merge and rename a clustering; bad input is one clear error and changes nothing."""
import numpy as np
import pytest

from core.config import ClusterConfig
from core.clustering.edits import MAX_NAME, accept_split, check_name, edited_stage, merge, split
from core.errors import UserError
from core.naming.naming import phrase_counts
from corpora import topic_frame
from fakes import FakeEmbedder


@pytest.fixture(scope="module")
def topics():
    frame = topic_frame(12)
    texts = frame["text"].tolist()
    truth = frame["label"].to_numpy()
    X = FakeEmbedder().encode(texts)
    labels = np.unique(truth, return_inverse=True)[1].astype(np.int64)  # the true topics as clusters
    return texts, truth, X, labels


def test_names_are_plain_short_text():
    assert check_name("  Money   and\nmarkets ") == "Money and markets"
    assert check_name("M&A, U.S. deals (Q3) - 2024!") == "M&A, U.S. deals (Q3) - 2024!"
    with pytest.raises(UserError, match=f"at most {MAX_NAME} characters; this one has 10,000"):
        check_name("x" * 10_000)
    for bad in ["<b>x</b>", "**x**", "[x](http://e.com)", "`code`", "# title", "- item", "a &amp; b", "snake_case"]:
        with pytest.raises(UserError, match="plain text"):
            check_name(bad)
    with pytest.raises(UserError, match="type a name"):
        check_name("   ")


def test_split_makes_parts_and_refuses_more_parts_than_distinct_texts(topics):
    texts, _, X, labels = topics
    parts = split(X, labels, texts, 0, 3, seed=0)
    assert parts.shape == ((labels == 0).sum(),) and set(parts) == {0, 1, 2}
    np.testing.assert_array_equal(parts, split(X, labels, texts, 0, 3, seed=0))  # seeded
    with pytest.raises(UserError, match="has 12 distinct texts, too few for 13 parts; choose at most 12"):
        split(X, labels, texts, 0, 13, seed=0)
    same = ["same text"] * len(texts)
    with pytest.raises(UserError, match="only one distinct text"):
        split(X, labels, same, 0, 2, seed=0)
    with pytest.raises(UserError, match="at least 2 parts"):
        split(X, labels, texts, 0, 1, seed=0)
    with pytest.raises(UserError, match="no cluster 7"):
        split(X, labels, texts, 7, 2, seed=0)


def test_split_parts_are_numbered_by_size(topics):
    texts, _, X, labels = topics
    parts = split(X, labels, texts, 1, 3, seed=0)
    sizes = np.bincount(parts)
    assert list(sizes) == sorted(sizes, reverse=True)  # part 0 (which keeps the cluster's id) is the largest


def test_accept_split_keeps_the_id_for_part_zero_and_appends_the_rest():
    labels = np.array([0, 1, 1, 2, 1, 1])
    out = accept_split(labels, 1, np.array([0, 1, 2, 1]))
    np.testing.assert_array_equal(out, [0, 1, 3, 2, 4, 3])
    gapped = np.array([0, 1, 1, 5, 1])  # after a merge left ids 2-4 unused: new parts go above the highest
    np.testing.assert_array_equal(accept_split(gapped, 1, np.array([0, 1, 0])), [0, 1, 6, 5, 1])
    np.testing.assert_array_equal(labels, [0, 1, 1, 2, 1, 1])  # not changed in place
    with pytest.raises(UserError, match="split it again"):
        accept_split(labels, 1, np.array([0, 1]))


def test_merge_keeps_every_other_id_and_refuses_one_or_all():
    labels = np.array([0, 1, 2, 3, 3, 1])
    out, target = merge(labels, [3, 1])
    np.testing.assert_array_equal(out, [0, 1, 2, 1, 1, 1])
    assert target == 1
    out, target = merge(labels, [0, 2])
    np.testing.assert_array_equal(out, [0, 1, 0, 3, 3, 1])  # cluster 3 stays cluster 3 (its name stays with it)
    assert target == 0
    with pytest.raises(UserError, match="pick two or more"):
        merge(labels, [2])
    with pytest.raises(UserError, match="pick two or more"):
        merge(labels, [2, 2])
    with pytest.raises(UserError, match="keep at least two"):
        merge(labels, [0, 1, 2, 3])
    with pytest.raises(UserError, match="no cluster 9"):
        merge(labels, [0, 9])


def test_edited_partitions_are_scored_like_any_other(topics):
    texts, truth, X, labels = topics
    phrases = phrase_counts(texts)
    cfg = ClusterConfig(k=3)
    whole = edited_stage(X, X, labels, truth, phrases, None, cfg, 0)
    assert whole.scores.acc == 1.0 and whole.scores.ari == 1.0
    cut = accept_split(labels, 0, split(X, labels, texts, 0, 2, seed=0))
    parted = edited_stage(X, X, cut, truth, phrases, None, cfg, 0)
    assert parted.scores.acc < 1.0 and parted.scores.nmi < 1.0 and len(parted.summaries) == 4
    assert [s.size for s in parted.summaries] == np.bincount(cut).tolist()
    back, _ = merge(cut, [0, 3])
    rejoined = edited_stage(X, X, back, truth, phrases, None, cfg, 0)
    assert rejoined.scores.as_dict() == pytest.approx(whole.scores.as_dict())
    assert all(s.keywords for s in rejoined.summaries)
    gapped, _ = merge(labels, [0, 1])  # ids 0 and 2 left: one summary and one centre per id present
    stage = edited_stage(X, X, gapped, truth, phrases, None, cfg, 0)
    assert [s.cluster for s in stage.summaries] == [0, 2] == list(stage.clustering.cluster_ids)
    assert stage.clustering.centers.shape == (2, X.shape[1])
    assert [s.size for s in stage.summaries] == [(gapped == 0).sum(), (gapped == 2).sum()]
