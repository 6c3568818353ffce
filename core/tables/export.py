"""What a run exports, built once for the CLI's files and the app's downloads: the assignments table
(with cluster names and a confidence per text), the clusters document, and file names that say
which data and which k they come from.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from core.tables.column_groups import EXTRA
from core.tables.data import Corpus
from core.naming.describe import ClusterSummary


def cluster_name(summary: ClusterSummary, words: int = 3) -> str:
    """``"3: oil, prices, crude"``: the cluster id and its first keywords."""
    keywords = summary.keywords[:words]
    return f"{summary.cluster}: " + (", ".join(keywords) if keywords else "(no keywords)")


def confidence(Z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n,) confidence in [0, 1] of each row's cluster: the margin between its two nearest centres.

    ``1 - d1 / d2`` with d1, d2 the Euclidean distances from a row of (n, d) ``Z`` to the nearest and
    the second-nearest of the (k, d) ``centers``: 0 on the border between two clusters, 1 at a centre.
    It is relative, so it reads the same in any space and at any scale. With one centre it is 1.
    """
    Z = np.asarray(Z, dtype=np.float32)
    centers = np.asarray(centers, dtype=np.float32)
    if len(centers) < 2:
        return np.ones(len(Z))
    d2 = (np.einsum("ij,ij->i", Z, Z)[:, None] - 2 * Z @ centers.T + np.einsum("ij,ij->i", centers, centers)[None, :])
    dist = np.sqrt(np.maximum(d2, 0)).astype(np.float64)
    nearest = np.partition(dist, 1, axis=1)[:, :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = 1 - nearest[:, 0] / nearest[:, 1]
    return np.clip(np.nan_to_num(margin, nan=0.0), 0.0, 1.0)


def assignments_table(corpus: Corpus, labels: np.ndarray, names: dict[int, str], conf: np.ndarray,
                      xy: np.ndarray | None, *, computed: np.ndarray | None = None) -> pd.DataFrame:
    """One row per text: ``id, title, text, cluster, cluster_name, confidence, x, y[, label]``, then
    ``cluster_as_computed`` when ``computed`` is given, then the file's own columns (date, source,
    ids: ``corpus.frame``'s ``extra:<name>`` columns) under their own names (``file:<name>`` where a
    name is one of the columns before them).

    ``labels`` (n,) cluster ids row-aligned with ``corpus.frame``; ``names`` maps an id to its name;
    ``conf`` (n,) from :func:`confidence`; ``xy`` (n, 2) map coordinates (NaN without a map);
    ``computed`` (n,) the clusters as first computed, for clusters that were split or merged since
    (the table then says which texts the edits moved).
    """
    frame = corpus.frame
    table = pd.DataFrame({"id": frame["id"].to_numpy(), "title": frame["title"].to_numpy(),
                          "text": frame["text"].to_numpy(), "cluster": np.asarray(labels, dtype=np.int64)})
    table["cluster_name"] = [names.get(int(c), str(c)) for c in table["cluster"]]
    table["confidence"] = np.round(np.asarray(conf, dtype=np.float64), 4)
    xy = xy if xy is not None else np.full((len(frame), 2), np.nan)
    table["x"], table["y"] = xy[:, 0], xy[:, 1]
    if corpus.label_col:
        table["label"] = frame["label"].to_numpy()
    if computed is not None:
        table["cluster_as_computed"] = np.asarray(computed, dtype=np.int64)
    for column in own_columns(frame):
        name = column[len(EXTRA):]
        table[f"file:{name}" if name in table.columns else name] = frame[column].to_numpy()
    return table


def own_columns(frame: pd.DataFrame) -> list[str]:
    """The ``extra:<name>`` columns of a corpus frame (the file's own columns), in file order."""
    return [str(c) for c in frame.columns if str(c).startswith(EXTRA)]


def clusters_document(summaries: list[ClusterSummary], texts: list[str],
                      names: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The ``clusters.json`` document: per cluster its id, name, size, keywords and representative texts.
    ``names`` (the app's, with the user's names) default to :func:`cluster_name`."""
    names = names or {}
    return [{"cluster": s.cluster, "name": names.get(s.cluster, cluster_name(s)), "size": s.size,
             "keywords": s.keywords, "examples": [texts[i] for i in s.examples]} for s in summaries]


def data_stem(source_name: str) -> str:
    """A short file-name-safe name for a data source: ``"hf://.../agnews_train.csv"`` -> ``"agnews_train"``."""
    stem = PurePosixPath(str(source_name).replace("\\", "/").rstrip("/")).name
    stem = re.sub(r"\.(csv|tsv|parquet|jsonl)$", "", stem, flags=re.IGNORECASE)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")
    return stem[:60] or "data"


def export_name(source_name: str, k: int, what: str, suffix: str) -> str:
    """``"news-k4-assignments.csv"``: the data's name, k, and what the file holds."""
    return f"{data_stem(source_name)}-k{k}-{what}.{suffix}"
