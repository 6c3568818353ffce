"""The pieces behind a fast first map (issue 16): the small-corpus backend, the training step budget,
smooth progress, the provisional map's data, and the points a map draws."""
import numpy as np
import pytest
import torch

from core.embedding import backends
from core.config import DataConfig, RunConfig
from core.embedding.embed import embed_texts
from core.plots.map_points import drawn_rows, hover_titles
from core.training.objectives import NeighbourEmbedding, anchor_batches
from core.projection.project import TSNE_ITERS, tsne
from fakes import FakeEmbedder


@pytest.mark.parametrize("n, want", [(320, "torch-fp32"), (2_000, "torch-fp32"), (2_001, "auto")])
def test_auto_embeds_a_small_sample_without_an_onnx_export(monkeypatch, n, want):
    monkeypatch.setattr(backends, "resolve_backend", lambda name: "onnx-int8")
    assert backends.backend_for("auto", n) == want
    assert backends.backend_for("onnx-int8", n) == "onnx-int8"  # an explicit choice is kept


def test_auto_keeps_a_faster_native_backend_for_a_small_sample(monkeypatch):
    monkeypatch.setattr(backends, "resolve_backend", lambda name: "torch-bf16")
    assert backends.backend_for("auto", 320) == "auto"


def test_a_small_corpus_trains_in_few_passes_a_large_one_as_before():
    g = torch.Generator().manual_seed(0)
    steps = lambda n: sum(1 for _ in anchor_batches(n, 256, 30, g, torch.device("cpu"),  # noqa: E731
                                                    NeighbourEmbedding().max_passes))
    assert steps(320) == 6  # 2 batches a pass, 3 passes (not 30 batches)
    assert steps(3_080) == 39 and steps(7_600) == 30  # the benchmark corpora keep their steps


def test_embedding_progress_moves_in_small_steps():
    texts = [f"text number {i} about topic {i % 7}" for i in range(320)]
    seen = []
    embed_texts(texts, FakeEmbedder(), progress=lambda done, total: seen.append(done))
    assert seen[0] == 0 and seen[-1] == 320 and len(seen) >= 6
    assert max(np.diff(seen)) <= 64


def test_tsne_reports_its_iterations_and_a_raise_stops_it():
    X = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    seen = []
    xy = tsne(X, seed=0, progress=lambda done, total: seen.append((done, total)))
    assert xy.shape == (60, 2)
    assert seen[-1] == (sum(TSNE_ITERS), sum(TSNE_ITERS)) and seen == sorted(seen) and len(seen) >= 20

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop

    with pytest.raises(Stop):
        tsne(X, seed=0, progress=stop)


def test_first_look_is_the_baseline_on_a_pca_layout():
    from core.storage.cache import MemoryCache
    from core.pipeline import Embedded, baseline_stage, embed_stage, sample_stage, read_stage
    from core.session.provisional import first_look

    cfg = RunConfig(data=DataConfig(source="demo", fraction=1.0))
    cache = MemoryCache({})
    read_key, full = read_stage("demo", "demo", cfg.data, cache)
    sample_key, corpus = sample_stage(read_key, full, cfg.data, cfg.seed, cache)
    embed_key, embedded = embed_stage(sample_key, corpus.texts, cfg.embed, cache, embedder=FakeEmbedder())
    look = first_look(Embedded(cfg, corpus, embedded, {"read": read_key, "sample": sample_key, "embed": embed_key}),
                      cache)
    assert look.xy.shape == (320, 2) and look.xy.dtype == np.float32
    _, base = baseline_stage(embed_key, sample_key, embedded.vectors, corpus.labels, cfg.cluster, cfg.seed, cache)
    assert cache.lru("baseline").misses == 1  # the same stage, computed once
    from core.clustering.cluster import canonical
    # the same partition, numbered as every shown clustering is (largest first)
    assert np.array_equal(look.labels, canonical(base.clustering).labels) and sorted(look.names) == [0, 1, 2, 3]
    # the layout separates the topics: each label's centre lies apart from the others'
    centres = np.stack([look.xy[corpus.labels == lab].mean(0) for lab in np.unique(corpus.labels)])
    spread = np.linalg.norm(look.xy - look.xy.mean(0), axis=1).mean()
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1:]]
    assert min(gaps) > 0.2 * spread, (gaps, spread)


def test_drawn_rows_are_all_points_up_to_the_limit_else_a_stratified_sample():
    groups = np.repeat([0, 1, 2], [700, 200, 100])
    assert np.array_equal(drawn_rows(groups, 0, limit=1_000), np.arange(1_000))
    rows = drawn_rows(groups, 0, limit=100)
    assert len(rows) == 100 and np.all(np.diff(rows) > 0)
    assert np.bincount(groups[rows]).tolist() == [70, 20, 10]
    assert np.array_equal(rows, drawn_rows(groups, 0, limit=100))  # seeded


def test_hover_titles_are_short():
    long = "x" * 200
    assert hover_titles(["short", long]) == ["short", "x" * 79 + "…"]
