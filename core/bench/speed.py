"""``python -m core bench speed``: each speed figure beside its baseline, measured in the same run.

1. embedding throughput of the automatic backend vs sentence-transformers float32, with fidelity
   (min cosine over every text, K-Means ACC on each); for ONNX, also one text per call (what the
   backend does, so vectors do not depend on batch neighbours) vs padded batches of 8 (the previous
   default);
2. no repeated work: a cold run, an identical second run, and a larger sample (0.10 -> 0.20);
3. projection of 12,000 latent points: ours vs scikit-learn's t-SNE (time, trustworthiness);
4. reaction to a change of k for 12,000 texts (the app's path: K-Means, scores, keywords, baseline,
   id alignment, the figure);
5. scale: the downstream stages on 120,000 points, embedding time extrapolated;
6. ann: the approximate neighbour graph's recall and ACC against the exact graph (``scaling``);
7. sharing: two trainings side by side against each alone (``sharing``);
8. run (only when asked): a whole cold ``run`` of --data grown to --scale texts, file to outputs, its wall
   time and peak memory (``scale_run``).
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time

import numpy as np

from core.bench.common import load_embedded, machine, n_clusters
from core.clustering.cluster import align_to, kmeans, label_scores
from core.config import ClusterConfig, DataConfig, EmbedConfig, EncoderConfig, RunConfig
from core.naming.describe import describe, term_counts

log = logging.getLogger(__name__)


def grown_rows(m: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) the real row each of :func:`_grow`'s ``n`` rows copies: the ``m`` real rows, then random ones."""
    return np.concatenate([np.arange(m), rng.integers(0, m, max(0, n - m))])[:n]


def _grow(array: np.ndarray, n: int, seed: int, *, normalise: bool) -> np.ndarray:
    """A real-size array of ``n`` rows: the real rows, then jittered copies of them.

    The jitter is 2% of the rows' typical norm; ``normalise`` puts rows back on the unit sphere
    (for sentence embeddings)."""
    rng = np.random.default_rng(seed)
    rows = grown_rows(len(array), n, rng)
    scale = 0.02 * float(np.median(np.linalg.norm(array, axis=1)))
    out = array[rows] + (np.arange(n) >= len(array))[:, None] * rng.normal(0, scale / np.sqrt(array.shape[1]),
                                                                         (n, array.shape[1]))
    if normalise:
        out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def _row(name: str, ours: float, base: float, unit: str, target: str) -> None:
    print(f"| {name} | {ours:.3g} {unit} | {base:.3g} {unit} | {ours / base if base else float('nan'):.3f} | {target} |")


def embedding(texts: list[str], truth: np.ndarray, k: int, model: str = EmbedConfig.model,
              backend: str = "auto") -> None:
    """The candidate ``backend`` against sentence-transformers float32 on the CPU; on a GPU, also
    against float32 on the same GPU (the fair same-device reference)."""
    from core.embedding.backends import load_model, resolve_backend
    from core.bench.embedding import BASELINE, bench_embedding
    from core.config import cache_dir

    candidate = resolve_backend(backend)
    on_gpu = candidate.startswith("cuda")
    timed = texts if on_gpu else texts[:1000]  # a GPU embeds 1,000 texts in a blink: time them all
    same_gpu = on_gpu and candidate != "cuda-fp32"
    names = dict.fromkeys([BASELINE, candidate] + (["cuda-fp32"] if same_gpu else []))
    loaded = {name: load_model(model, backend=name, cache_dir=cache_dir()) for name in names}  # once each
    rows = bench_embedding(timed, model=model, backends=[candidate], repeats=2, loaded=loaded)
    fast = next(r for r in rows if r["requested"] == candidate)
    base = next(r for r in rows if r["requested"] == BASELINE)
    same = []
    if same_gpu:
        same = bench_embedding(timed, model=model, backends=[candidate], repeats=3, baseline="cuda-fp32",
                               loaded=loaded)
    previous = []
    if candidate.startswith("onnx"):  # what one text per call (batch-independent vectors) costs
        from core.embedding.onnx_backend import load_onnx_padded

        pair = {"padded": load_onnx_padded(model, backend=candidate, cache_dir=cache_dir()), candidate: loaded[candidate]}
        previous = bench_embedding(timed, model=model, backends=[candidate], repeats=2, baseline="padded", loaded=pair)
    full = {name: loaded[name].encode(texts, batch_size=EmbedConfig.batch_size) for name in (BASELINE, candidate)}
    cosine = np.sum(full[BASELINE] * full[candidate], axis=1)
    acc = {name: label_scores(truth, kmeans(v, k, seed=0).labels)["acc"] for name, v in full.items()}
    print(f"\n#### 1. Embedding ({len(timed)} texts timed, best of 2, alternating; fidelity over all {len(texts)})")
    print("| figure | ours | baseline | ratio | target |\n|---|---|---|---|---|")
    print(f"| throughput, {fast['backend']} vs {BASELINE} | {fast['texts_per_s']:.1f} texts/s | "
          f"{base['texts_per_s']:.1f} texts/s | {fast['ratio']:.2f}x | >= 2.5x |")
    if same:
        ours, ref = (next(r for r in same if r["requested"] == name) for name in (candidate, "cuda-fp32"))
        print(f"| throughput, {ours['backend']} vs cuda-fp32 (the same GPU, best of 3) | {ours['texts_per_s']:.1f} "
              f"texts/s | {ref['texts_per_s']:.1f} texts/s | {ours['ratio']:.2f}x | |")
    if previous:
        ours, ref = (next(r for r in previous if r["requested"] == name) for name in (candidate, "padded"))
        print(f"| throughput, {ours['backend']} one text per call (vectors independent of batch neighbours) vs "
              f"{ref['backend']} (the previous default), best of 2 | {ours['texts_per_s']:.1f} texts/s | "
              f"{ref['texts_per_s']:.1f} texts/s | {ours['ratio']:.2f}x | |")
        print(f"| min / mean cosine, one text per call vs padded batches | {ours['min_cosine']:.4f} / "
              f"{ours['mean_cosine']:.4f} | 1 | | |")
    print(f"| min / mean cosine to float32 over {len(texts)} texts | {cosine.min():.4f} / {cosine.mean():.4f} | 1 | | >= 0.99 |")
    print(f"| K-Means ACC (k={k}, seed 0) | {acc[candidate]:.4f} | {acc[BASELINE]:.4f} | "
          f"{acc[candidate] - acc[BASELINE]:+.4f} | within 0.005 |")


