"""A first look at a corpus while its encoder trains: K-Means on the raw embeddings, laid out by PCA.

The clusters are the pipeline's baseline stage (the yardstick of the quality cards, so computing it
early is no extra work: the cards then find it cached); the layout is the embeddings' first two
principal components, which take well under a second even for 200,000 texts. Both are a stand-in
for the encoder's map, and the app labels them so.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from core.storage.cache import StageCache
from core.clustering.cluster import canonical
from core.naming.describe import describe
from core.tables.export import cluster_name
from core.naming.naming import name_keywords, phrases_stage
from core.pipeline import Embedded, baseline_stage, terms_stage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstLook:
    """``xy`` (n, 2) float32 PCA coordinates; ``labels`` (n,) baseline cluster ids; ``names`` {id: name}."""

    xy: np.ndarray
    labels: np.ndarray
    names: dict[int, str]


def pca_2d(X: np.ndarray, seed: int) -> np.ndarray:
    """(n, d) -> (n, 2) float32: the first two principal components (randomised SVD, seeded)."""
    from sklearn.decomposition import PCA

    if len(X) < 3:
        return np.zeros((len(X), 2), np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):  # near-identical texts: a zero variance ratio
        xy = PCA(n_components=2, svd_solver="randomized", random_state=seed).fit_transform(X)
    return xy.astype(np.float32)


def first_look(so_far: Embedded, cache: StageCache) -> FirstLook:
    """The baseline clusters of the run so far (cached as the baseline stage), named by their keywords,
    on a PCA layout of the raw embeddings."""
    cfg, corpus, X = so_far.config, so_far.corpus, so_far.embeddings.vectors
    keys = so_far.keys
    _, base = baseline_stage(keys["embed"], keys["sample"], X, corpus.labels, cfg.cluster, cfg.seed, cache)
    c = canonical(base.clustering)  # numbered as the final clusters are (by size)
    summaries = describe(terms_stage(keys["sample"], corpus.texts, cache), X, c.labels, c.centers)
    # the names' own word ranking without the model (frequent words demoted), so no "said" even here
    words = name_keywords(phrases_stage(keys["sample"], corpus.texts, cache), c.labels, cfg.cluster.k, X, None)
    summaries = [replace(s, keywords=w or s.keywords) for s, w in zip(summaries, words)]
    names = {s.cluster: cluster_name(s) for s in summaries}
    return FirstLook(pca_2d(X, cfg.seed), c.labels, names)
