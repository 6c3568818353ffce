import numpy as np

from core.embedding.embed import embed_texts
from core.storage.store import EmbeddingStore
from fakes import FakeEmbedder


def test_second_run_reads_everything_from_the_store(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    texts = [f"article number {i} about things" for i in range(50)]
    fake = FakeEmbedder()
    first = embed_texts(texts, fake, store=store)
    assert (first.hits, first.misses, fake.encoded) == (0, 50, 50)
    second = embed_texts(texts, fake, store=store)
    assert (second.hits, second.misses, fake.encoded) == (50, 0, 50)
    assert np.array_equal(first.vectors, second.vectors)


def test_larger_sample_embeds_only_new_texts(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    fake = FakeEmbedder()
    texts = [f"story {i}" for i in range(100)]
    embed_texts(texts[:40], fake, store=store)
    result = embed_texts(texts, fake, store=store)
    assert (result.hits, result.misses) == (40, 60) and fake.encoded == 100


def test_duplicates_encoded_once_and_order_kept(tmp_path):
    fake = FakeEmbedder()
    texts = ["b short", "a much longer text here", "b short", "c"]
    seen = []
    result = embed_texts(texts, fake, store=None, progress=lambda d, t: seen.append((d, t)))
    assert fake.encoded == 3 and result.vectors.shape == (4, 384)
    assert np.array_equal(result.vectors[0], result.vectors[2])
    assert np.allclose(result.vectors[1], fake.encode([texts[1]])[0])
    assert seen[-1] == (4, 4)


def test_other_model_fingerprint_misses(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    a, b = FakeEmbedder(), FakeEmbedder()
    b.fingerprint = "fake-v2"
    embed_texts(["x y z"], a, store=store)
    assert embed_texts(["x y z"], b, store=store).misses == 1


def test_the_store_keeps_backends_apart(tmp_path):
    store = EmbeddingStore(tmp_path / "s.sqlite")
    a, b = FakeEmbedder(), FakeEmbedder()
    b.backend = "other"
    embed_texts(["x y z"], a, store=store)
    assert embed_texts(["x y z"], b, store=store).misses == 1
