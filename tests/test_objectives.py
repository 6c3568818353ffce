"""Behaviour of the training objectives on a small synthetic topic mixture (fast, offline)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from core.config import EncoderConfig
from core.training.encoder import Encoder
from core.training.neighbours import cosine_knn, default_n_neighbors
from core.training.objectives import OBJECTIVES, get_objective


def topic_mixture(n: int = 200, k: int = 4, d: int = 384, spread: float = 5.0, seed: int = 0):
    """Unit vectors around ``k`` random centres, overlapping enough that raw K-Means errs a little."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d))
    labels = rng.integers(k, size=n)
    X = centres[labels] + spread * rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), labels


def fit(objective: str, X: np.ndarray, seed: int = 0, epochs: int = 10) -> Encoder:
    cfg = EncoderConfig(objective=objective, epochs=epochs, device="cpu")
    return Encoder(cfg, seed=seed).fit(X)


@pytest.fixture(scope="module")
def mixture():
    return topic_mixture()


def test_default_is_registered_and_is_the_configs_default():
    assert EncoderConfig().objective in OBJECTIVES


def test_unknown_objective_lists_the_known_ones():
    with pytest.raises(ValueError, match="neighbours"):
        get_objective("nope")


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_loss_falls(mixture, name):
    X, _ = mixture
    history = fit(name, X).loss_history_
    assert len(history) == 10
    assert history[-1] < history[0]


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_same_seed_same_latents_other_seed_differs(mixture, name):
    X, _ = mixture
    a = fit(name, X, seed=3, epochs=3).transform(X)
    b = fit(name, X, seed=3, epochs=3).transform(X)
    c = fit(name, X, seed=4, epochs=3).transform(X)
    assert a.shape == (len(X), 64)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_global_rng_untouched(mixture, name):
    X, _ = mixture
    before = torch.random.get_rng_state().clone()
    fit(name, X, epochs=2)
    assert torch.equal(torch.random.get_rng_state(), before)


def _mixture_aris(epochs: int = 20) -> tuple[float, float]:
    X, y = topic_mixture(n=300, spread=4.0, seed=1)
    raw = adjusted_rand_score(y, KMeans(4, random_state=0, n_init=10).fit_predict(X))
    Z = fit("neighbours", X, epochs=epochs).transform(X)
    return raw, adjusted_rand_score(y, KMeans(4, random_state=0, n_init=10).fit_predict(Z))


@pytest.fixture(scope="module")
def mixture_aris():
    return _mixture_aris()


def test_neighbours_keeps_a_mixture_separated(mixture_aris):
    raw, latent = mixture_aris
    assert raw > 0.9 and latent >= 0.9 * raw


def test_neighbours_works_on_tiny_inputs():
    X, _ = topic_mixture(n=6)
    Z = fit("neighbours", X, epochs=2).transform(X)
    assert Z.shape == (6, 64) and np.isfinite(Z).all()


def test_cosine_knn_finds_nearest_others():
    X = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    nb = cosine_knn(X, 1, chunk=3)
    assert nb.squeeze(1).tolist() == [1, 0, 3, 2]


def test_default_n_neighbors_grows_with_n_and_stays_valid():
    sizes = [2, 6, 500, 1000, 7600, 100_000]
    counts = [default_n_neighbors(n) for n in sizes]
    assert counts == sorted(counts)
    assert all(1 <= c < n for c, n in zip(counts, sizes))
    assert counts[-1] == 20
