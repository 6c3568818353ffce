"""Refine: pseudo-labels, the contrastive loss, fine-tuning the real packaged model's top layer, the
cached weights (safetensors) and the refined run's metrics."""
import json

import numpy as np
import pytest
import torch

import core.training.refine as refine_mod
from core.embedding.backends import resolve_model_path
from core.storage.cache import DiskCache, NoCache
from core.config import RefineConfig, RunConfig
from core.errors import UserError
from core.pipeline import run
from core.training.refine import Cancelled, fine_tune, pseudo_labels, supervised_contrast
from core.storage.results import ResultCache
from core.storage.store import EmbeddingStore
from corpora import topic_frame
from fakes import FakeEmbedder

MODEL = resolve_model_path("all-MiniLM-L6-v2")


def test_pseudo_labels_keep_each_clusters_share_without_assuming_balance():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8)
    labels = np.repeat([0, 1, 2], [90, 10, 20])
    X = centres[labels] + 0.3 * rng.normal(size=(120, 8))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    chosen = pseudo_labels(X, labels, None, 0.5)
    assert np.bincount(labels[chosen]).tolist() == [45, 5, 10]
    # the chosen are the most typical: their margin beats the rest of their cluster on average
    own = (X * centres[labels]).sum(1)
    assert own[chosen & (labels == 0)].mean() > own[~chosen & (labels == 0)].mean()
    other = labels.copy()
    other[:5] = 1  # raw K-Means puts 5 texts of cluster 0 with cluster 1's: none of them is learnt from
    agreed = pseudo_labels(X, labels, other, 0.5)
    assert not agreed[:5].any() and (agreed[5:] == chosen[5:]).all()


def test_supervised_contrast_is_lower_when_clusters_are_tight():
    labels = torch.tensor([0, 0, 1, 1])
    tight = torch.nn.functional.normalize(torch.tensor([[1.0, 0.05], [1.0, -0.05], [0.05, 1.0], [-0.05, 1.0]]), dim=1)
    mixed = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0]]), dim=1)
    assert supervised_contrast(tight, labels) < supervised_contrast(mixed, labels)
    assert torch.isfinite(supervised_contrast(tight, torch.tensor([0, 1, 2, 3])))  # no positive: no NaN


def _corpus():
    frame = topic_frame(8, words=6)
    texts = frame["text"].tolist()
    X = FakeEmbedder().encode(texts)
    labels = frame["label"].astype("category").cat.codes.to_numpy()
    return texts, X, labels


def test_fine_tune_moves_the_model_and_returns_normalised_vectors():
    texts, X, labels = _corpus()
    reports = []
    out = fine_tune(texts, X, labels, labels, model_path=MODEL, layers=1, epochs=2, keep=1.0, lr=1e-4, batch=8,
                    seed=0, progress=lambda s, t, m: reports.append((s, t, m)))
    assert out.vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(out.vectors, axis=1), 1, atol=1e-5)
    assert out.steps == 2 * 3 and len(out.losses) == out.steps  # 24 texts, batches of 8
    assert any("loss" in m and "s left" in m for _, _, m in reports)
    assert out.weights and all(name.startswith("encoder.layer.5.") for name in out.weights)
    from sentence_transformers import SentenceTransformer

    base = SentenceTransformer(MODEL, device="cpu").encode(texts, normalize_embeddings=True)
    cosine = (base * out.vectors).sum(1)
    assert cosine.min() > 0.5 and cosine.mean() < 0.9999  # the same model, changed by training


def test_fine_tune_learns_only_from_the_texts_it_is_given():
    """``chosen`` (a benchmark's other teacher) replaces the pseudo-labels: 8 texts in batches of 8 make one
    step an epoch, where all 24 would make three."""
    texts, X, labels = _corpus()
    chosen = np.zeros(len(texts), bool)
    chosen[:8] = True
    out = fine_tune(texts, X, labels, labels, model_path=MODEL, layers=1, epochs=2, keep=1.0, lr=1e-4, batch=8,
                    seed=0, chosen=chosen)
    assert out.steps == 2


def test_fine_tune_stops_when_cancelled():
    texts, X, labels = _corpus()
    calls = []
    with pytest.raises(Cancelled):
        fine_tune(texts, X, labels, None, model_path=MODEL, layers=1, epochs=5, keep=1.0, lr=1e-4, batch=8, seed=0,
                  cancelled=lambda: calls.append(1) or len(calls) > 3)


def test_refine_settings_are_checked():
    with pytest.raises(UserError, match="refined layers"):
        RefineConfig(layers=0)
    with pytest.raises(UserError, match="learning rate"):
        RefineConfig(lr=1.0)
    with pytest.raises(UserError, match="share kept"):
        RefineConfig(keep=0)


