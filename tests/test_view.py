"""core.session.view.View: what a page reads of a run besides its arrays: the points a map draws, the exports
as files, a text's nearest texts, the levels of the tree, the clusters against the labels, the k
sweep's plan. Views here are built by hand over small arrays (no embedding or training): each test
controls exactly the partition or labels it is about."""
import io
import json

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from core.clustering.cluster import Clustering
from core.clustering.cluster_stage import ClusterStage, Scores
from core.config import ClusterConfig, DataConfig, RunConfig
from core.tables.data import Corpus
from core.naming.describe import ClusterSummary, Terms
from core.embedding.embed import EmbedResult
from core.training.encoder import Encoder
from core.pipeline import RunResult
from core.storage.projects import Version
from core.session.view import DataSource, View


def make_view(labels, *, truth=None, titles=None, method: str = "coview", edited: bool = False,
              names: dict[int, str] | None = None, seed: int = 0) -> View:
    """A view of ``len(labels)`` texts in the given clusters; ``truth`` a label column (None: none)."""
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = sorted(set(labels.tolist()))
    latent = rng.normal(size=(n, 2)).astype(np.float32) + 5 * labels[:, None]
    centres = np.stack([latent[labels == c].mean(axis=0) for c in ids])
    titles = titles if titles is not None else [f"title {i}" for i in range(n)]
    frame = pd.DataFrame({"id": np.arange(n), "text": [f"text {i}" for i in range(n)], "title": titles})
    if truth is not None:
        frame["label"] = pd.Series(truth, dtype=object)
    corpus = Corpus(frame, "data/news.csv", "text", "label" if truth is not None else None, 0, n)
    cfg = RunConfig(data=DataConfig(source="data/news.csv", fraction=1.0), cluster=ClusterConfig(k=len(ids), method=method),
                    seed=seed)
    summaries = [ClusterSummary(c, int((labels == c).sum()), [f"word{c}"], [int(np.flatnonzero(labels == c)[0])])
                 for c in ids]
    stage = ClusterStage(Clustering(labels, centres, 0.0), Scores(*[None] * 7), summaries)
    terms = Terms(sparse.csr_matrix((n, 1), dtype=np.float32), np.array(["word"]))
    result = RunResult(cfg, corpus, EmbedResult(vectors, 0, n, 0.0, "fake"), Encoder(), latent, stage, None, latent,
                       terms, {"sample": "s"}, {})
    version = Version("v", {}, "", "", n, labels="edited" if edited else None, names=names or {})
    return View(DataSource("news", "data/news.csv", "news"), result, stage, version, user_names=names or {})


def test_kmeans_own_only_for_the_default_method_unedited_with_the_same_groups():
    view = make_view([0, 0, 1, 1, 2, 2])
    same = ClusterStage(Clustering(np.array([2, 2, 0, 0, 1, 1]), np.zeros((3, 2)), 0.0), Scores(*[None] * 7))
    moved = ClusterStage(Clustering(np.array([0, 1, 1, 1, 2, 2]), np.zeros((3, 2)), 0.0), Scores(*[None] * 7))
    assert view.kmeans_own(same)  # other numbers, the same groups
    assert not view.kmeans_own(moved)
    assert not make_view([0, 0, 1, 1, 2, 2], method="latent").kmeans_own(same)  # no words step to move nothing
    assert not make_view([0, 0, 1, 1, 2, 2], edited=True).kmeans_own(same)  # a split or merge made these


def test_the_map_draws_every_point_up_to_its_limit_then_a_seeded_sample_of_every_cluster():
    small = make_view(np.r_[np.zeros(90, int), np.ones(10, int)])
    np.testing.assert_array_equal(small.drawn_rows(), np.arange(100))

    n = small.max_drawn + 1_000
    labels = np.r_[np.zeros(n - 50, int), np.ones(50, int)]  # a cluster of 50 among many
    big, again, other_seed = make_view(labels), make_view(labels), make_view(labels, seed=1)
    rows = big.drawn_rows()
    assert len(rows) <= big.max_drawn < n and np.all(np.diff(rows) > 0)
    assert 0 < int((labels[rows] == 1).sum()) <= 50  # the small cluster keeps its share, at least one point
    np.testing.assert_array_equal(again.drawn_rows(), rows)  # the settings' seed: the same points each rerun
    assert not np.array_equal(other_seed.drawn_rows(), rows)


def test_the_map_title_names_the_projection():
    assert make_view([0, 0, 1, 1]).map_title() == "t-SNE of the latent space"  # the default projection


