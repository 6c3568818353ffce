"""Cluster names: c-TF-IDF candidates, frequent-word reduction, KeyBERT re-rank, MMR; and the demo's names."""
import numpy as np
import pytest

from core.storage.cache import MemoryCache
from core.config import ClusterConfig, DataConfig, EncoderConfig, ProjectConfig, RunConfig
from core.naming.naming import (candidate_scores, ctfidf, distinctiveness, mmr, name_keywords, names_stage, phrase_counts,
                         phrases_of, unique_heads)
from core.pipeline import run
from fakes import FakeEmbedder

TOPICS = {0: "striker goal league coach", 1: "shares investors profit bank", 2: "rocket orbit telescope nasa"}


def topic_texts(n: int = 8) -> tuple[list[str], np.ndarray]:
    """Texts of three topics; every text also says "said" and "reported" (the corpus's generic words)."""
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for label, vocab in TOPICS.items():
        for i in range(n):
            words = list(rng.choice(vocab.split(), 3, replace=False))
            texts.append(f"officials said {words[0]}, reported {words[1]}; {words[2]} said")
            labels.append(label)
    return texts, np.array(labels)


def test_phrases_are_literal_neighbours():
    assert phrases_of("Bank of England: central bank rose 4 percent") == [
        "bank", "england", "central", "bank", "rose", "percent", "central bank", "bank rose"]


