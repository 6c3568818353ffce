"""The cluster stages of the pipeline: the raw-embedding baseline, the default clusters (that
baseline's K-Means partition checked against the texts' words, ``core.clustering.coview``) or the paper's K-Means on
the latent space, each scored and described.

Like every stage of ``core.pipeline`` (which re-exports these names), a stage is a function of its
parents' keys, its inputs, its config section and the seed, and returns (key, value) through the
cache handed in. A change of k re-runs only these stages and what follows them.
Shapes: ``Z`` (n, latent) the map's space; ``X`` (n, dim) the raw embeddings; labels (n,) in [0, k).

:data:`METHODS` is the one list of clustering methods: the config's validation, the CLI's
``--clusters`` choices, a link's ``method=``, the sidebar's *Clusters* choice, the Quality and Compare
pages' words all read it, so a new method is one :func:`register` call (with its function) here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from core.storage.cache import StageCache
from core.clustering.cluster import K_RESTART_BUDGET, RESTART_BUDGET, Clustering, canonical, internal_scores, kmeans, label_scores
from core.clustering.coview import FIT_ROWS, neighbours_of, reassign, word_view
from core.naming.describe import ClusterSummary, Terms, describe
from core.training.neighbours import sample_key, scale_sample
from core.registry import Registry
from core.storage.results import stage_key

if TYPE_CHECKING:  # annotations only: the config reads the registry of methods here, so no import back
    from core.config import ClusterConfig


@dataclass(frozen=True)
class Scores:
    """Silhouette and Davies-Bouldin in the clustered space and on the raw embeddings (cosine), plus
    ACC/NMI/ARI against the labels when known."""

    silhouette: float | None
    davies_bouldin: float | None
    silhouette_raw: float | None
    davies_bouldin_raw: float | None
    acc: float | None
    nmi: float | None
    ari: float | None

    def as_dict(self) -> dict[str, float | None]:
        return dict(self.__dict__)


def score(space: np.ndarray, raw: np.ndarray, labels: np.ndarray, truth: np.ndarray | None,
          cfg: ClusterConfig, seed: int, *, space_metric: str = "euclidean") -> Scores:
    """All metrics of one labelling: internal ones in ``space`` and on ``raw``; label agreement."""
    sil, db = internal_scores(space, labels, metric=space_metric, sample=cfg.silhouette_sample, seed=seed)
    sil_raw, db_raw = internal_scores(raw, labels, metric="cosine", sample=cfg.silhouette_sample, seed=seed)
    return Scores(sil, db, sil_raw, db_raw, **label_scores(truth, labels))


@dataclass(frozen=True)
class ClusterStage:
    clustering: Clustering
    scores: Scores
    summaries: list[ClusterSummary] = field(default_factory=list)  # indexed by cluster id


def cluster_and_score(Z: np.ndarray, X: np.ndarray, truth: np.ndarray | None, cfg: ClusterConfig,
                      seed: int) -> ClusterStage:
    """K-Means on the (n, d) ``Z``, scored there and on the (n, dim) embeddings ``X`` (no keywords)."""
    clustering = kmeans(Z, cfg.k, seed=seed, n_init=cfg.n_init)
    return ClusterStage(clustering, score(Z, X, clustering.labels, truth, cfg, seed))


def coview_views(X: np.ndarray, texts: list[str]) -> dict[str, Any]:
    """The k-free inputs of the co-view reassignment: the (s, m) k-NN graph of the (n, dim) embeddings
    and the texts' TF-IDF word view (see ``core.clustering.coview``), of every row (s = n) or, above
    ``core.training.neighbours.SAMPLE_ABOVE`` rows, of the rows of :func:`core.training.neighbours.scale_sample` (the
    encoder's training sample, so the graph is the one training built)."""
    rows = scale_sample(len(X))
    if rows is not None:
        X, texts = np.asarray(X)[rows], [texts[i] for i in rows]
    return {"neighbours": neighbours_of(X), "words": word_view(texts)}


def views_stage(keys: dict[str, str], X: np.ndarray, texts: list[str], cache: StageCache) -> dict[str, Any]:
    """:func:`coview_views`, once per sample and embeddings: every k reuses them."""
    key = stage_key("views", keys["embed"], keys["sample"], *sample_key(len(X)))
    return cache.fetch("views", key, lambda: coview_views(X, texts))


def reassigned(Z: np.ndarray, X: np.ndarray, start: np.ndarray, texts: list[str], views: dict[str, Any],
            truth: np.ndarray | None, cfg: ClusterConfig, seed: int) -> ClusterStage:
    """The (n,) partition ``start`` of the raw embeddings ``X`` checked against the texts' words, with its
    centres and scores in the (n, latent) space ``Z`` (the map's space). ``views`` from :func:`coview_views`.

    Above ``core.training.neighbours.SAMPLE_ABOVE`` rows the check runs on the rows of the views' sample, which
    keep the clusters it gives them; every other row goes to the nearest (cosine) centre, in ``X``, of
    those clusters on the sample (:func:`nearest_centres`), so the words' and neighbours' verdict moves
    the borders of the whole partition."""
    rows = scale_sample(len(X))
    if rows is None:
        labels = reassign(X, start, texts, seed=seed, **views).labels
    else:
        start = np.asarray(start, dtype=np.int64)
        voted = reassign(np.asarray(X)[rows], start[rows], [texts[i] for i in rows], seed=seed, **views).labels
        labels = nearest_centres(X, rows, voted, start, cfg.k)
    centers = np.stack([Z[labels == c].mean(0) if (labels == c).any() else Z.mean(0) for c in range(cfg.k)])
    clustering = Clustering(labels, centers.astype(np.float32), float(((Z - centers[labels]) ** 2).sum()))
    return ClusterStage(clustering, score(Z, X, labels, truth, cfg, seed))


def cluster_stage(keys: dict[str, str], Z: np.ndarray, X: np.ndarray, texts: list[str], truth: np.ndarray | None,
                  terms: Terms, cfg: ClusterConfig, seed: int, cache: StageCache,
                  base: np.ndarray | None = None,
                  progress: Callable[[str, int, int, str], None] | None = None) -> tuple[str, ClusterStage]:
    """The clusters for ``cfg``, scored in the (n, latent) space ``Z`` and on the (n, dim) embeddings
    ``X``, each described (keywords, nearest texts). ``coview``: the raw-embedding baseline's K-Means
    partition checked against the texts' words; ``latent``: K-Means on ``Z`` (the paper's method).
    ``keys`` are the run's ``sample`` (labels, words), ``embed`` and ``train`` keys, and ``base_embed``
    when ``X`` is a refined model's vectors: then ``base`` holds the base model's (n, dim) vectors and
    the co-view starts from the base model's default clusters carried into ``X`` (:func:`carried`)
    instead of K-Means on ``X``, so that Refine moves the borders of the fast default's clusters
    rather than drawing new ones. ``progress(stage, done, total, message)`` hears of each step, only
    when the clusters are computed (not read from the cache)."""
    from_base = keys.get("base_embed", keys["embed"]) != keys["embed"] and get_method(cfg.method).starts_from_base
    if from_base and base is None:
        raise ValueError("a refined model's clusters start from the base model's: pass its vectors as base")

    def step(done: int, message: str) -> None:
        if progress:
            progress("cluster", done, 3, message)

    def compute() -> ClusterStage:
        step(0, f"K-Means into {cfg.k} clusters")
        if from_base:
            fast = default_labels({"embed": keys["base_embed"], "sample": keys["sample"]}, base, texts, truth, cfg,
                                  seed, cache)
            stage = reassigned(Z, X, carried(X, fast, cfg.k), texts, views_stage(keys, X, texts, cache), truth, cfg,
                            seed)
        else:
            method = get_method(cfg.method)
            # the raw-embedding baseline's K-Means, shared with the cards' yardstick through the cache
            start = (baseline_stage(keys["embed"], keys["sample"], X, truth, cfg, seed, cache)[1]
                     if method.starts_from_base else None)
            stage = method.cluster(MethodInputs(keys, Z, X, texts, truth, cfg, seed, cache, step, start))
        step(2, f"describing {cfg.k} clusters")
        c = canonical(stage.clustering)  # numbered by size: the same partition gets the same numbers anywhere
        return replace(stage, clustering=c, summaries=describe(terms, Z, c.labels, c.centers))

    start_key = ("started from the base model's clusters", keys["base_embed"]) if from_base else ()
    key = stage_key("cluster", keys["train"], keys["sample"], asdict(cfg), seed, *scale_rules_key(len(X), cfg.k),
                    *start_key)
    return key, cache.fetch("cluster", key, compute)


def default_labels(keys: dict[str, str], X: np.ndarray, texts: list[str], truth: np.ndarray | None,
                   cfg: ClusterConfig, seed: int, cache: StageCache) -> np.ndarray:
    """The (n,) default clusters of the (n, dim) embeddings ``X`` (raw K-Means checked by the co-view)
    without the latent space: what Refine learns from and starts its own clusters from, once per run
    and k (the refine stage and the refined run's cluster stage share it). ``keys``: ``embed`` (of
    ``X``) and ``sample``; the baseline and the views come from the cache too."""
    coview = replace(cfg, method="coview")

    def compute() -> np.ndarray:
        _, start = baseline_stage(keys["embed"], keys["sample"], X, truth, coview, seed, cache)
        labels = reassigned(X, X, start.clustering.labels, texts, views_stage(keys, X, texts, cache), None, coview,
                         seed).clustering.labels
        labels.setflags(write=False)
        return labels

    key = stage_key("default labels", baseline_key(keys["embed"], keys["sample"], coview, seed, len(X)))
    return cache.fetch("default_labels", key, compute)


def nearest_centres(X: np.ndarray, rows: np.ndarray, voted: np.ndarray, start: np.ndarray, k: int,
                    chunk: int = 65_536) -> np.ndarray:
    """(n,) labels: the sample ``rows`` keep their ``voted`` labels; every other row of the (n, dim) ``X``
    goes to the nearest, by cosine, of the k centres that ``voted`` gives the sample. A cluster with no
    sample row keeps the centre its ``start`` labels (n,) give it over all rows (if any)."""
    X = np.asarray(X)
    centres = np.zeros((k, X.shape[1]), dtype=np.float64)
    present = np.zeros(k, dtype=bool)
    sample = X[rows]
    for c in range(k):
        mine = voted == c
        if mine.any():
            centres[c], present[c] = sample[mine].mean(0), True
        elif (start == c).any():
            centres[c], present[c] = X[start == c].mean(0), True
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    unit = (centres / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    labels = np.empty(len(X), dtype=np.int64)
    for begin in range(0, len(X), chunk):  # float32 products, a chunk at a time (no (n, dim) float64 copy)
        similarity = np.asarray(X[begin:begin + chunk], dtype=np.float32) @ unit.T
        similarity[:, ~present] = -np.inf
        labels[begin:begin + chunk] = np.argmax(similarity, axis=1)
    labels[rows] = voted
    return labels


def carried(V: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(n,) each row of the (n, dim) refined vectors ``V`` to the nearest, by cosine, of the centres
    that the (n,) ``labels`` (the base model's clusters) have in ``V``. K-Means from scratch on a
    small corpus's refined vectors can settle on another split of the topics than the one Refine
    learnt from (docs/benchmarks.md); carrying the clusters keeps their identity and lets the refined
    space move their borders. A label with no row keeps no centre."""
    centres = np.zeros((k, V.shape[1]), dtype=np.float64)
    present = np.zeros(k, dtype=bool)
    for c in range(k):
        rows = labels == c
        if rows.any():
            centres[c], present[c] = V[rows].mean(0), True
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    similarity = V.astype(np.float64) @ (centres / np.where(norms > 0, norms, 1.0)).T
    similarity[:, ~present] = -np.inf
    return np.argmax(similarity, axis=1)


def scale_rules_key(n: int, k: int = 2) -> tuple[str, ...]:
    """An extra key part for corpora big enough for the size rules (fewer K-Means restarts, the co-view's
    classifiers fitted on a sample) and for ks many enough for fewer restarts: clusters made before
    those rules must not be read back for them, while every smaller corpus and k keeps its key and its
    cached clusters."""
    return (("scale rules 1",) if n > min(FIT_ROWS, RESTART_BUDGET // 10) else ()) + \
        (("k restarts 1",) if k > K_RESTART_BUDGET // 10 else ()) + sample_key(n)


def baseline_key(embed_key: str, sample_key: str, cfg: ClusterConfig, seed: int, n: int) -> str:
    """The baseline depends on k and K-Means' own settings, not on how the clusters are then made."""
    return stage_key("baseline", embed_key, sample_key, cfg.k, cfg.n_init, cfg.silhouette_sample, seed,
                     *scale_rules_key(n, cfg.k))


def baseline_stage(embed_key: str, sample_key: str, X: np.ndarray, truth: np.ndarray | None, cfg: ClusterConfig,
                   seed: int, cache: StageCache) -> tuple[str, ClusterStage]:
    """The yardstick: K-Means with the same k and seed directly on the raw (n, dim) embeddings."""
    key = baseline_key(embed_key, sample_key, cfg, seed, len(X))

    def compute() -> ClusterStage:  # cluster_and_score on X alone: K-Means here, where a reader looks for it
        clustering = kmeans(X, cfg.k, seed=seed, n_init=cfg.n_init)
        return ClusterStage(clustering, score(X, X, clustering.labels, truth, cfg, seed))

    return key, cache.fetch("baseline", key, compute)


@dataclass(frozen=True)
class MethodInputs:
    """What a clustering method reads: the run's stage ``keys``, the (n, latent) ``Z``, the (n, dim)
    embeddings ``X``, the texts, the labels if any (to score, never to fit), the config, the seed, the
    stage cache (to share the baseline and the views), ``step(done, message)`` for its progress, and for a
    method that starts from the raw-embedding K-Means (``starts_from_base``) that baseline as ``start``."""

    keys: dict[str, str]
    Z: np.ndarray
    X: np.ndarray
    texts: list[str]
    truth: np.ndarray | None
    cfg: ClusterConfig
    seed: int
    cache: StageCache
    step: Callable[[int, str], None]
    start: ClusterStage | None = None


@dataclass(frozen=True)
class ClusterMethod:
    """One way to cluster. ``name`` is the config's, the CLI's and a link's value; ``label`` the
    sidebar's words, ``short`` the Compare page's, ``describes`` the Quality page's sentence, ``help``
    the sidebar's tooltip. ``cluster(inputs)`` returns the stage, clustered and scored (the cluster
    stage numbers and describes it). ``starts_from_base``: a refined model's run starts from the base
    model's default clusters instead (Refine moves their borders)."""

    name: str
    label: str
    short: str
    describes: str
    help: str
    cluster: Callable[[MethodInputs], ClusterStage]
    starts_from_base: bool = False


METHODS: Registry[ClusterMethod] = Registry("cluster method")
register, method_names, get_method = METHODS.register, METHODS.names, METHODS.named


def _coview(i: MethodInputs) -> ClusterStage:
    i.step(1, f"{i.cfg.k} clusters: moving texts where their words and neighbours agree")
    return reassigned(i.Z, i.X, i.start.clustering.labels, i.texts, views_stage(i.keys, i.X, i.texts, i.cache),
                      i.truth, i.cfg, i.seed)


register(ClusterMethod(
    "coview", "K-Means checked against the texts' words", "K-Means checked by words",
    "K-Means on the embeddings, checked against the texts' words, scored in the latent space",
    "The default starts from K-Means on the sentence embeddings and moves a text only where its nearest "
    "neighbours and a classifier on the texts' words agree.", _coview, starts_from_base=True))
register(ClusterMethod(
    "latent", "K-Means on the latent space (paper)", "K-Means on the latent space", "K-Means on the latent vectors",
    "The paper's method: K-Means on the encoder's latent vectors.",
    lambda i: cluster_and_score(i.Z, i.X, i.truth, i.cfg, i.seed)))