def repeated_work(data: str) -> None:
    from pathlib import Path

    from core.storage.cache import DiskCache
    from core.pipeline import run
    from core.storage.results import ResultCache
    from core.storage.store import EmbeddingStore

    cfg = RunConfig(data=DataConfig(source=data, fraction=0.10))
    with tempfile.TemporaryDirectory() as tmp:  # a fresh store and result cache, as on a first use
        caches = {"store": EmbeddingStore(Path(tmp) / "embeddings.sqlite"),
                  "cache": DiskCache(ResultCache(Path(tmp) / "results"))}
        first = run(cfg, **caches)
        second = run(cfg, **caches)
        grown = run(cfg.with_(data={"fraction": 0.20}), **caches)
    t1, t2 = first.timings["total"], second.timings["total"]
    print(f"\n#### 2. No repeated work ({data}, fresh cache folder)")
    print("| figure | ours | baseline | ratio | target |\n|---|---|---|---|---|")
    _row(f"identical second run, total ({second.embeddings.hits} of {len(second.corpus)} from the store)", t2, t1,
         "s", "<= 0.15")
    print(f"| fraction 0.10 -> 0.20: texts embedded | {grown.embeddings.misses} | "
          f"{len(grown.corpus) - len(first.corpus)} new texts | | only the new ones |")
    print(f"| first run stages (s) | {', '.join(f'{k} {v:.1f}' for k, v in first.timings.items())} | | | |")


def projection(Z: np.ndarray, seed: int) -> None:
    from sklearn.manifold import TSNE, trustworthiness

    from core.projection.project import tsne

    started = time.perf_counter()
    ours = tsne(Z, seed=seed)
    t_ours = time.perf_counter() - started
    started = time.perf_counter()
    theirs = TSNE(n_components=2, random_state=seed).fit_transform(Z)
    t_theirs = time.perf_counter() - started
    tw_ours, tw_theirs = (trustworthiness(Z, xy, n_neighbors=10) for xy in (ours, theirs))
    print(f"\n#### 3. Projection of {len(Z):,} latent points ({Z.shape[1]}-d)")
    print("| figure | ours | baseline | ratio | target |\n|---|---|---|---|---|")
    _row("t-SNE time (openTSNE FFT vs scikit-learn TSNE defaults)", t_ours, t_theirs, "s", "<= 0.5")
    print(f"| trustworthiness (10 neighbours) | {tw_ours:.4f} | {tw_theirs:.4f} | {tw_ours - tw_theirs:+.4f} | >= -0.01 |")