def test_mmr_picks_diverse_phrases():
    # two near-synonyms lead on relevance; MMR takes one of them, then the distinct third
    vectors = np.array([[1, 0, 0], [0.99, 0.14, 0], [0, 0, 1]], np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([0.9, 0.88, 0.6])
    assert mmr(relevance, vectors, ["football", "soccer", "stadium"], top=2, diversity=0.5) == [0, 2]
    assert mmr(relevance, vectors, ["football", "soccer", "stadium"], top=2, diversity=0.0) == [0, 1]
    # a phrase repeating a chosen word is skipped
    assert mmr(np.array([0.9, 0.8, 0.1]), np.eye(3, dtype=np.float32), ["oil prices", "oil", "crude"], top=2) == [0, 2]


def test_frequent_words_are_demoted():
    # cluster 0: "said" 50 times, "goal" 5 times; cluster 1: "said" 50 times, "bank" 5 times
    counts = np.array([[50, 5, 0], [50, 0, 5]], dtype=float)
    plain, reduced = ctfidf(counts, reduce_frequent=False), ctfidf(counts, reduce_frequent=True)
    assert reduced[0, 0] / reduced[0, 1] < plain[0, 0] / plain[0, 1]  # sqrt(tf) narrows the frequent word's lead
    assert np.allclose(distinctiveness(counts)[:, 0], 0)  # spread like the text itself
    assert np.allclose(distinctiveness(counts)[[0, 1], [1, 2]], 1)  # found in one cluster only
    scores = candidate_scores(counts)
    assert scores[0, 1] > scores[0, 0] == 0 and scores[1, 2] > scores[1, 0] == 0


@pytest.mark.parametrize("embed", [None, FakeEmbedder().encode])
def test_a_word_in_every_cluster_is_not_a_name(embed):
    texts, labels = topic_texts()
    X = FakeEmbedder().encode(texts)
    names = name_keywords(phrase_counts(texts), labels, 3, X, embed, top=5)
    for c, words in enumerate(names):
        assert words, c
        flat = {w for phrase in words for w in phrase.split()}
        assert not flat & {"said", "reported", "officials"}, words
        assert set(words[0].split()) <= set(TOPICS[c].split()), (c, words)


def test_heads_are_unique_across_clusters():
    keywords = [["market", "stocks", "profit"], ["market", "shares", "oil"], ["rocket", "orbit", "nasa"]]
    strength = [{"market": 0.2}, {"market": 0.5}, {}]
    out = unique_heads(keywords, strength, words=3)
    assert out[1][:3] == ["market", "shares", "oil"] and "market" not in out[0][:2] and out[0][-1] == "market"


def test_names_stage_is_cached_and_embeds_only_candidates():
    texts, labels = topic_texts()
    fake = FakeEmbedder()
    X = fake.encode(texts)
    cache = MemoryCache({})
    keys = {"cluster": "c1", "embed": "e1", "sample": "s1"}
    fake.encoded = 0
    _, first = names_stage(keys, labels, 3, X, texts, RunConfig().embed, cache, embedder=fake)
    assert 0 < fake.encoded <= 3 * 25  # the candidates, not the corpus
    seen = fake.encoded
    _, again = names_stage(keys, labels, 3, X, texts, RunConfig().embed, cache, embedder=fake)
    assert again == first and fake.encoded == seen


def test_above_the_sample_threshold_names_count_the_phrases_of_the_sample_only(monkeypatch):
    """A million texts: the phrases of a seeded sample name the clusters (and the key says so); at or
    below the threshold every text is counted and the key is the one it always was."""
    from core.naming import naming
    from core.training import neighbours
    from core.storage.results import stage_key

    texts, labels = topic_texts(40)  # 120 texts
    fake = FakeEmbedder()
    X = fake.encode(texts)
    keys = {"cluster": "c1", "embed": "e1", "sample": "s1"}
    counted = []
    real = naming.phrase_counts
    monkeypatch.setattr(naming, "phrase_counts", lambda t, **kw: counted.append(len(t)) or real(t, **kw))
    key, full = names_stage(keys, labels, 3, X, texts, RunConfig().embed, MemoryCache({}), embedder=fake)
    assert counted == [120] and key == stage_key("names", naming.NAMES_RECIPE, "c1", "e1")
    monkeypatch.setattr(neighbours, "SAMPLE_ABOVE", 100)
    monkeypatch.setattr(neighbours, "SAMPLE_ROWS", 60)
    key2, sampled = names_stage(keys, labels, 3, X, texts, RunConfig().embed, MemoryCache({}), embedder=fake)
    assert counted == [120, 60] and key2 != key
    assert [set(n[:2]) <= set(TOPICS[c].split()) for c, n in enumerate(sampled)] == [True, True, True]


def test_demo_names_have_no_said_and_twelve_distinct_words():
    cfg = RunConfig(data=DataConfig(source="demo", fraction=1.0), encoder=EncoderConfig(epochs=2),
                    cluster=ClusterConfig(k=4), project=ProjectConfig(method="none"))
    result = run(cfg, embedder=FakeEmbedder())
    heads = [s.keywords[:3] for s in result.summaries]
    words = [w for head in heads for phrase in head for w in phrase.split()]
    assert "said" not in words, heads
    assert len(set(words)) >= 12 and len({p for h in heads for p in h}) == 12, heads


def test_a_cluster_the_sample_holds_no_row_of_is_named_from_its_own_rows(monkeypatch):
    """Above the threshold a small cluster may have no row in the sample: it is named from its own rows,
    not left without a name."""
    from core.training import neighbours

    texts, labels = topic_texts(40)  # 120 texts, three topics
    fake = FakeEmbedder()
    X = fake.encode(texts)
    monkeypatch.setattr(neighbours, "SAMPLE_ABOVE", 100)
    monkeypatch.setattr(neighbours, "SAMPLE_ROWS", 60)
    rows = neighbours.scale_sample(len(texts))
    labels = np.asarray(labels).copy()
    outside = np.setdiff1d(np.flatnonzero(labels == 2), rows)[:5]
    labels[labels == 3] = 0
    labels[outside] = 3  # cluster 3: five texts of topic 2, none of them sampled
    assert not np.isin(np.flatnonzero(labels == 3), rows).any()
    _, names = names_stage({"cluster": "c", "embed": "e", "sample": "s"}, labels, 4, X, texts, RunConfig().embed,
                           MemoryCache({}), embedder=fake)
    assert names[3] and set(names[3][0].split()) <= set(TOPICS[2].split())
