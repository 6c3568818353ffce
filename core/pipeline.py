"""The staged run used by both the CLI and the app.

Each stage is a function of the stages before it and of its own config section only, so callers can
cache each stage on exactly what it depends on: changing k re-runs :func:`cluster_stage` and what
follows it, nothing else.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .cluster import Clustering, check_k, internal_scores, kmeans, label_scores
from .config import ClusterConfig, DataConfig, EmbedConfig, EncoderConfig, ProjectConfig, RunConfig
from .data import Corpus, build_corpus, sample, sample_size
from .describe import ClusterSummary, describe, term_counts
from .embed import EmbedResult, Embedder, embed_texts, get_embedder
from .encoder import Encoder
from .errors import UserError
from .objectives import get_objective
from .project import project
from .results import ResultCache, array_key, stage_key
from .store import EmbeddingStore

log = logging.getLogger(__name__)

#: progress(stage, done, total, message) from any stage.
StageProgress = Callable[[str, int, int, str], None]


def load_stage(cfg: DataConfig, seed: int) -> Corpus:
    """Read the source and keep ``cfg.fraction`` of its rows (a prefix of one seeded permutation)."""
    corpus = build_corpus(cfg.source, text_col=cfg.text_col, label_col=cfg.label_col)
    return sample(corpus, cfg.fraction, seed)


def check_sample(corpus: Corpus, k: int) -> None:
    """The sample must hold at least k texts, and at least k distinct ones."""
    check_k(k, len(corpus))
    n_distinct = corpus.frame["text"].nunique()
    if n_distinct < k:  # K-Means would split identical points and score the noise
        raise UserError(f"only {n_distinct} distinct text{'s' if n_distinct > 1 else ''} among the {len(corpus)} "
                        f"sampled, fewer than k={k}; lower k or use more varied texts")


def embed_stage(texts: list[str], cfg: EmbedConfig, *, embedder: Embedder | None = None,
                store: EmbeddingStore | None = None, progress: StageProgress | None = None) -> EmbedResult:
    """(n,) texts -> (n, dim) embeddings, through the store."""
    embedder = embedder or get_embedder(cfg.model, cfg.backend)
    report = (lambda d, t: progress("embed", d, t, f"embedded {d} of {t} texts")) if progress else None
    return embed_texts(texts, embedder, store=store, batch_size=cfg.batch_size, progress=report)


def train_stage(X: np.ndarray, cfg: EncoderConfig, *, seed: int, k: int | None = None,
                progress: StageProgress | None = None) -> Encoder:
    """Fit the encoder on (n, dim) embeddings. ``k`` is used only by objectives that need it."""
    needs_k = get_objective(cfg.objective).needs_k
    report = (lambda e, n, loss: progress("train", e, n, f"epoch {e}/{n}, loss {loss:.4f}")) if progress else None
    return Encoder(cfg, n_clusters=k if needs_k else None, seed=seed).fit(X, progress=report)


def trained(X: np.ndarray, cfg: EncoderConfig, *, seed: int, k: int | None = None,
            results: ResultCache | None = None, progress: StageProgress | None = None
            ) -> tuple[str, Encoder, np.ndarray]:
    """(key, fitted encoder, (n, latent) vectors) for (n, dim) embeddings, from ``results`` when there.

    The key covers the embeddings' content, the encoder settings, the seed and, only for objectives
    that use it, k.
    """
    needs_k = get_objective(cfg.objective).needs_k
    key = stage_key("train", array_key(X), cfg.__dict__, seed, k if needs_k else None)
    hit = results.get(key) if results else None
    if hit is not None:
        try:
            return key, Encoder.from_bytes(hit["encoder"].tobytes()), hit["latent"]
        except (KeyError, ValueError) as exc:
            log.warning("cached encoder is unusable (%s); training again", exc)
    encoder = train_stage(X, cfg, seed=seed, k=k, progress=progress)
    latent = encoder.transform(X)
    if results:
        results.put(key, {"encoder": np.frombuffer(encoder.to_bytes(), np.uint8), "latent": latent})
    return key, encoder, latent


def projected(Z: np.ndarray, train_key: str, cfg: ProjectConfig, *, seed: int,
              results: ResultCache | None = None) -> np.ndarray | None:
    """(n, 2) map of the latent vectors (None for ``none``), from ``results`` when there."""
    if cfg.method == "none":
        return None
    key = stage_key("project", train_key, cfg.__dict__, seed)
    hit = results.get(key) if results else None
    if hit is not None and hit.get("xy", np.empty(0)).shape == (len(Z), 2):
        return hit["xy"]
    xy = project(Z, cfg.method, seed=seed, perplexity=cfg.perplexity)
    if results and xy is not None:
        results.put(key, {"xy": xy})
    return xy


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


def cluster_stage(Z: np.ndarray, X: np.ndarray, truth: np.ndarray | None, cfg: ClusterConfig,
                  seed: int) -> ClusterStage:
    """K-Means on the (n, latent) vectors ``Z``, scored there and on the (n, dim) embeddings ``X``."""
    clustering = kmeans(Z, cfg.k, seed=seed, n_init=cfg.n_init)
    return ClusterStage(clustering, score(Z, X, clustering.labels, truth, cfg, seed))


def baseline_stage(X: np.ndarray, truth: np.ndarray | None, cfg: ClusterConfig, seed: int) -> ClusterStage:
    """The yardstick: K-Means with the same k and seed directly on the raw embeddings."""
    clustering = kmeans(X, cfg.k, seed=seed, n_init=cfg.n_init)
    return ClusterStage(clustering, score(X, X, clustering.labels, truth, cfg, seed))


@dataclass
class RunResult:
    """Everything one run produced. Arrays are row-aligned with ``corpus.frame``."""

    config: RunConfig
    corpus: Corpus
    embeddings: EmbedResult
    encoder: Encoder
    latent: np.ndarray
    clusters: ClusterStage
    baseline: ClusterStage
    summaries: list[ClusterSummary]
    xy: np.ndarray | None
    timings: dict[str, float] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        """The ``metrics.json`` document."""
        return metrics_document(self.config, self.corpus, self.embeddings, self.clusters.scores,
                                self.baseline.scores, self.timings)


def metrics_document(cfg: RunConfig, corpus: Corpus, embedded: EmbedResult, scores: Scores, baseline: Scores,
                     timings: dict[str, float] | None = None) -> dict[str, Any]:
    """The metrics of one run as JSON-ready values (the CLI's metrics.json and the app's download)."""
    return {"n_docs": len(corpus), "k": cfg.cluster.k, "latent_dim": cfg.encoder.latent,
            "model": cfg.embed.model, "seed": cfg.seed, **scores.as_dict(), "baseline": baseline.as_dict(),
            "timings_s": {k: round(v, 3) for k, v in (timings or {}).items()},
            "embed_cache": {"hits": embedded.hits, "misses": embedded.misses},
            "embed_backend": embedded.backend, "objective": cfg.encoder.objective,
            "n_dropped": corpus.n_dropped, "source": corpus.source,
            "text_col": corpus.text_col, "label_col": corpus.label_col, "config": cfg.to_dict()}


def validate(cfg: RunConfig) -> None:
    """Reject settings that cannot work before any expensive stage starts."""
    get_objective(cfg.encoder.objective)
    sample_size(1, cfg.data.fraction)  # a bad fraction fails before any file is read
    if not 0 <= cfg.seed < 2**32:  # NumPy's and scikit-learn's range
        raise UserError(f"the seed must be between 0 and 2**32 - 1, got {cfg.seed}")
    if cfg.cluster.k < 2:
        raise UserError(f"k must be at least 2, got {cfg.cluster.k}")
    if cfg.encoder.latent < 1 or cfg.encoder.hidden < 1 or cfg.encoder.epochs < 1:
        raise UserError("hidden size, latent size and epochs must be positive")


def run(cfg: RunConfig, *, embedder: Embedder | None = None, store: EmbeddingStore | None = None,
        results: ResultCache | None = None, progress: StageProgress | None = None) -> RunResult:
    """The whole method: load, sample, embed, train, cluster (+ baseline), describe, project.

    With ``store`` and ``results``, nothing already computed for the same inputs is computed again.
    """
    validate(cfg)
    timings: dict[str, float] = {}
    start = clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    corpus = load_stage(cfg.data, cfg.seed)
    check_sample(corpus, cfg.cluster.k)
    lap("load")
    embedded = embed_stage(corpus.texts, cfg.embed, embedder=embedder, store=store, progress=progress)
    lap("embed")
    train_key, encoder, latent = trained(embedded.vectors, cfg.encoder, seed=cfg.seed, k=cfg.cluster.k,
                                         results=results, progress=progress)
    lap("train")
    if progress:
        progress("cluster", 0, 1, "clustering")
    truth = corpus.labels
    clusters = cluster_stage(latent, embedded.vectors, truth, cfg.cluster, cfg.seed)
    baseline = baseline_stage(embedded.vectors, truth, cfg.cluster, cfg.seed)
    summaries = describe(term_counts(corpus.texts), latent, clusters.clustering.labels, clusters.clustering.centers)
    lap("cluster")
    if progress and cfg.project.method != "none":
        progress("project", 0, 1, f"projecting with {cfg.project.method}")
    xy = projected(latent, train_key, cfg.project, seed=cfg.seed, results=results)
    lap("project")
    timings["total"] = time.perf_counter() - start
    return RunResult(cfg, corpus, embedded, encoder, latent, clusters, baseline, summaries, xy, timings)
