"""Behaviour of the co-view reassignment (core.clustering.coview) on small generated corpora (fast, offline)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from core.clustering.coview import crossfit_predict, keep_every_cluster, neighbour_vote, reassign, word_view


def corpus(sizes=(60, 60, 60), d: int = 32, spread: float = 0.35, seed: int = 0):
    """Texts whose words name their topic, and (n, d) unit embeddings around one centre per topic.

    Each text has six words from its topic's own 15-word vocabulary and three from a shared one.
    """
    rng = np.random.default_rng(seed)
    k = len(sizes)
    truth = np.repeat(np.arange(k), sizes)
    shared = [f"common{i}" for i in range(30)]
    texts = [" ".join(list(rng.choice([f"topic{c}word{i}" for i in range(15)], 6)) + list(rng.choice(shared, 3)))
             for c in truth]
    centres = rng.normal(size=(k, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    X = centres[truth] + spread * rng.normal(size=(len(truth), d)) / np.sqrt(d)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return texts, X.astype(np.float32), truth


def corrupt(labels: np.ndarray, k: int, share: float, seed: int = 1) -> np.ndarray:
    """``labels`` with a random ``share`` of them moved to another cluster."""
    rng = np.random.default_rng(seed)
    out = labels.copy()
    pick = rng.random(len(out)) < share
    out[pick] = (out[pick] + rng.integers(1, k, pick.sum())) % k
    return out


def test_the_reassignment_repairs_a_partition_both_views_contradict():
    texts, X, truth = corpus()
    noisy = corrupt(truth, 3, 0.15)
    result = reassign(X, noisy, texts, seed=0)
    before, after = adjusted_rand_score(truth, noisy), adjusted_rand_score(truth, result.labels)
    assert before < 0.75
    assert after > before + 0.15
    assert result.moved[0] > 0


def test_without_texts_or_words_the_partition_is_unchanged():
    texts, X, truth = corpus()
    noisy = corrupt(truth, 3, 0.15)
    assert np.array_equal(reassign(X, noisy, None, seed=0).labels, noisy)
    unique_words = [f"word{i}" for i in range(len(texts))]  # no word in two texts: no word view
    assert word_view(unique_words) is None
    assert np.array_equal(reassign(X, noisy, unique_words, seed=0).labels, noisy)


def test_words_unrelated_to_the_topics_gate_the_moves():
    """The neighbour vote alone does not move a text: the word view must agree, so topical words
    move more texts than words drawn at random, and a clean partition is left alone."""
    texts, X, truth = corpus()
    rng = np.random.default_rng(5)
    noise_texts = [" ".join(rng.choice([f"w{i}" for i in range(40)], 8)) for _ in truth]
    noisy = corrupt(truth, 3, 0.15)
    topical, noise = reassign(X, noisy, texts, seed=0), reassign(X, noisy, noise_texts, seed=0)
    assert noise.moved[0] < topical.moved[0] / 2
    assert adjusted_rand_score(truth, noise.labels) >= adjusted_rand_score(truth, noisy)
    assert np.array_equal(reassign(X, truth, noise_texts, seed=0).labels, truth)


def test_a_small_corpus_with_a_split_neighbourhood_keeps_its_partition():
    """A move needs a clear neighbour majority: with five neighbours, a 3-2 split is not one."""
    labels = np.array([0, 0, 0, 1, 1, 1])
    neighbours = np.array([[1, 2, 3, 4, 5]] * 6)  # every text: 2 neighbours in 0, 3 in 1
    texts = ["alpha beta"] * 3 + ["alpha gamma"] * 3
    X = np.eye(6, dtype=np.float32)
    assert np.array_equal(reassign(X, labels, texts, seed=0, neighbours=neighbours).labels, labels)


def test_a_large_topic_stays_large():
    """No balance prior: the correct partition of an unbalanced corpus is a fixed point."""
    texts, X, truth = corpus(sizes=(250, 50, 50), seed=3)
    result = reassign(X, truth, texts, seed=0)
    assert adjusted_rand_score(truth, result.labels) > 0.98
    assert np.bincount(result.labels, minlength=3)[0] >= 245


def test_same_seed_same_result():
    texts, X, truth = corpus()
    noisy = corrupt(truth, 3, 0.2)
    a, b = reassign(X, noisy, texts, seed=7), reassign(X, noisy, texts, seed=7)
    assert np.array_equal(a.labels, b.labels)
    assert a.moved == b.moved


def test_votes_have_the_documented_shapes():
    labels = np.array([0, 0, 1, 1])
    neighbours = np.array([[1, 2], [0, 2], [3, 0], [2, 0]])
    vote = neighbour_vote(labels, neighbours, 2)
    assert vote.shape == (4, 2)
    np.testing.assert_allclose(vote.sum(axis=1), 1)
    np.testing.assert_allclose(vote[2], [0.5, 0.5])
    texts, X, truth = corpus()
    predicted = crossfit_predict(word_view(texts), truth, seed=0)
    assert predicted.shape == truth.shape
    assert (predicted == truth).mean() > 0.9  # the words name the topic


def test_mismatched_lengths_are_rejected():
    texts, X, truth = corpus()
    with pytest.raises(ValueError, match="same length"):
        reassign(X[:-1], truth, texts, seed=0)


def test_no_cluster_is_emptied():
    labels = np.array([0, 0, 1, 2, 2])
    move = np.array([False, True, True, True, False])
    kept = keep_every_cluster(labels, move, 3)
    assert kept.tolist() == [False, True, False, True, False]  # cluster 1's only text stays
    assert set(np.unique(np.where(kept, 9, labels))) >= {0, 1, 2}
