"""The static embedder (issue 29): the shipped model2vec model, loaded offline, its vectors and store key."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.embedding.backends import resolve_model_path
from core.config import DEFAULT_MODEL
from core.embedding.embed import embed_texts, get_embedder, store_key
from core.embedding.embed_fingerprint import model_fingerprint
from core.embedding.static_embedder import STATIC_DIR, STATIC_MODEL, StaticEmbedder, is_static_folder
from core.storage.store import EmbeddingStore

TEXTS = ["Stocks rallied on Wall Street as tech shares rose", "Shares fell sharply after the earnings report",
         "The striker scored twice and the team won the cup final", "The goalkeeper saved a penalty in the match",
         "Astronomers found water ice on a distant moon", "NASA launched a probe toward Jupiter"]


@pytest.fixture(scope="module")
def static():
    return get_embedder(STATIC_MODEL, "auto")


def test_the_shipped_model_loads_offline_and_names_no_machine_path(static, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert isinstance(static, StaticEmbedder) and static.dim == 256 and static.backend == "static"
    assert is_static_folder(STATIC_DIR) and resolve_model_path(STATIC_MODEL) == str(STATIC_DIR)
    config = json.loads((STATIC_DIR / "config.json").read_text())
    assert config["tokenizer_name"] == "sentence-transformers/all-MiniLM-L6-v2"
    for file in STATIC_DIR.iterdir():
        if file.suffix in {".json", ".md", ""}:
            text = file.read_text()
            assert "/root" not in text and "site-packages" not in text and "/tmp" not in text, file
    notice = (STATIC_DIR / "NOTICE").read_text()
    assert "Apache License, Version 2.0" in notice and "all-MiniLM-L6-v2" in notice
    assert sum(f.stat().st_size for f in STATIC_DIR.iterdir()) < 20_000_000


def test_vectors_are_unit_float32_of_the_models_dimension(static):
    vectors = static.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    unknown = static.encode(["☃☃☃"])  # no known token: one fixed unit vector, never zeros or NaN
    assert np.isfinite(unknown).all() and np.isclose(np.linalg.norm(unknown), 1)


def test_a_text_gets_the_same_vector_alone_beside_others_and_in_another_process_load(static):
    together = static.encode(TEXTS)
    alone = np.concatenate([static.encode([t]) for t in TEXTS])
    assert np.array_equal(together, alone)
    assert np.array_equal(StaticEmbedder(STATIC_DIR).encode(TEXTS[::-1]), together[::-1])


def test_it_keeps_the_source_models_sense_of_topic(static):
    v = static.encode(TEXTS)
    sim = v @ v.T
    for a, b, other in ((0, 1, 2), (2, 3, 4), (4, 5, 0)):
        assert sim[a, b] > sim[a, other], (a, b, other)


def test_one_instance_whatever_backend_is_asked(static):
    assert get_embedder(STATIC_MODEL, "torch") is static and get_embedder(STATIC_MODEL, "onnx") is static


def test_its_store_key_is_its_own_and_the_store_is_left_to_the_transformer(static, tmp_path):
    minilm = model_fingerprint(resolve_model_path(DEFAULT_MODEL))
    assert static.fingerprint == model_fingerprint(STATIC_DIR) != minilm
    assert store_key(static) == f"{static.fingerprint}|static" and not store_key(static).startswith(minilm)
    store = EmbeddingStore(tmp_path / "embeddings.sqlite")
    first = embed_texts(TEXTS + TEXTS[:2], static, store=store)  # copies of a text take its vector
    again = embed_texts(TEXTS, static, store=store)
    assert store.count() == 0 and (first.misses, again.misses) == (len(TEXTS) + 2, len(TEXTS))
    assert np.array_equal(first.vectors[:len(TEXTS)], again.vectors)
    assert np.array_equal(first.vectors[len(TEXTS):], again.vectors[:2])


EDGES = ["", " ", "!!!", "a" * 300, "word " * 2000, ("x" * 150 + " ") * 3, "café au lait", "tab\there\nnew\rline",
         "ctrl\x0bchar", "DEL\x7f", "[UNK] unk [unk] [PAD]", "Hello, World! It's 3:45pm -- e-mail me@x.com",
         "#hashtag @user $100 ~tilde~ {braces} |pipe| `tick` ^caret^ \\slash\\ <angle>", "日本語 text",
         "a " * 600, "MiXeD CaSe WoRdS 123abc abc123 3.14159", "Ünïcödé naïve résumé", "\x00null", "emoji 🙂 face"]


def _model2vec(static, texts: list[str]) -> np.ndarray:
    """model2vec's own vectors, normalised as ``StaticEmbedder.encode`` normalises its output."""
    out = np.asarray(static._model.encode(texts, use_multiprocessing=False, batch_size=4096), np.float32)
    out = out.reshape(len(texts), static.dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    empty = norms[:, 0] == 0
    out[empty, 0], norms[empty] = 1.0, 1.0
    return out / norms


def test_pooling_by_distinct_words_gives_model2vecs_vectors_bit_for_bit(static):
    """Edge cases: empty, punctuation, over-long words and texts (truncation), special tokens' text,
    control characters and non-ASCII texts (which model2vec itself pools); in several calls, so the
    word table grows between them."""
    from corpora import topic_frame

    texts = EDGES + topic_frame(20, seed=3, words=12)["text"].tolist()
    got = np.concatenate([static.encode(texts[i:i + 7]) for i in range(0, len(texts), 7)])
    assert np.array_equal(got, _model2vec(static, texts))


@pytest.mark.parametrize("corpus", ["ag_news_test.csv", "banking77_test.csv"])
def test_pooling_by_distinct_words_matches_model2vec_on_the_measuring_corpora(static, corpus):
    import pandas as pd

    from conftest import shared_file

    frame = pd.read_csv(shared_file(corpus))
    texts = frame[[c for c in frame.columns if frame[c].dtype == object]].astype(str).agg(". ".join, axis=1).tolist()
    got = np.concatenate([static.encode(texts[i:i + 512]) for i in range(0, len(texts), 512)])
    assert np.array_equal(got, _model2vec(static, texts))


def test_the_word_table_starts_afresh_past_its_bound_with_the_same_vectors(static, monkeypatch):
    import core.embedding.static_pooling as pooling
    from corpora import topic_frame

    monkeypatch.setattr(pooling, "_MAX_WORDS", 40)
    fresh = StaticEmbedder(STATIC_DIR)
    texts = topic_frame(15, seed=5, words=9)["text"].tolist()
    got = np.concatenate([fresh.encode(texts[i:i + 4]) for i in range(0, len(texts), 4)])
    assert np.array_equal(got, _model2vec(static, texts)) and len(fresh._pooler._index) <= 40


def test_a_model2vec_model_this_reading_does_not_fit_is_pooled_by_model2vec(static):
    """A cased tokenizer, or per-token weights, would make the pooler's ``str.lower`` reading or plain
    mean wrong: such a model's texts go to model2vec whole."""
    import copy
    import json

    from core.embedding.static_pooling import WordPooler, poolable
    from tokenizers import Tokenizer

    assert poolable(static._model)
    cased = copy.copy(static._model)
    spec = json.loads(cased.tokenizer.to_str())
    spec["normalizer"]["lowercase"] = False
    cased.tokenizer = Tokenizer.from_str(json.dumps(spec))
    weighted = copy.copy(static._model)
    weighted.weights = np.ones(len(static._model.embedding), np.float32)
    texts = ["Apple shares ROSE today", "apple shares rose today"]
    for model in (cased, weighted):
        assert not poolable(model)
        assert np.array_equal(WordPooler(model).encode(texts),
                              model.encode(texts, use_multiprocessing=False, batch_size=4096))
