"""The one stage pipeline, used by both the CLI and the app.

Each stage is a function of (its parent's key, its inputs, its own config section, the seed) that
returns (key, value), with a cache handed in by the caller (``core.storage.cache``): the CLI passes the disk
cache or none, the app passes memory over disk. A stage's key is its settings plus its parent's key,
so a change stops where it should: a fraction or seed change re-samples without re-reading the
source, a change of k re-runs only :func:`cluster_stage` and what follows it. The train stage's
parent is the content of the embeddings, so a result never outlives the vectors it was made from.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.embedding.backends import backend_for
from core.storage.cache import NoCache, StageCache
from core.clustering.cluster import check_k
from core.config import DEMO_SOURCE, DataConfig, EmbedConfig, EncoderConfig, ProjectConfig, RunConfig
from core.clustering.cluster_stage import (  # noqa: F401  (re-exported: the one pipeline's names)
    ClusterStage, Scores, baseline_key, baseline_stage, carried, cluster_and_score, cluster_stage, coview_views,
    default_labels, reassigned, scale_rules_key, score, views_stage)
from core.tables.data import Corpus, build_corpus, sample
from core.naming.describe import ClusterSummary, Terms, term_counts
from core.embedding.embed import EmbedResult, Embedder, embed_texts, get_embedder
from core.embedding.embed_file import check_distinct, distinct_rows
from core.training.encoder import Encoder, step_cap_key
from core.errors import UserError
from core.naming.naming import names_stage
from core.training import neighbours
from core.training.neighbours import sample_key as train_sample_key
from core.training.neighbours import scale_sample
from core.projection.landmarks import placement_key
from core.projection.project import project
from core.training.refine_stage import RefineInfo, refine_run
from core.storage.results import array_key, stage_key
from core.storage.store import EmbeddingStore
from core.threads import Beside

log = logging.getLogger(__name__)

#: progress(stage, done, total, message) from any stage.
StageProgress = Callable[[str, int, int, str], None]
#: Bumped whenever training changes its results for the same settings (the disk cache then misses).
TRAIN_RECIPE = 3
#: From this many texts the map is drawn in a thread beside the clustering, naming and keywords (the
#: same map: its own threads are stated, ``core.projection.project``): t-SNE's native code and the
#: placement's products then use the second core while the clustering's Python uses one. Below it
#: the stages take seconds and run one after the other. Read at call time (tests lower it).
OVERLAP_FROM = 20_000
#: load_embedder(model, backend) -> a shared embedder.
EmbedderLoader = Callable[[str, str], Embedder]


def source_key(source: str) -> str:
    """A key for a source named by a string: a local file's key changes when the file does."""
    if source == DEMO_SOURCE or source.startswith("hf://"):
        return source
    path = Path(source)
    try:
        stat = path.stat()
        return f"path:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:  # missing: reading it will say so
        return f"path:{source}"


# -- data ------------------------------------------------------------------------------------------------
def read_stage(key: str, source: str | pd.DataFrame, cfg: DataConfig, cache: StageCache) -> tuple[str, Corpus]:
    """Read and clean the whole source once per (source, columns); ``key`` names the source."""
    key = stage_key("read", key, cfg.text_col, cfg.label_col)
    return key, cache.fetch("read", key, lambda: build_corpus(source, text_col=cfg.text_col, label_col=cfg.label_col))


def sample_stage(read_key: str, corpus: Corpus, cfg: DataConfig, seed: int, cache: StageCache) -> tuple[str, Corpus]:
    """Keep ``cfg.fraction`` of the rows (a prefix of one seeded permutation), without re-reading."""
    key = stage_key("sample", read_key, cfg.fraction, seed)
    return key, cache.fetch("sample", key, lambda: sample(corpus, cfg.fraction, seed))


def check_sample(corpus: Corpus, k: int) -> None:
    """The sample must hold at least k texts, and at least k distinct ones."""
    check_k(k, len(corpus))
    n_distinct = corpus.frame["text"].nunique()
    if n_distinct < k:  # K-Means would split identical points and score the noise
        raise UserError(f"only {n_distinct} distinct text{'s' if n_distinct > 1 else ''} among the {len(corpus)} "
                        f"sampled, fewer than k={k}; lower k or use more varied texts")


def terms_stage(sample_key: str, texts: list[str], cache: StageCache) -> Terms:
    """The sample's word counts, counted once: keywords for any k are then one sparse product."""
    return cache.fetch("terms", stage_key("terms", sample_key), lambda: term_counts(texts))


