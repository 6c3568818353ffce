"""What each cluster is about: size, class-based TF-IDF keywords, and the texts nearest its centre."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

TOKENS = r"(?u)\b[^\W\d_][\w'-]*[^\W_]\b"  # words of 2+ characters that start with a letter


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster: ``examples`` are row positions of the texts nearest its centre, nearest first."""

    cluster: int
    size: int
    keywords: list[str]
    examples: list[int] = field(default_factory=list)


def ctfidf_keywords(texts: list[str], labels: np.ndarray, k: int, *, top: int = 8) -> list[list[str]]:
    """Top words per cluster by class-based TF-IDF (BERTopic's c-TF-IDF), English stop words removed.

    Each cluster's texts form one document; a word's weight is its frequency in the cluster times
    ``log(1 + A / f)``, with A the mean number of words per cluster and f the word's total count.
    Returns a list of ``k`` keyword lists (empty for an empty cluster).
    """
    try:
        vec = CountVectorizer(stop_words="english", token_pattern=TOKENS, lowercase=True,
                              min_df=1, max_features=50_000)
        counts = vec.fit_transform(texts)
    except ValueError:  # no words at all (texts of only stop words, digits or punctuation)
        return [[] for _ in range(k)]
    members = sparse.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    per_cluster = np.asarray((members @ counts).todense(), dtype=np.float64)  # (k, vocab)
    totals = per_cluster.sum(axis=1, keepdims=True)
    tf = per_cluster / np.maximum(totals, 1)
    avg_words = max(totals.mean(), 1.0)
    idf = np.log1p(avg_words / np.maximum(per_cluster.sum(axis=0), 1))
    weights = tf * idf
    words = vec.get_feature_names_out()
    out = []
    for c in range(k):
        order = np.argsort(-weights[c], kind="stable")[:top]
        out.append([str(words[i]) for i in order if weights[c, i] > 0])
    return out


def nearest_to_centres(X: np.ndarray, labels: np.ndarray, centers: np.ndarray, *, top: int = 5) -> list[list[int]]:
    """For each of the (k, d) ``centers``: row positions of its members nearest to it, nearest first."""
    out = []
    for c in range(len(centers)):
        rows = np.flatnonzero(labels == c)
        dist = np.linalg.norm(X[rows] - centers[c], axis=1)
        out.append(rows[np.argsort(dist, kind="stable")[:top]].tolist())
    return out


def describe(texts: list[str], X: np.ndarray, labels: np.ndarray, centers: np.ndarray, *,
             top_words: int = 8, top_examples: int = 5) -> list[ClusterSummary]:
    """Size, keywords and representative rows for each of the k clusters of (n, d) ``X``."""
    k = len(centers)
    keywords = ctfidf_keywords(texts, labels, k, top=top_words)
    nearest = nearest_to_centres(X, labels, centers, top=top_examples)
    sizes = np.bincount(labels, minlength=k)
    return [ClusterSummary(cluster=c, size=int(sizes[c]), keywords=keywords[c], examples=nearest[c])
            for c in range(k)]
