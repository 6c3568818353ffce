"""The neighbour graph: exact up to ``ANN_ABOVE`` points, approximate (NN-descent) above, with the
approximate graph's recall against the exact one measured on generated data."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.training import neighbours
from core.training.neighbours import cosine_knn, nearest_neighbours


def clustered(n: int = 3000, d: int = 48, k: int = 12, seed: int = 0) -> torch.Tensor:
    """(n, d) unit vectors around k random centres: real structure, many near ties, like embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d))
    X = centres[rng.integers(0, k, n)] + 0.6 * rng.normal(size=(n, d))
    return torch.tensor(X / np.linalg.norm(X, axis=1, keepdims=True), dtype=torch.float32)


def recall(approx: torch.Tensor, exact: torch.Tensor) -> float:
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx.tolist(), exact.tolist())]))


def test_small_inputs_keep_the_exact_graph():
    X = clustered(300)
    assert torch.equal(nearest_neighbours(X, 20), cosine_knn(X, 20))


@pytest.mark.timeout(600)  # NN-descent's numba code compiles on its first call in a process
def test_approximate_graph_above_the_threshold_has_high_recall_and_is_deterministic(monkeypatch):
    monkeypatch.setattr(neighbours, "ANN_ABOVE", 1000)
    X = clustered()
    exact = cosine_knn(X, 20)
    approx = nearest_neighbours(X, 20)
    assert approx.shape == (3000, 20) and approx.dtype == torch.int64
    assert not (approx == torch.arange(3000)[:, None]).any()  # never a row's own neighbour
    assert recall(approx, exact) >= 0.9
    assert not torch.equal(approx, exact)  # the approximate path really ran
    assert torch.equal(nearest_neighbours(X, 20), approx)  # deterministic


def test_a_big_runs_embedding_starts_nn_descents_compile_once_per_process(monkeypatch, tmp_path):
    """Above ``ANN_ABOVE`` texts the embed stage starts NN-descent's warm-up (a small fixed graph in a
    daemon thread) so that its compile overlaps the embedding; once per process, and not for fewer."""
    import threading

    from core.config import EmbedConfig
    from core.pipeline import embed_stage
    from core.storage.cache import NoCache
    from fakes import FakeEmbedder

    calls = []
    built = threading.Event()

    def spy(data, n_neighbors, **kwargs):
        calls.append((threading.current_thread().name, data.shape, n_neighbors))
        built.set()
        return np.zeros((len(data), n_neighbors), np.int64)

    monkeypatch.setattr(neighbours, "approximate_knn", spy)
    monkeypatch.setattr(neighbours, "_warm", [])
    monkeypatch.setattr(neighbours, "ANN_ABOVE", 30)
    texts = [f"text number {i}" for i in range(30)]
    embed_stage("few", texts, EmbedConfig(), NoCache(), embedder=FakeEmbedder())
    assert not neighbours._warm  # 30 texts: no graph of NN-descent ahead
    texts.append("one more")
    for key in ("many", "many again"):
        embed_stage(key, texts, EmbedConfig(), NoCache(), embedder=FakeEmbedder())
    assert built.wait(60)
    neighbours._warm[0].join(60)
    assert calls == [("nn-descent warm-up", (neighbours.WARM_ROWS, 16), 5)]