# -- embeddings ------------------------------------------------------------------------------------------
def embed_stage(sample_key: str, texts: list[str], cfg: EmbedConfig, cache: StageCache, *,
                embedder: Embedder | None = None, load_embedder: EmbedderLoader | None = None,
                store: EmbeddingStore | None = None, progress: StageProgress | None = None) -> tuple[str, EmbedResult]:
    """(n,) texts -> (n, dim) embeddings through the store. The key returned is the vectors' content.

    The model is ``embedder``, else ``load_embedder(model, backend)`` (the app's shared one), else the
    process-wide one; it is loaded only when some text is not in the cache. The backend is
    ``backend_for(cfg.backend, n)``: a small sample does not wait for an ONNX export."""
    def compute() -> tuple[str, EmbedResult]:
        if len(texts) > neighbours.ANN_ABOVE:  # the training and the co-view will want NN-descent's graph
            neighbours.warm_up()
        backend = backend_for(cfg.backend, len(texts))
        model = embedder or (load_embedder or get_embedder)(cfg.model, backend)
        report = (lambda d, t: progress("embed", d, t, f"embedded {d} of {t} texts")) if progress else None
        # the small-sample torch stand-in for ONNX runs one text per call, as ONNX does: padded batches
        # would let a vector move with its batch neighbours, so a result would depend on the store
        batch = 1 if embedder is None and backend != cfg.backend else cfg.batch_size
        result = embed_texts(texts, model, store=store, batch_size=batch, progress=report)
        result.vectors.setflags(write=False)
        return stage_key("embedded", array_key(result.vectors)), result

    file = getattr(embedder, "cache_key", None)  # a file of vectors (core.embedding.embed_file) is not the model
    key = stage_key("embed", sample_key, asdict(cfg), *([file] if file else []))
    return cache.fetch("embed", key, compute)


# -- encoder ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trained:
    encoder: Encoder
    latent: np.ndarray  # (n, latent) float32, read-only


class TrainedCodec:
    @staticmethod
    def encode(value: Trained) -> dict[str, np.ndarray]:
        return {"encoder": np.frombuffer(value.encoder.to_bytes(), np.uint8), "latent": value.latent}

    @staticmethod
    def decode(arrays: dict[str, np.ndarray]) -> Trained:
        return Trained(Encoder.from_bytes(arrays["encoder"].tobytes()), _frozen(arrays["latent"]))


def train(X: np.ndarray, cfg: EncoderConfig, seed: int, *, progress: StageProgress | None = None) -> Trained:
    """Fit the encoder on (n, dim) embeddings and map them to (n, latent) vectors (no cache).

    Above ``core.training.neighbours.SAMPLE_ABOVE`` rows it is fitted on the seeded sample
    :func:`core.training.neighbours.scale_sample` (its neighbour graph is the sample's) and still maps every row."""
    report = (lambda e, n, loss: progress("train", e, n, f"epoch {e}/{n}, loss {loss:.4f}")) if progress else None
    rows = scale_sample(len(X))
    if rows is not None:
        log.info("training the encoder on a sample of %d of the %d rows", len(rows), len(X))
    encoder = Encoder(cfg, seed=seed).fit(X if rows is None else X[rows], progress=report)
    return Trained(encoder, _frozen(encoder.transform(X)))


def train_stage(embed_key: str, X: np.ndarray, cfg: EncoderConfig, seed: int, cache: StageCache, *,
                progress: StageProgress | None = None, before: Callable[[], None] | None = None) -> tuple[str, Trained]:
    """:func:`train`, cached on the embeddings' content, the encoder settings and the seed.
    ``before()`` is called only when the encoder is actually trained (not when it is cached)."""
    key = stage_key("train", TRAIN_RECIPE, embed_key, asdict(cfg), seed, *step_cap_key(cfg, len(X)),
                    *train_sample_key(len(X)))

    def compute() -> Trained:
        if before:
            before()
        return train(X, cfg, seed, progress=progress)

    return key, cache.fetch("train", key, compute, TrainedCodec)


# -- projection ------------------------------------------------------------------------------------------
class MapCodec:
    @staticmethod
    def encode(xy: np.ndarray) -> dict[str, np.ndarray]:
        return {"xy": xy}

    @staticmethod
    def decode(arrays: dict[str, np.ndarray]) -> np.ndarray:
        return _frozen(arrays["xy"])


