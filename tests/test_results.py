import numpy as np

from core.storage.cache import DiskCache
from core.config import EncoderConfig, ProjectConfig
from core.pipeline import project_stage, train_stage
from core.storage.results import ResultCache


def data(n=120, d=384, seed=0):
    X = np.random.RandomState(seed).randn(n, d).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


CFG = EncoderConfig(objective="autoencoder", epochs=3)


def trained(X, cfg, *, seed, results):
    """(key, encoder, latent) through the train stage with a disk cache (the CLI's set-up)."""
    from core.storage.results import array_key

    key, value = train_stage(array_key(X), X, cfg, seed, DiskCache(results))
    return key, value.encoder, value.latent


def projected(Z, train_key, cfg, *, seed, results):
    return project_stage(train_key, Z, cfg, seed, DiskCache(results))[1]


def test_second_call_reuses_training_and_map(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    X = data()
    key, enc, Z = trained(X, CFG, seed=1, results=cache)
    calls = []
    monkeypatch.setattr("core.pipeline.train", lambda *a, **k: calls.append(1))
    key2, enc2, Z2 = trained(X, CFG, seed=1, results=cache)
    assert not calls and key2 == key and np.array_equal(Z, Z2)
    assert np.array_equal(enc2.transform(X), Z)
    xy = projected(Z, key, ProjectConfig(method="tsne"), seed=1, results=cache)
    monkeypatch.setattr("core.pipeline.project", lambda *a, **k: calls.append(1))
    assert np.array_equal(projected(Z, key, ProjectConfig(method="tsne"), seed=1, results=cache), xy)
    assert not calls


def test_other_settings_or_data_miss(tmp_path):
    cache = ResultCache(tmp_path)
    X = data()
    key = trained(X, CFG, seed=1, results=cache)[0]
    assert trained(X, CFG, seed=2, results=cache)[0] != key
    assert trained(data(seed=5), CFG, seed=1, results=cache)[0] != key


def test_damaged_entries_are_recomputed_with_a_warning(tmp_path, caplog):
    cache = ResultCache(tmp_path)
    X = data()
    key, _, Z = trained(X, CFG, seed=1, results=cache)
    path = tmp_path / f"{key}.npz"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # flip a byte inside the stored arrays
    path.write_bytes(bytes(blob))
    key2, _, Z2 = trained(X, CFG, seed=1, results=cache)
    assert np.array_equal(Z, Z2) and "damaged" in caplog.text
    path.write_bytes(path.read_bytes()[:100])  # truncated
    assert np.array_equal(trained(X, CFG, seed=1, results=cache)[2], Z)


def test_size_limit(tmp_path):
    cache = ResultCache(tmp_path, max_bytes=30_000)
    for i in range(5):
        cache.put(f"k{i}", {"a": np.zeros(2000, np.float32)})
    assert len(list(tmp_path.glob("*.npz"))) <= 3 and cache.get("k4") is not None


def test_an_encoder_that_fails_its_checksum_is_rebuilt_with_one_warning(tmp_path, caplog, monkeypatch):
    """Issue 28: an entry whose zip is sound but whose encoder weights fail their checksum (rewritten,
    not flipped in transit) was rebuilt silently; the README promises a warning."""
    import logging

    cache = ResultCache(tmp_path)
    X = data()
    key, _, Z = trained(X, CFG, seed=1, results=cache)
    arrays = cache.get(key)
    weights = bytearray(arrays["encoder"].tobytes())
    weights[-8] ^= 0xFF  # a weight's byte: the zip's own CRC is recomputed on writing, the checksum is not
    cache.put(key, {**arrays, "encoder": np.frombuffer(bytes(weights), np.uint8)})
    calls = []
    real_train = __import__("core.pipeline", fromlist=["train"]).train
    monkeypatch.setattr("core.pipeline.train", lambda *a, **k: calls.append(1) or real_train(*a, **k))
    with caplog.at_level(logging.WARNING):
        _, _, Z2 = trained(X, CFG, seed=1, results=cache)
    assert calls == [1] and np.array_equal(Z, Z2)  # rebuilt, the same result
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and key in warnings[0] and "checksum" in warnings[0], warnings
    _, _, Z3 = trained(X, CFG, seed=1, results=cache)  # the rebuilt entry replaced it: read back, no warning
    assert calls == [1] and np.array_equal(Z, Z3) and len(caplog.records) == 1