def test_nearest_lists_the_closest_texts_and_highlights_the_chosen_one_too():
    view = make_view([0] * 10 + [1] * 10)
    vectors = view.embedded.vectors
    keep = np.ones(20, bool)
    keep[3] = False  # hidden below the confidence floor: never found
    hits = view.nearest(0, 4, keep)
    sims = vectors[1:] @ vectors[0]
    expected = [r for r in (np.argsort(-sims) + 1) if r != 3][:4]
    assert hits.rows.tolist() == expected and hits.chosen == 0
    assert np.all(np.diff(hits.similarity) <= 0)
    assert np.flatnonzero(hits.mask).tolist() == sorted([0, *expected])  # the chosen text is highlighted, not listed


def test_least_typical_are_a_clusters_lowest_confidence_texts_among_those_kept():
    view = make_view([0, 0, 0, 0, 1, 1])
    conf = np.array([0.9, 0.1, 0.5, 0.2, 0.0, 0.3])
    keep = np.array([True, True, True, False, True, True])
    assert view.least_typical(conf, 0, 2, keep).tolist() == [1, 2]  # row 3 (0.2) is hidden
    assert view.least_typical(conf, 1, 5, keep).tolist() == [4, 5]


def test_levels_are_the_trees_cuts_for_this_k_largest_first():
    assert make_view(np.arange(12) % 6).levels() == [6, 3] and make_view(np.arange(12) % 2).levels() == [2]
    many = make_view(np.arange(200) % 77)
    assert many.levels() == [77, 38, 19, 9, 4, 2] and many.levels(most=3) == [77, 38, 19]


def test_confusion_orders_labels_as_numbers_and_counts_missing_ones():
    view = make_view([0, 0, 1, 1, 1, 2], truth=["10", "2", "2", "1", None, "10"])
    table, clusters, classes = view.confusion()
    assert classes.tolist() == ["1", "2", "10", "(missing)"] and clusters.tolist() == [0, 1, 2]
    assert table.tolist() == [[0, 1, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]]


def test_cluster_method_restarts_and_sweep_plan_follow_the_settings():
    view = make_view(np.arange(300) % 4)
    assert view.cluster_method.name == "coview" and "words" in view.cluster_method.describes
    assert make_view(np.arange(30) % 3, method="latent").cluster_method.name == "latent"
    assert view.restarts() == f"{view.cfg.cluster.n_init} restarts"  # a small corpus keeps every restart
    plan = view.sweep_plan()
    assert plan.top == 60 and plan.ks == tuple(range(2, 21)) and plan.dense_top == 20
    assert plan.extended[-1] == 60 and 25 in plan.extended and set(plan.ks) < set(plan.extended)
    assert 30 in view.sweep_plan(extended=True).ks
    few = make_view(np.arange(40) % 4)  # 40 texts: k up to 8
    assert few.sweep_plan().ks == tuple(range(2, 9)) and few.sweep_plan().dense_top == 8
    picked = plan.pick([2, 3, 4], [0.1, 0.3, 0.5], what="silhouette")
    assert picked.k == 4 and "up to 60" in picked.reason  # the sweep's top is the range's end


def test_exports_are_named_after_the_data_and_k_and_say_what_they_hold():
    view = make_view([0, 0, 1, 1, 1], truth=["a", "b", "a", "b", "a"], names={1: "Markets"},
                     titles=["a", "b", "=HYPERLINK(\"x\")", "d", "e"])
    everything = view.assignments_csv()
    assert everything.name == "news-k2-assignments.csv" and everything.mime == "text/csv"
    table = pd.read_csv(io.StringIO(everything.data))
    assert table["id"].tolist() == [0, 1, 2, 3, 4]
    assert table["title"].iat[2].startswith("'=") and table["cluster_name"].iat[2] == "1: Markets"  # a formula is neutralised
    picked = view.assignments_csv([3, 1])
    assert picked.name == "news-k2-selection.csv" and pd.read_csv(io.StringIO(picked.data))["id"].tolist() == [3, 1]
    clusters = view.clusters_json()
    doc = json.loads(clusters.data)
    assert clusters.name == "news-k2-clusters.json" and clusters.mime == "application/json"
    assert [(c["cluster"], c["name"], c["size"]) for c in doc] == [(0, "0: word0", 2), (1, "1: Markets", 3)]
    assert view.export_name("encoder", "safetensors") == "news-k2-encoder.safetensors"


@pytest.mark.parametrize("label", [None, ["1", "2"]])
def test_columns_of_a_view_are_its_corpus_columns(label):
    view = make_view([0, 1], truth=label)
    cols = view.columns()
    assert cols.has_label == (label is not None) and cols.others() == {}
