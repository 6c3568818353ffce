import numpy as np
import pytest
import torch

from core.config import EncoderConfig
from core.training.encoder import Encoder


def blobs(n=300, d=384, k=4, seed=0):
    rng = np.random.RandomState(seed)
    centres = rng.randn(k, d) * 2
    y = rng.randint(0, k, n)
    X = centres[y] + rng.randn(n, d)
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32), y


CFG = EncoderConfig(objective="autoencoder", epochs=15, batch_size=64)


def test_loss_falls_and_shapes():
    X, _ = blobs()
    enc = Encoder(CFG, seed=0).fit(X)
    assert enc.transform(X).shape == (300, 64)
    assert enc.loss_history_[-1] < 0.6 * enc.loss_history_[0]


def test_same_seed_same_latent_and_global_rng_untouched():
    X, _ = blobs()
    state = torch.random.get_rng_state()
    a = Encoder(CFG, seed=3).fit(X).transform(X)
    assert torch.equal(state, torch.random.get_rng_state())
    b = Encoder(CFG, seed=3).fit(X).transform(X)
    c = Encoder(CFG, seed=4).fit(X).transform(X)
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_save_and_load_round_trip(tmp_path):
    X, _ = blobs()
    enc = Encoder(CFG, seed=0).fit(X)
    enc.save(tmp_path / "enc.safetensors")
    back = Encoder.load(tmp_path / "enc.safetensors")
    assert np.array_equal(back.transform(X), enc.transform(X))
    assert back.loss_history_ == enc.loss_history_ and back.config == enc.config


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"garbage" * 10,
                                    lambda b: b[:-40] + bytes(40)])
def test_damaged_checkpoint_is_a_clear_error(damage):
    X, _ = blobs(n=50)
    blob = Encoder(EncoderConfig(epochs=1), seed=0).fit(X).to_bytes()
    with pytest.raises(ValueError, match="not a valid encoder checkpoint"):
        Encoder.from_bytes(damage(blob))


def test_pickle_checkpoints_are_not_loaded(tmp_path):
    path = tmp_path / "evil.safetensors"
    torch.save({"x": torch.zeros(1)}, path)  # a pickle, not safetensors
    with pytest.raises(ValueError, match="not a valid encoder checkpoint"):
        Encoder.load(path)


def test_transform_needs_fit_and_right_width():
    with pytest.raises(RuntimeError, match="not fitted"):
        Encoder().transform(np.zeros((2, 384), np.float32))
    X, _ = blobs(n=40)
    enc = Encoder(EncoderConfig(epochs=1)).fit(X)
    with pytest.raises(ValueError, match="expected shape"):
        enc.transform(np.zeros((2, 10), np.float32))