def reaction(Z: np.ndarray, X: np.ndarray, texts: list[str], truth: np.ndarray | None, seed: int) -> None:
    """Time the work a change of k triggers in the app (the same core calls as ``pages/_cached``).

    Cold: nothing for this k is cached; the cards and colours are drawn after K-Means on the latent
    vectors, the scores, keywords, id alignment and the figure (serialised as Streamlit does), and the
    cards' changes against raw-embedding K-Means follow once that baseline is computed. Warm: the app's
    background thread has already clustered every k of the slider, so only alignment and figure remain.
    """
    import plotly.io as pio

    from core.pipeline import cluster_and_score
    from core.plots.plots import map_figure

    terms = term_counts(texts)  # counted once per sample, before any k change
    xy = Z[:, :2]
    previous = kmeans(Z, 4, seed=seed).labels
    ids = np.arange(len(Z))
    cold, deltas, warm = [], [], []
    for k in (5, 6, 7):
        cfg = ClusterConfig(k=k)
        started = time.perf_counter()
        stage = cluster_and_score(Z, X, truth, cfg, seed)
        summaries = describe(terms, Z, stage.clustering.labels, stage.clustering.centers)
        labels = align_to(previous, stage.clustering.labels)
        names = {s.cluster: ", ".join(s.keywords[:3]) for s in summaries}
        pio.to_json(map_figure(xy, labels, names, texts, ids), validate=False)
        cold.append(time.perf_counter() - started)
        cluster_and_score(X, X, truth, cfg, seed)
        deltas.append(time.perf_counter() - started)
        started = time.perf_counter()  # warm: the stage comes from the cache
        labels = align_to(previous, stage.clustering.labels)
        pio.to_json(map_figure(xy, labels, names, texts, ids), validate=False)
        warm.append(time.perf_counter() - started)
        previous = labels
    print(f"\n#### 4. Reaction to a change of k ({len(Z):,} texts; server-side, k = 5, 6, 7)")
    print("| figure | seconds | target |\n|---|---|---|")
    print(f"| warm (the background thread has clustered every k): alignment + figure | "
          f"{', '.join(f'{t:.2f}' for t in warm)} | <= 0.5 |")
    print(f"| cold: K-Means, scores, keywords, alignment, figure (new cards and colours) | "
          f"{', '.join(f'{t:.2f}' for t in cold)} | <= 0.5 |")
    print(f"| cold, until the cards' changes against raw-embedding K-Means are in | "
          f"{', '.join(f'{t:.2f}' for t in deltas)} | |")


PARTS = ("embedding", "repeat", "projection", "reaction", "scale", "ann", "sharing", "run")


def speed(args: argparse.Namespace) -> int:
    from core.errors import UserError
    from core.pipeline import train

    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise UserError(f"unknown --parts {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    from core.embedding.backends import resolve_backend

    resolve_backend(args.backend)  # an unknown name fails before any data is read
    if parts == ["run"]:  # a fresh process embeds its own texts: nothing to embed here
        from core.bench.scale_run import cold_run

        print(f"speed on {args.data}; machine: {machine()}")
        cold_run(args.data, args.scale, k=args.k or 4, model=args.model, backend=args.backend)
        return 0
    texts, truth, X, embedder = load_embedded(args)
    k = n_clusters(args, truth)
    print(f"speed on {args.data}: {len(texts)} texts; machine: {machine()}")
    if "embedding" in parts:
        embedding(texts, truth, k, args.model, args.backend)
    if "repeat" in parts:
        repeated_work(args.data)
    if "projection" in parts or "reaction" in parts:
        Z = train(X, EncoderConfig(), 0).latent
        Z12 = _grow(Z, 12_000, 0, normalise=False)
        if "projection" in parts:
            projection(Z12, 0)
        if "reaction" in parts:
            reaction(Z, X, texts, truth, 0)
            reaction(Z12, _grow(X, 12_000, 0, normalise=True), [texts[i % len(texts)] for i in range(12_000)],
                     None, 0)
    if "scale" in parts and args.scale:
        started = time.perf_counter()
        embedder.encode(texts[:500])
        rate = 500 / (time.perf_counter() - started)
        from core.bench.scaling import scale

        copied = np.asarray(truth, dtype=object)[grown_rows(len(X), args.scale, np.random.default_rng(0))]
        scale(_grow(X, args.scale, 0, normalise=True), [texts[i % len(texts)] for i in range(args.scale)], 0, rate,
              copied, k)
    if "ann" in parts:
        from core.bench.scaling import ann

        ann(X, texts, truth, k, 0)
    if "sharing" in parts:
        from core.bench.sharing import sharing

        sharing(X, 0)
    if "run" in parts:
        from core.bench.scale_run import cold_run

        cold_run(args.data, args.scale, k=args.k or k, model=args.model, backend=args.backend)
    return 0
