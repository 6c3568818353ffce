"""core.naming.search: top-N cosine against brute force, the word filter, query cleaning, least typical texts."""
import numpy as np
import pytest

from core.naming import search
from fakes import FakeEmbedder


def test_top_cosine_equals_a_brute_force_ranking():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 32)).astype(np.float32) * rng.uniform(0.5, 3, size=(500, 1)).astype(np.float32)
    query = rng.normal(size=32).astype(np.float32)
    rows, sims = search.top_cosine(vectors, query, 50)
    brute = [float(v @ query / np.linalg.norm(v) / np.linalg.norm(query)) for v in vectors]
    expected = sorted(range(500), key=lambda i: (-brute[i], i))[:50]
    assert rows.tolist() == expected
    assert np.allclose(sims, [brute[i] for i in expected], atol=1e-5)
    assert np.all(np.diff(sims) <= 0)  # highest first


def test_top_cosine_respects_keep_and_small_corpora():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(20, 8)).astype(np.float32)
    keep = np.arange(20) % 2 == 0
    rows, _ = search.top_cosine(vectors, vectors[1], 5, keep=keep)
    assert len(rows) == 5 and all(r % 2 == 0 for r in rows) and 1 not in rows
    rows, _ = search.top_cosine(vectors, vectors[0], 100)  # more than there are: all, ranked
    assert len(rows) == 20 and rows[0] == 0
    rows, sims = search.top_cosine(vectors, vectors[0], 5, keep=np.zeros(20, bool))
    assert len(rows) == 0 and len(sims) == 0


def test_searching_a_texts_own_words_finds_it_first():
    texts = ["oil prices climb as crude supply tightens", "the home team wins the cup final",
             "new phone chip promises longer battery life", "central bank raises interest rates again",
             "storm floods the coastal town overnight"]
    embedder = FakeEmbedder()
    vectors = embedder.encode(texts)
    for i, text in enumerate(texts):
        query = search.clean_query(text)
        rows, sims = search.top_cosine(vectors, search.embed_query(embedder, query), 3)
        assert rows[0] == i and sims[0] == pytest.approx(1.0, abs=1e-5)


def test_nearest_to_row_excludes_the_row_itself():
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors[7] = vectors[3] * 2  # the same direction: 3's nearest
    rows, sims = search.nearest_to_row(vectors, 3, 10)
    assert len(rows) == 10 and 3 not in rows and rows[0] == 7 and sims[0] == pytest.approx(1.0, abs=1e-5)


def test_clean_query_empty_and_long():
    assert search.clean_query("") is None and search.clean_query("   \n ") is None and search.clean_query(None) is None
    assert search.clean_query("  oil   prices ").text == "oil prices"
    assert search.clean_query("oil").notice is None
    long = search.clean_query("x" * 10_000)
    assert len(long.text) == search.MAX_QUERY_CHARS
    assert long.notice == "The query is 10,000 characters long; only its first 1,000 are searched."


def test_contains_words_all_words_whole_words_any_case():
    texts = ["Oil prices rise", "Boiling prices", "prices of OIL fall", "oil-rich nations", "nothing here"]
    assert search.contains_words(texts, "oil PRICES").tolist() == [True, False, True, False, False]
    assert search.contains_words(texts, "oil").tolist() == [True, False, True, True, False]  # not "Boiling"
    assert search.contains_words(texts, "oil-rich").tolist() == [False, False, False, True, False]
    assert not search.contains_words(texts, "  ,, ").any()  # no words: nothing (the page shows no filter)


def test_least_typical_lists_a_clusters_lowest_confidence_first():
    conf = np.array([0.9, 0.1, 0.5, 0.05, 0.3, 0.2])
    labels = np.array([0, 0, 0, 1, 0, 1])
    assert search.least_typical(conf, labels, 0, 2).tolist() == [1, 4]
    assert search.least_typical(conf, labels, 1, 5).tolist() == [3, 5]
    keep = conf >= 0.2
    assert search.least_typical(conf, labels, 0, 2, keep=keep).tolist() == [4, 2]


def test_unit_rows_gives_the_same_ranking_on_unit_vectors():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    a = search.top_cosine(vectors, vectors[4] * 3, 20)
    b = search.top_cosine(vectors, vectors[4] * 3, 20, unit_rows=True)
    assert a[0].tolist() == b[0].tolist() and np.allclose(a[1], b[1], atol=1e-6) and a[0][0] == 4
