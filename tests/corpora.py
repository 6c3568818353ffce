"""Test data every module shares: the score keys of metrics.json and small topic corpora that the
fake embedder (tests/fakes.py) separates, so clustering on them has a known answer."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SCORE_KEYS = {"silhouette", "davies_bouldin", "silhouette_raw", "davies_bouldin_raw", "acc", "nmi", "ari"}

#: Three topics with disjoint vocabularies (labels are their names).
TOPICS = {
    "sport": "team game match coach season player goal league win score",
    "money": "stock market bank shares profit investor price trade economy fund",
    "space": "rocket orbit planet nasa launch moon star telescope mission galaxy",
}


def topic_frame(n_per_topic: int = 12, seed: int = 0, *, words: int = 5) -> pd.DataFrame:
    """Short texts of the three topics (``words`` words drawn from each topic's vocabulary, then a
    running number so texts stay distinct), with a ``label`` column."""
    rng = np.random.default_rng(seed)
    rows = [(" ".join(rng.choice(vocab.split(), words)) + f" {i}", label)
            for label, vocab in TOPICS.items() for i in range(n_per_topic)]
    return pd.DataFrame(rows, columns=["text", "label"])


def topic_csv(tmp_path: Path, n_per_topic: int = 10, *, labels: bool = True, name: str = "texts.csv") -> Path:
    """:func:`topic_frame` written as a CSV, optionally without its label column."""
    frame = topic_frame(n_per_topic)
    path = tmp_path / name
    (frame if labels else frame[["text"]]).to_csv(path, index=False)
    return path
