"""The export builders shared by the CLI and the app: confidence, the assignments table, file names."""
import numpy as np
import pandas as pd

from core.tables.data import build_corpus
from core.naming.describe import ClusterSummary
from core.tables.export import assignments_table, cluster_name, clusters_document, confidence, export_name


def test_confidence_is_the_margin_between_the_two_nearest_centres():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    Z = np.array([[0.0, 0.0], [5.0, 0.0], [2.0, 0.0], [9.0, 0.0]])
    conf = confidence(Z, centers)
    assert conf[0] == 1.0 and abs(conf[1]) < 1e-6  # at a centre; on the border
    assert abs(conf[2] - (1 - 2 / 8)) < 1e-6 and conf[3] > conf[2]
    assert np.all(confidence(Z, centers[:1]) == 1)


def test_assignments_carry_names_confidence_and_labels():
    corpus = build_corpus(pd.DataFrame({"headline": ["A", "B", "C"], "body": ["x y", "z w", "v u"],
                                        "label": ["1", "2", "1"]}))
    summaries = [ClusterSummary(0, 2, ["alpha", "beta"], [0]), ClusterSummary(1, 1, [], [1])]
    names = {s.cluster: cluster_name(s) for s in summaries}
    table = assignments_table(corpus, np.array([0, 1, 0]), names, np.array([0.5, 0.25, 1.0]), None)
    assert list(table.columns) == ["id", "title", "text", "cluster", "cluster_name", "confidence", "x", "y", "label"]
    assert table["cluster_name"].tolist() == ["0: alpha, beta", "1: (no keywords)", "0: alpha, beta"]
    assert table["title"].tolist() == ["A", "B", "C"] and table["x"].isna().all()
    document = clusters_document(summaries, corpus.texts)
    assert document[0] == {"cluster": 0, "name": "0: alpha, beta", "size": 2, "keywords": ["alpha", "beta"],
                           "examples": ["A. x y"]}


def test_assignments_keep_the_files_own_columns_and_say_what_edits_moved():
    corpus = build_corpus(pd.DataFrame({"text": ["a b", "c d", "e f"], "date": ["2024-01-01", "2024-02-01", None],
                                        "cluster": ["x", "y", "z"], "label": ["1", "2", "1"]}))
    table = assignments_table(corpus, np.array([0, 2, 0]), {0: "0: a", 2: "2: c"}, np.ones(3), None,
                              computed=np.array([0, 1, 1]))
    assert list(table.columns) == ["id", "title", "text", "cluster", "cluster_name", "confidence", "x", "y", "label",
                                   "cluster_as_computed", "date", "file:cluster"]
    assert table["date"].tolist()[:2] == ["2024-01-01", "2024-02-01"]
    assert table["file:cluster"].tolist() == ["x", "y", "z"]  # a file's column named as one of ours
    assert table["cluster_as_computed"].tolist() == [0, 1, 1]


def test_file_names_carry_the_data_and_k():
    assert export_name("news 2024.csv", 4, "assignments", "csv") == "news-2024-k4-assignments.csv"
    assert export_name("hf://datasets/Zhouhc/attack-agnews/agnews_train.csv", 7, "metrics", "json") == \
        "agnews_train-k7-metrics.json"
    assert export_name("demo corpus", 4, "clusters", "json") == "demo-corpus-k4-clusters.json"
    assert export_name("../..", 3, "x", "csv") == "data-k3-x.csv"