def project_stage(train_key: str, Z: np.ndarray, cfg: ProjectConfig, seed: int, cache: StageCache, *,
                  progress: StageProgress | None = None) -> tuple[str, np.ndarray | None]:
    """(n, 2) map of the (n, latent) vectors; None for ``none`` or fewer than 5 points."""
    key = stage_key("project", train_key, asdict(cfg), seed, *placement_key(len(Z)))
    if cfg.method == "none" or len(Z) < 5:
        return key, None

    def compute() -> np.ndarray:
        if progress:
            progress("project", 0, 1, f"drawing the map with {cfg.method}")
        report = (lambda d, t: progress("project", d, t, f"{cfg.method}, iteration {d} of {t}")) if progress else None
        return _frozen(project(Z, cfg.method, seed=seed, perplexity=cfg.perplexity, progress=report))

    xy = cache.fetch("project", key, compute, MapCodec)
    return key, xy if xy is not None and xy.shape == (len(Z), 2) else None


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Embedded:
    """A run so far, once its embeddings exist and before its encoder trains (for a provisional look);
    ``keys`` name its ``read``, ``sample`` and ``embed`` stages."""

    config: RunConfig
    corpus: Corpus
    embeddings: EmbedResult
    keys: dict[str, str]


#: on_embedded(run so far): called when the encoder is about to be trained (never when it is cached).
EmbeddedHook = Callable[[Embedded], None]


@dataclass
class RunResult:
    """Everything one run produced. Arrays are row-aligned with ``corpus.frame``; ``keys`` name each
    stage's result (``read``, ``sample``, ``embed``, ``train``, ``cluster``, ``project``)."""

    config: RunConfig
    corpus: Corpus
    embeddings: EmbedResult
    encoder: Encoder
    latent: np.ndarray
    clusters: ClusterStage
    baseline: ClusterStage | None
    xy: np.ndarray | None
    terms: Terms
    keys: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    base_embeddings: EmbedResult | None = None  # the base model's vectors (= embeddings unless refined)
    refine: RefineInfo | None = None

    @property
    def base_vectors(self) -> np.ndarray:
        """(n, dim) the base model's vectors: what the raw-K-Means baseline clusters."""
        return (self.base_embeddings or self.embeddings).vectors

    @property
    def summaries(self) -> list[ClusterSummary]:
        return self.clusters.summaries

    def metrics(self) -> dict[str, Any]:
        """The CLI's ``metrics.json`` document (the app's ``View.metrics`` adds its lazily computed baseline)."""
        return metrics_document(self.config, self.corpus, self.embeddings, self.clusters.scores,
                                self.baseline.scores if self.baseline else None, self.timings, self.refine)


#: What ``metrics.json`` says of clusters as computed: not edited (the app's ``View.metrics`` says how they were).
NOT_EDITED = {"edited": False, "renamed": [], "history": [], "names": {}, "notes": {}}


def metrics_document(cfg: RunConfig, corpus: Corpus, embedded: EmbedResult, scores: Scores,
                     baseline: Scores | None, timings: dict[str, float] | None = None,
                     refine: RefineInfo | None = None) -> dict[str, Any]:
    """The metrics of one run as JSON-ready values (``refine`` only for a refined run)."""
    return {"n_docs": len(corpus), "k": cfg.cluster.k, "cluster_ids": list(range(cfg.cluster.k)),
            "edits": dict(NOT_EDITED), "latent_dim": cfg.encoder.latent,
            "model": cfg.embed.model, "seed": cfg.seed, **scores.as_dict(),
            "baseline": baseline.as_dict() if baseline else None,
            "timings_s": {k: round(v, 3) for k, v in (timings or {}).items()},
            "embed_cache": {"hits": embedded.hits, "misses": embedded.misses},
            "embed_backend": embedded.backend, "objective": cfg.encoder.objective,
            "n_dropped": corpus.n_dropped, "source": corpus.source,
            "text_col": corpus.text_col, "label_col": corpus.label_col, "config": cfg.to_dict()} | (
        {"refine": refine.as_dict()} if refine else {})


