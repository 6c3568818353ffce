import numpy as np
import pytest

from core.clustering.cluster import (Clustering, align_to, canonical, internal_scores, kmeans, label_scores,
                                     restarts_said, same_partition)
from core.errors import UserError


def test_label_scores_perfect_under_any_renaming():
    truth = np.array(["a", "a", "b", "b", "c", "c"])
    scores = label_scores(truth, np.array([2, 2, 0, 0, 1, 1]))
    assert scores == {"acc": 1.0, "nmi": 1.0, "ari": 1.0}
    half = label_scores(truth, np.array([0, 1, 0, 1, 0, 1]))
    assert half["acc"] == pytest.approx(2 / 6) and half["ari"] < 0.1


def test_label_scores_without_labels_and_with_missing():
    assert label_scores(None, np.array([0, 1])) == {"acc": None, "nmi": None, "ari": None}
    truth = np.array(["a", None, "b", "b"], dtype=object)
    assert label_scores(truth, np.array([0, 1, 1, 1]))["acc"] == 1.0


def test_kmeans_is_seeded_and_checks_k():
    X = np.random.RandomState(0).randn(60, 5)
    assert np.array_equal(kmeans(X, 3, seed=1).labels, kmeans(X, 3, seed=1).labels)
    with pytest.raises(UserError, match="at least 2"):
        kmeans(X, 1, seed=0)
    with pytest.raises(UserError, match="larger than the number of texts"):
        kmeans(X[:5], 6, seed=0)


def test_internal_scores_defined_and_undefined():
    X = np.vstack([np.zeros((10, 2)), np.ones((10, 2)) * 5]) + np.random.RandomState(0).randn(20, 2) * 0.1
    labels = np.array([0] * 10 + [1] * 10)
    sil, db = internal_scores(X, labels)
    assert sil > 0.9 and db < 0.1
    assert internal_scores(X, np.zeros(20, int)) == (None, None)


