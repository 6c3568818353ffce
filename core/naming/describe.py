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


@dataclass(frozen=True)
class Terms:
    """Word counts of the texts, computed once per corpus: ``counts`` (n, vocab) sparse, ``words`` (vocab,)."""

    counts: sparse.csr_matrix
    words: np.ndarray


def term_counts(texts: list[str]) -> Terms:
    """Count each text's words (English stop words removed); an empty vocabulary is allowed."""
    vec = CountVectorizer(stop_words="english", token_pattern=TOKENS, lowercase=True, max_features=50_000,
                          dtype=np.float32)
    try:
        counts = vec.fit_transform(texts).tocsr()
        words = vec.get_feature_names_out()
    except ValueError:  # no words at all (texts of only stop words, digits or punctuation)
        counts, words = sparse.csr_matrix((len(texts), 0), dtype=np.float32), np.array([], dtype=object)
    return Terms(counts, words)


def per_cluster(terms: Terms, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, vocab) total count of each phrase in each cluster's texts."""
    n = len(labels)
    members = sparse.csr_matrix((np.ones(n, np.float32), (labels, np.arange(n))), shape=(k, n))
    return (members @ terms.counts).toarray().astype(np.float64)


def ctfidf(counts: np.ndarray, *, reduce_frequent: bool = True) -> np.ndarray:
    """(k, vocab) class-based TF-IDF of (k, vocab) per-cluster ``counts`` (BERTopic's formula).

    tf is a phrase's share of its cluster's phrases (its square root with ``reduce_frequent``, which
    flattens the head of the distribution where generic words live); idf is ``log(1 + A / f)`` with A
    the mean number of phrases per cluster and f the phrase's count in all clusters."""
    totals = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(totals, 1)
    if reduce_frequent:
        tf = np.sqrt(tf)
    idf = np.log1p(max(float(totals.mean()), 1.0) / np.maximum(counts.sum(axis=0), 1))
    return tf * idf


def ctfidf_keywords(terms: Terms, labels: np.ndarray, k: int, *, top: int = 8) -> list[list[str]]:
    """Top words per cluster by class-based TF-IDF (BERTopic's c-TF-IDF, :func:`ctfidf` without the
    square root): ``k`` keyword lists (empty for an empty cluster). Cost: one sparse product, so a
    change of k does not recount words."""
    if not len(terms.words):
        return [[] for _ in range(k)]
    weights = ctfidf(per_cluster(terms, labels, k), reduce_frequent=False)
    out = []
    for c in range(k):
        order = np.argsort(-weights[c], kind="stable")[:top]
        out.append([str(terms.words[i]) for i in order if weights[c, i] > 0])
    return out


def nearest_to_centres(X: np.ndarray, labels: np.ndarray, centers: np.ndarray, *, top: int = 5) -> list[list[int]]:
    """For each of the (k, d) ``centers``: row positions of its members nearest to it, nearest first."""
    out = []
    for c in range(len(centers)):
        rows = np.flatnonzero(labels == c)
        dist = np.linalg.norm(X[rows] - centers[c], axis=1)
        out.append(rows[np.argsort(dist, kind="stable")[:top]].tolist())
    return out


def describe(terms: Terms, X: np.ndarray, labels: np.ndarray, centers: np.ndarray, *,
             top_words: int = 8, top_examples: int = 5) -> list[ClusterSummary]:
    """Size, keywords and representative rows for each of the k clusters of (n, d) ``X``."""
    k = len(centers)
    keywords = ctfidf_keywords(terms, labels, k, top=top_words)
    nearest = nearest_to_centres(X, labels, centers, top=top_examples)
    sizes = np.bincount(labels, minlength=k)
    return [ClusterSummary(cluster=c, size=int(sizes[c]), keywords=keywords[c], examples=nearest[c])
            for c in range(k)]