def test_a_refined_run_reports_refine_keeps_the_base_baseline_and_reuses_its_weights(tmp_path, monkeypatch):
    path = tmp_path / "texts.csv"
    topic_frame(8, words=6).to_csv(path, index=False)
    cfg = RunConfig().with_(data={"source": str(path), "fraction": 1.0}, encoder={"epochs": 2},
                            cluster={"k": 3, "n_init": 2}, project={"method": "none"},
                            refine={"enabled": True, "layers": 1, "epochs": 1, "batch": 8, "keep": 1.0})
    store = EmbeddingStore(tmp_path / "store.sqlite")
    fake = FakeEmbedder()
    refined = run(cfg, cache=DiskCache(ResultCache(tmp_path / "results")), embedder=fake, store=store)
    plain = run(cfg.with_(refine={"enabled": False}), embedder=fake)
    m = json.loads(json.dumps(refined.metrics()))
    assert set(m["refine"]) == {"base_model", "steps", "seconds", "device"}
    assert m["refine"]["base_model"] == "all-MiniLM-L6-v2" and m["refine"]["steps"] == 3
    assert "refine" not in plain.metrics()
    assert m["baseline"] == plain.metrics()["baseline"]  # the yardstick stays raw K-Means on the base vectors
    assert m["baseline"]["acc"] is not None  # scored against the labels, though Refine computed it first
    assert refined.embeddings.vectors.shape == (24, 384)
    assert not np.allclose(refined.embeddings.vectors, plain.embeddings.vectors)
    weights = list((tmp_path / "cache" / "refined").glob("*.safetensors"))
    assert len(weights) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("the saved refinement should have been reused")

    monkeypatch.setattr(refine_mod, "fine_tune", no_training)
    again = run(cfg, cache=NoCache(), embedder=fake, store=store)  # no stage cache: weights + store
    np.testing.assert_array_equal(again.embeddings.vectors, refined.embeddings.vectors)
    assert again.metrics()["refine"]["steps"] == 3
    fresh = run(cfg, cache=NoCache(), embedder=fake, store=None)  # no store either: the saved weights embed
    np.testing.assert_allclose(fresh.embeddings.vectors, refined.embeddings.vectors, atol=2e-4)


def test_carried_keeps_each_cluster_and_assigns_by_cosine_to_its_centre():
    from core.pipeline import carried

    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 3.0
    truth = np.repeat(np.arange(3), 20)
    V = centres[truth] + rng.normal(scale=0.3, size=(60, 8))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    labels = (truth + 1) % 3  # the clusters' ids are kept, not renumbered
    labels[[0, 25, 50]] = [0, 0, 0]  # three texts the base model put in the wrong cluster
    moved = carried(V, labels, 3)
    np.testing.assert_array_equal(moved, (truth + 1) % 3)  # each goes to its own cluster's centre
    # the nearest centre by cosine, not by dot product: a tight cluster's long mean must not pull in others
    # (the last text: dot product 0.60 with the tight cluster's centre, 0.49 with its own's; cosine 0.60 and 0.75)
    tight = np.array([[1.0, 0.0]] * 3 + [[0.8, 0.6], [-0.8, 0.6], [-0.8, 0.6], [0.6, 0.8]])
    assert carried(tight, np.array([0, 0, 0, 1, 1, 1, 1]), 2).tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert carried(V, np.zeros(60, dtype=int), 3).tolist() == [0] * 60  # a cluster with no text keeps no centre


def test_a_refined_runs_clusters_start_from_the_base_models_and_need_its_vectors():
    from core.storage.cache import MemoryCache
    from core.config import ClusterConfig
    from core.naming.describe import term_counts
    from core.clustering.cluster import canonical
    from core.pipeline import carried, cluster_stage, coview_views, default_labels, reassigned

    texts = topic_frame(10, words=6)["text"].tolist()
    rng = np.random.default_rng(1)
    base = FakeEmbedder().encode(texts)
    V = base + rng.normal(scale=0.05, size=base.shape).astype(np.float32)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    cfg, cache, terms = ClusterConfig(k=3, n_init=2), MemoryCache({}), term_counts(texts)
    keys = {"sample": "s", "embed": "refined", "train": "t", "base_embed": "base"}
    with pytest.raises(ValueError, match="base"):
        cluster_stage(keys, V, V, texts, None, terms, cfg, 0, cache)
    key, stage = cluster_stage(keys, V, V, texts, None, terms, cfg, 0, cache, base=base)
    fast = default_labels({"embed": "base", "sample": "s"}, base, texts, None, cfg, 0, cache)
    expected = canonical(reassigned(V, V, carried(V, fast, 3), texts, coview_views(V, texts), None, cfg, 0).clustering).labels
    np.testing.assert_array_equal(stage.clustering.labels, expected)
    plain_key, _ = cluster_stage(keys | {"base_embed": "refined"}, V, V, texts, None, terms, cfg, 0, cache)
    assert key != plain_key  # a cached from-scratch clustering is never read back for a refined run


def test_a_refinements_key_follows_k_means_size_rules():
    """Review: Refine starts from clusters whose K-Means restarts shrink above k = 20; weights trained from
    the ten-restart start must not be read back (the key changes there, and only there)."""
    from dataclasses import asdict
    from types import SimpleNamespace

    from core.config import ClusterConfig, RefineConfig
    from core.embedding.embed import EmbedResult
    from core.training.refine_stage import REFINE_RECIPE, refine_stage
    from core.storage.results import stage_key

    class KeysSeen:
        """A stage cache that records the keys asked for and computes nothing."""

        def __init__(self):
            self.seen = []

        def fetch(self, kind, key, compute, codec=None):
            self.seen.append(key)
            return np.zeros((3, 2), np.float32), SimpleNamespace(device="cpu")

    cache, refine = KeysSeen(), RefineConfig(enabled=True)
    base = EmbedResult(np.zeros((3, 2), np.float32), 0, 3, 0.0, "fake")
    for k in (4, 20, 21):
        refine_stage({"sample": "s", "embed": "e"}, ["a", "b", "c"], base, lambda: None, refine, ClusterConfig(k=k), 0,
                     cache, model="m", fingerprint="f")
    before = [stage_key("refine", REFINE_RECIPE, "f", "s", "e", asdict(refine), k, "coview", 0) for k in (4, 20, 21)]
    assert cache.seen[:2] == before[:2] and cache.seen[2] != before[2]
