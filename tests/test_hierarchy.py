"""The tree of clusters (core.clustering.hierarchy): its shape, sizes, names, cuts, and that it is deterministic."""
import numpy as np
import pytest

from core.clustering.hierarchy import build, centres, inner_groups, link, tree_of
from core.naming.naming import group_keywords, phrase_counts

TOPICS = {  # cluster id -> texts; 0 and 1 are sport, 5 and 7 finance (ids with gaps, as after a merge)
    0: ["football sports match goal striker", "football sports league goal keeper", "sports football cup goal"],
    1: ["tennis sports match serve racket", "tennis sports open serve", "sports tennis racket final"],
    5: ["stocks finance market shares index", "finance stocks shares fell", "stocks market finance rally"],
    7: ["bank finance loan interest rates", "finance bank interest mortgage", "bank loan finance credit"],
}


def corpus(seed: int = 0):
    """(vectors (n, 8), labels (n,), texts): sport clusters near each other, finance near each other."""
    rng = np.random.default_rng(seed)
    middle = {0: [1, 0.3, 0, 0], 1: [1, -0.3, 0, 0], 5: [0, 0, 1, 0.3], 7: [0, 0, 1, -0.3]}
    vectors, labels, texts = [], [], []
    for c, items in TOPICS.items():
        for text in items * 4:
            vectors.append(np.r_[middle[c], np.zeros(4)] + rng.normal(0, 0.02, 8))
            labels.append(c)
            texts.append(text)
    return np.array(vectors), np.array(labels), texts


def namer(vectors, labels, texts, ids):
    terms = phrase_counts(texts)
    code = {c: i for i, c in enumerate(ids)}
    codes = np.array([code[c] for c in labels])
    # generic=0: in so small a corpus the topic words are the corpus's most frequent, which names demote
    return lambda groups: group_keywords(terms, codes, len(ids), vectors, None, [[code[c] for c in g] for g in groups],
                                         generic=0)


def a_tree(seed: int = 0, method: str = "ward"):
    vectors, labels, texts = corpus(seed)
    ids = sorted(TOPICS)
    sizes = [int((labels == c).sum()) for c in ids]
    return tree_of(vectors, labels, ids, sizes, {c: f"{c}: leaf" for c in ids}, namer(vectors, labels, texts, ids),
                   method=method), labels


@pytest.mark.parametrize("method", ["ward", "average"])
def test_shape_sizes_and_names(method):
    tree, labels = a_tree(method=method)
    k = len(TOPICS)
    assert tree.k == k and len(tree.nodes) == 2 * k - 1
    assert [n.leaf for n in tree.nodes] == [True] * k + [False] * (k - 1)
    assert tree.root.parent is None and all(n.parent is not None for n in tree.nodes[:-1])
    for node in tree.nodes[k:]:
        assert len(node.children) == 2
        assert node.size == sum(tree.nodes[c].size for c in node.children)  # sizes add up the tree
        assert all(tree.nodes[c].parent == node.node for c in node.children)
        assert node.name and (node.keywords or node is tree.root)  # every group below the root is named
    assert tree.root.name == "all clusters" and tree.root.size == len(labels) and sorted(tree.root.clusters) == sorted(TOPICS)
    assert [n.name for n in tree.nodes[:k]] == [f"{c}: leaf" for c in sorted(TOPICS)]


def test_the_near_clusters_join_first_and_their_group_is_named_for_what_they_share():
    tree, _ = a_tree()
    first_two = {frozenset(n.clusters) for n in tree.nodes[tree.k:tree.k + 2]}
    assert first_two == {frozenset({0, 1}), frozenset({5, 7})}
    by_members = {frozenset(n.clusters): n for n in tree.nodes[tree.k:]}
    assert "sports" in by_members[frozenset({0, 1})].keywords[:2]
    assert "finance" in by_members[frozenset({5, 7})].keywords[:2]


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_a_cut_gives_m_groups_covering_every_cluster_once(m):
    tree, labels = a_tree()
    cut = tree.cut(m)
    assert len(cut) == m
    assert sorted(c for node in cut for c in node.clusters) == sorted(TOPICS)
    groups = tree.group_labels(labels, m)
    assert groups.shape == labels.shape and set(groups.tolist()) == set(range(m))
    assert sum(n.size for n in cut) == len(labels)
    for c in TOPICS:  # a cluster's texts stay together
        assert len(set(groups[labels == c].tolist())) == 1


def test_cuts_nest_and_are_clamped():
    tree, _ = a_tree()
    for m in range(1, tree.k):
        coarse, fine = tree.groups(m), tree.groups(m + 1)
        # each group of the finer cut lies inside one group of the coarser
        assert all(len({coarse[c] for c in tree.cut(m + 1)[g].clusters}) == 1 for g in set(fine.values()))
    assert len(tree.cut(0)) == 1 and len(tree.cut(99)) == tree.k
    assert [sorted(n.clusters) for n in tree.cut(2)] in ([[0, 1], [5, 7]], [[5, 7], [0, 1]])


def test_deterministic():
    one, _ = a_tree()
    two, _ = a_tree()
    assert one == two


def test_levels_halve_down_to_two():
    tree, _ = a_tree()
    assert tree.levels() == [4, 2]
    big = build(list(range(77)), [1] * 77, link(np.random.default_rng(0).normal(size=(77, 5))), {}, [])
    assert big.levels() == [77, 38, 19, 9, 4, 2]


def test_one_cluster_is_a_single_leaf():
    vectors, labels, _ = corpus()
    tree = tree_of(vectors[labels == 0], labels[labels == 0], [0], [12], {0: "0: a"})
    assert tree.k == 1 and tree.root.name == "0: a" and len(tree.cut(3)) == 1
    assert inner_groups([0], link(centres(vectors[labels == 0], labels[labels == 0], [0]))) == []


def test_centres_are_normalised_means_of_normalised_rows():
    X = np.array([[2.0, 0], [0, 3.0], [1.0, 1.0]])
    out = centres(X, np.array([4, 4, 9]), [4, 9])
    np.testing.assert_allclose(out[0], [np.sqrt(0.5), np.sqrt(0.5)])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)
