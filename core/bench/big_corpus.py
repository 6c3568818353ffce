"""A corpus of any size from a real one: its texts cycled, every copy after the first with small seeded edits.

For the scale benchmark (``bench speed --parts run``): a million texts that read like the real ones
(their words, their topics, their labels) and that are all distinct, so no stage gets duplicates for
free (the store, K-Means, the map).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def grown_texts(texts: list[str], n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """(``n`` texts, (n,) index of the real text each one edits): the real texts first, then copies of
    them in turn, each with one or two of its words replaced by words drawn from the whole corpus (a
    seeded draw). A copy that still equals a text already made gets another replaced word, and after
    ten such tries a drawn word inserted (a short text has few variants)."""
    rng = np.random.default_rng(seed)
    m = len(texts)
    words = [t.split() for t in texts]
    vocabulary = np.array(sorted({w for ws in words for w in ws}))
    source = np.arange(n) % m
    out = list(texts[:n])
    seen = set(out)
    for i in range(m, n):
        ws = list(words[source[i]]) or [""]
        text = texts[source[i]]
        edits, tries = 1 + int(rng.integers(0, 2)), 0
        while text in seen:
            for _ in range(edits):
                word = str(vocabulary[rng.integers(0, len(vocabulary))])
                if tries < 10:
                    ws[int(rng.integers(0, len(ws)))] = word
                else:
                    ws.insert(int(rng.integers(0, len(ws) + 1)), word)
            text = " ".join(ws)
            edits, tries = 1, tries + 1
        seen.add(text)
        out.append(text)
    return out, source


def grow_file(path: str, n: int, out: str, *, seed: int = 0, label_col: str | None = None) -> int:
    """Write ``out`` (CSV: ``text`` and, when the source has one, ``label``) with ``n`` texts grown from
    the file at ``path`` (read as the app reads it). Returns the rows written."""
    from core.tables.data import build_corpus

    corpus = build_corpus(path, label_col=label_col)
    texts, source = grown_texts(corpus.texts, n, seed)
    frame = pd.DataFrame({"text": texts})
    if corpus.labels is not None:
        frame["label"] = np.asarray(corpus.labels, dtype=object)[source]
    frame.to_csv(out, index=False)
    return len(frame)