def run(cfg: RunConfig, *, source: str | pd.DataFrame | None = None, key: str | None = None,
        cache: StageCache | None = None, embedder: Embedder | None = None,
        load_embedder: EmbedderLoader | None = None, store: EmbeddingStore | None = None,
        progress: StageProgress | None = None, baseline: bool = True,
        cancelled: Callable[[], bool] | None = None, on_embedded: EmbeddedHook | None = None) -> RunResult:
    """The whole method: read, sample, embed, train, cluster (+ baseline), describe and name, project.

    ``source`` defaults to ``cfg.data.source``; a table (an upload) needs a ``key`` naming its content.
    With a cache, nothing already computed for the same inputs is computed again; ``baseline=False``
    leaves the raw-embedding yardstick to the caller (the app computes it in the background).
    With ``cfg.refine.enabled`` the vectors after the embed stage are the refined model's; the
    baseline stays K-Means on the base model's (``keys["base_embed"]``, ``base_embeddings``).
    ``cancelled()`` turning true stops a refinement (``core.training.refine.Cancelled``).
    ``on_embedded`` gets the run so far when the encoder is about to train (the app draws a
    provisional map from it meanwhile).
    """
    cache = cache or NoCache()
    source = cfg.data.source if source is None else source
    if key is None:
        if not isinstance(source, str):
            raise ValueError("a table source needs a key naming its content")
        key = source_key(source)
    timings: dict[str, float] = {}
    start = clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    read_key, full = read_stage(key, source, cfg.data, cache)
    sample_key, corpus = sample_stage(read_key, full, cfg.data, cfg.seed, cache)
    check_sample(corpus, cfg.cluster.k)
    file = getattr(embedder, "file", None) if not getattr(embedder, "embeds_any_text", True) else None
    if file is not None:  # only a file's vectors (core.embedding.embed_file): as many distinct ones as clusters
        distinct = cache.fetch("distinct", stage_key("distinct", embedder.cache_key, sample_key),
                               lambda: distinct_rows(file.lookup(corpus.texts)))
        check_distinct(file, len(corpus), distinct, cfg.cluster.k)
    lap("load")
    embed_key, embedded = embed_stage(sample_key, corpus.texts, cfg.embed, cache, embedder=embedder,
                                      load_embedder=load_embedder, store=store, progress=progress)
    base_key, base_embedded, refined_info = embed_key, embedded, None
    lap("embed")
    if cfg.refine.enabled:
        embed_key, embedded, refined_info = refine_run(cfg, corpus, sample_key, embed_key, embedded, cache,
                                                       embedder=embedder, store=store,
                                                       progress=progress, cancelled=cancelled)
        lap("refine")
    X = embedded.vectors
    so_far = {"read": read_key, "sample": sample_key, "embed": embed_key, "base_embed": base_key}
    before = (lambda: on_embedded(Embedded(cfg, corpus, embedded, so_far))) if on_embedded else None
    train_key, trained = train_stage(embed_key, X, cfg.encoder, cfg.seed, cache, progress=progress, before=before)
    lap("train")
    stop_map = threading.Event()
    drawn = None
    if len(X) >= OVERLAP_FROM:  # the map needs only the latent vectors: drawn beside the clustering

        def abandoned(*_: object) -> None:  # the map's progress: stops its t-SNE once the run has stopped
            if stop_map.is_set():
                raise RuntimeError("the run stopped before its map was drawn")

        drawn = Beside(lambda: project_stage(train_key, trained.latent, cfg.project, cfg.seed, cache,
                                             progress=abandoned), "map")
    try:
        terms = terms_stage(sample_key, corpus.texts, cache)
        truth = corpus.labels
        stage_keys = {"read": read_key, "sample": sample_key, "embed": embed_key, "train": train_key,
                      "base_embed": base_key}
        cluster_key, clusters = cluster_stage(stage_keys, trained.latent, X, corpus.texts, truth, terms,
                                              cfg.cluster, cfg.seed, cache, base=base_embedded.vectors,
                                              progress=progress)
        # names are words embedded by the base model, so they are ranked against the base model's vectors
        _, names = names_stage(stage_keys | {"cluster": cluster_key, "embed": base_key}, clusters.clustering.labels,
                               cfg.cluster.k, base_embedded.vectors, corpus.texts, cfg.embed, cache,
                               embedder=embedder, load_embedder=load_embedder or get_embedder, store=store)
        clusters = replace(clusters, summaries=[replace(s, keywords=words or s.keywords)  # c-TF-IDF if none
                                                for s, words in zip(clusters.summaries, names)])
        base = (baseline_stage(base_key, sample_key, base_embedded.vectors, truth, cfg.cluster, cfg.seed, cache)[1]
                if baseline else None)
        lap("cluster")
        if drawn is None:
            project_key, xy = project_stage(train_key, trained.latent, cfg.project, cfg.seed, cache,
                                            progress=progress)
        else:
            while not drawn.wait(1.0):  # a progress call a second: where the app's Cancel takes effect
                if progress:
                    progress("project", 0, 1, f"drawing the map with {cfg.project.method}")
            project_key, xy = drawn.result()
    except BaseException:
        stop_map.set()  # a failed or cancelled run leaves no map drawing behind it
        raise
    lap("project")  # beside the clustering: the wait for the map after it
    timings["total"] = time.perf_counter() - start
    keys = stage_keys | {"cluster": cluster_key, "project": project_key}
    return RunResult(cfg, corpus, embedded, trained.encoder, trained.latent, clusters, base, xy, terms, keys,
                     timings, base_embedded, refined_info)