def test_canonical_numbers_clusters_by_size_then_first_row():
    labels = np.array([2, 0, 0, 1, 1, 1, 2, 3])  # sizes: 0 -> 2, 1 -> 3, 2 -> 2, 3 -> 1
    centers = np.arange(4, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    c = canonical(Clustering(labels, centers, 1.0))
    # cluster 1 (the largest) becomes 0; of the two of size 2, the one holding row 0 (old 2) comes first
    assert c.labels.tolist() == [1, 2, 2, 0, 0, 0, 1, 3]
    assert c.centers[:, 0].tolist() == [1, 2, 0, 3]
    # any numbering of the same partition gives the same numbers (and so the same colours)
    relabelled = canonical(Clustering(np.array([3, 1, 1, 0, 0, 0, 3, 2]), centers, 1.0))
    assert relabelled.labels.tolist() == c.labels.tolist()


def test_align_to_keeps_ids_stable():
    prev = np.array([0, 0, 1, 1, 2, 2])
    assert align_to(prev, np.array([2, 2, 0, 0, 1, 1])).tolist() == prev.tolist()
    grown = align_to(prev, np.array([3, 2, 0, 0, 1, 1]))
    assert grown.tolist() == [3, 0, 1, 1, 2, 2]
    shrunk = align_to(prev, np.array([1, 1, 1, 0, 0, 0]))
    assert sorted(set(shrunk.tolist())) == [0, 1] and shrunk[0] == 0


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_silhouette_matches_scikit_learn(metric):
    """Same value as scikit-learn's silhouette_score, on the full data and on the same seeded sample,
    including a singleton cluster (which scores 0) and labels that are not 0..k-1."""
    from sklearn.metrics import silhouette_score

    from core.clustering.cluster import silhouette

    rng = np.random.RandomState(3)
    X = np.vstack([rng.randn(300, 16) + 3 * rng.randn(1, 16) for _ in range(4)]).astype(np.float32)
    labels = np.repeat([7, 2, 9, 4], 300)
    labels[5] = 11  # a singleton
    for sample in (None, 500):
        ours = silhouette(X, labels, metric=metric, sample=sample, seed=4, chunk=128)
        theirs = silhouette_score(X.astype(np.float64), labels, metric=metric, sample_size=sample, random_state=4)
        assert ours == pytest.approx(theirs, abs=1e-5)
    shuffled = rng.permutation(labels)  # a bad labelling scores near 0, the true one well above
    assert silhouette(X, shuffled, metric=metric) < 0.05 and silhouette(X, labels, metric=metric) > 0.3


def test_kmeans_gives_the_same_labels_with_any_number_of_openmp_threads():
    """Small inputs run on one OpenMP thread, so a limit set around the call (by a busy server, or
    by another machine's core count) does not change the result."""
    from threadpoolctl import threadpool_limits

    X = np.random.RandomState(1).randn(3000, 16).astype(np.float32)
    reference = kmeans(X, 7, seed=3)
    with threadpool_limits(2, user_api="openmp"):
        assert np.array_equal(kmeans(X, 7, seed=3).labels, reference.labels)
    assert reference.inertia == kmeans(X, 7, seed=3).inertia


def test_a_clustering_method_registered_in_core_cluster_stage_is_offered_everywhere(monkeypatch, fake_app):
    """Issue 30: a new clustering method is one registry entry in ``core.clustering.cluster_stage``; the config, the
    CLI, a link, the sidebar's *Clusters* choice and the Quality page take it from there."""
    from sklearn.cluster import AgglomerativeClustering

    from core.clustering import cluster_stage
    from core.cli import build_parser
    from core.config import ClusterConfig
    from core.session.view_link import parse

    def ward(i: cluster_stage.MethodInputs) -> cluster_stage.ClusterStage:
        labels = AgglomerativeClustering(i.cfg.k).fit_predict(i.X)
        centers = np.stack([i.Z[labels == c].mean(0) for c in range(i.cfg.k)]).astype(np.float32)
        return cluster_stage.ClusterStage(Clustering(labels, centers, 0.0),
                                          cluster_stage.score(i.Z, i.X, labels, i.truth, i.cfg, i.seed))

    method = cluster_stage.ClusterMethod("ward", "Ward's hierarchical clustering", "Ward", "Ward's linkage on the "
                                         "sentence embeddings", "Joins the closest groups until k are left.", ward)
    monkeypatch.setitem(cluster_stage.METHODS, "ward", method)
    assert ClusterConfig(method="ward").method == "ward"
    with pytest.raises(UserError, match="unknown cluster method 'nope'; choose one of coview, latent, ward"):
        ClusterConfig(method="nope")
    assert build_parser().parse_args(["run", "--clusters", "ward"]).clusters == "ward"
    assert parse({"method": "ward"}) == ({"method": "ward"}, [])

    at = fake_app()
    at.session_state["encoder_open"] = True  # the "Encoder and seed" expander: its widgets drawn
    at.run()
    box = at.sidebar.selectbox(key="cluster_method")
    assert "Ward's hierarchical clustering" in box.options
    box.set_value("ward").run()
    assert not at.exception and not at.error and at.session_state["session"].last.cfg.cluster.method == "ward"
    at.switch_page("pages/quality.py").run()
    assert not at.exception and any("Ward's linkage on the sentence embeddings" in c.value for c in at.caption)


def test_same_partition_compares_groups_whatever_their_ids():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert same_partition(a, np.array([5, 5, 9, 9, 7, 7])) and same_partition(a, np.array(list("xxyyzz")))
    assert not same_partition(a, np.array([0, 0, 1, 1, 1, 1]))  # two groups joined
    assert not same_partition(a, np.array([0, 1, 1, 1, 2, 2]))  # one text moved
    assert not same_partition(a, np.array([0, 0, 1, 1, 2, 3]))  # one group split
    assert not same_partition(a, a[:5]) and same_partition(np.array([]), np.array([]))


def test_restarts_said_names_the_sample_start_of_a_big_corpus():
    assert restarts_said(7_600, 10, 4) == "10 restarts" and restarts_said(60_000, 10, 4) == "3 restarts"
    assert restarts_said(150_000, 10, 4) == "started from the best of 10 runs on a sample of 20,000 texts"
    assert restarts_said(150_000, 10, 77) == "started from the best of 2 runs on a sample of 20,000 texts"
