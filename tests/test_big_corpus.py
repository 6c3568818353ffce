"""The scale benchmark's grown corpus (core.bench.big_corpus): real texts first, then distinct edited copies."""
from core.bench.big_corpus import grown_texts


def test_a_grown_corpus_is_distinct_seeded_and_keeps_its_sources():
    real = ["the cat sat on the mat", "stocks rose today", "stocks rose today", "one"]
    texts, source = grown_texts(real, 40, seed=3)
    assert texts[:4] == real and list(source[:8]) == [0, 1, 2, 3, 0, 1, 2, 3]
    assert len(set(texts[4:])) == 36 and not set(texts[4:]) & set(real)  # every copy differs from all others
    for text, src in zip(texts[4:], source[4:]):
        if src != 3:  # words replaced, none added or dropped ...
            assert len(text.split()) == len(real[src].split())
    assert max(len(t.split()) for t in texts[3::4]) > 1  # ... but a one-word text runs out of variants
    again, again_source = grown_texts(real, 40, seed=3)
    assert again == texts and (again_source == source).all()
    assert grown_texts(real, 40, seed=4)[0] != texts
