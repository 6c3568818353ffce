import numpy as np

from core.naming.describe import ctfidf_keywords, describe, term_counts


def test_keywords_name_each_cluster():
    texts = ["the football match ended in a draw", "football striker scores twice in the match",
             "central bank raises interest rates", "bank shares fall as rates rise",
             "", "!!! 123"]
    labels = np.array([0, 0, 1, 1, 1, 0])
    words = ctfidf_keywords(term_counts(texts), labels, 2, top=3)
    assert set(words[0]) <= {"football", "match", "ended", "draw", "striker", "scores"} and "football" in words[0][:2]
    assert "rates" in words[1][:2] or "bank" in words[1][:2]
    assert "the" not in words[0]


def test_describe_sizes_and_nearest_examples():
    X = np.array([[0, 0], [0.1, 0], [5, 5], [5.2, 5], [9, 9]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1, 1])
    centers = np.array([[0, 0], [5, 5]], dtype=np.float32)
    out = describe(term_counts(["a b", "a c", "x y", "x z", "x w"]), X, labels, centers, top_examples=2)
    assert [s.size for s in out] == [2, 3]
    assert out[0].examples == [0, 1] and out[1].examples == [2, 3]


def test_no_words_at_all():
    assert ctfidf_keywords(term_counts(["1", "2"]), np.array([0, 1]), 2) == [[], []]
