"""Two clusterings of one project's data compared: how texts moved between their clusters, how much
the two agree, and which texts changed cluster.

The two sides may be versions of different sample fractions: they are compared on the texts they
share, matched by row id (a row of the data file, the corpus's ``id`` column; a smaller sample is
part of a larger one). Their cluster ids need not correspond (k=4 against k=6): each cluster of the
first side is paired with the cluster of the second that shares the most texts with it (a one-to-one
matching that maximises the texts kept together), and a text *moved* when it lies outside its
cluster's partner. Plain Python: no Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from core.clustering.cluster import confusion
from core.clustering.cluster_stage import METHODS
from core.embedding.embedders import DEFAULT_EMBEDDER, EMBEDDERS, embedder_for_model
from core.storage.projects import Version

#: how many texts that moved a comparison lists at most (the page says when there are more)
MAX_MOVED = 5_000


@dataclass(frozen=True)
class Side:
    """One side of a comparison: ``rows`` (n,) row ids of its texts, ``labels`` (n,) their cluster ids,
    ``names`` each cluster's name (``"3: sport, match"``), ``title`` what the side is (a version, as
    computed or as edited)."""

    rows: np.ndarray
    labels: np.ndarray
    names: dict[int, str]
    title: str


@dataclass(frozen=True)
class Comparison:
    """``table`` (ka, kb): texts in the first side's cluster ``a_ids[i]`` and the second's ``b_ids[j]``,
    over the ``shared`` (m,) row ids; ``a_labels``/``b_labels`` (m,) each shared text's clusters;
    ``partner`` each first-side cluster's matched second-side cluster (None: unmatched, when the first
    has more clusters); ``moved`` (m,) whether a text left its cluster's partner."""

    a: Side
    b: Side
    shared: np.ndarray
    a_labels: np.ndarray
    b_labels: np.ndarray
    table: np.ndarray
    a_ids: np.ndarray
    b_ids: np.ndarray
    partner: dict[int, int | None]
    moved: np.ndarray
    ari: float
    nmi: float

    @property
    def only_a(self) -> int:
        return len(self.a.rows) - len(self.shared)

    @property
    def only_b(self) -> int:
        return len(self.b.rows) - len(self.shared)

    @property
    def stayed(self) -> float:
        """The share of shared texts that stayed with their cluster's partner."""
        return float(1.0 - self.moved.mean()) if len(self.moved) else 1.0


def compare(a: Side, b: Side) -> Comparison:
    """Compare two clusterings on the texts they share (see the module's docstring); a ValueError
    when they share none."""
    a_rows, b_rows = np.asarray(a.rows), np.asarray(b.rows)
    shared, ia, ib = np.intersect1d(a_rows, b_rows, assume_unique=True, return_indices=True)
    if not len(shared):
        raise ValueError("the two versions share no texts")
    la, lb = np.asarray(a.labels)[ia], np.asarray(b.labels)[ib]
    table, a_ids, b_ids = confusion(lb, la)  # rows: a's clusters, columns: b's
    pick_a, pick_b = linear_sum_assignment(table, maximize=True)
    partner: dict[int, int | None] = {int(c): None for c in a_ids}
    partner.update({int(a_ids[i]): int(b_ids[j]) for i, j in zip(pick_a, pick_b)})
    wanted = np.array([-1 if partner[int(c)] is None else partner[int(c)] for c in la])
    moved = lb != wanted
    return Comparison(a, b, shared, la, lb, table, a_ids, b_ids, partner, moved,
                      float(adjusted_rand_score(la, lb)), float(normalized_mutual_info_score(la, lb)))


def moved_texts(comparison: Comparison, texts: pd.Series, query: str = "", limit: int = MAX_MOVED) -> pd.DataFrame:
    """The texts that changed cluster (``texts``: each text by row id), those holding ``query`` (any
    case) when given: columns ``id``, ``text``, ``from`` (the first side's cluster name), ``to``.
    At most ``limit`` rows; ``DataFrame.attrs["total"]`` says how many matched."""
    moved = comparison.moved
    rows = comparison.shared[moved]
    frame = pd.DataFrame({"id": rows, "text": texts.reindex(rows).fillna("").astype(str).to_numpy(),
                          "from": [comparison.a.names.get(int(c), str(c)) for c in comparison.a_labels[moved]],
                          "to": [comparison.b.names.get(int(c), str(c)) for c in comparison.b_labels[moved]]})
    if query.strip():
        frame = frame[frame["text"].str.contains(query.strip(), case=False, regex=False)]
    total = len(frame)
    frame = frame.head(limit).reset_index(drop=True)
    frame.attrs["total"] = total
    return frame


def describe_settings(settings: dict[str, Any]) -> str:
    """A version's settings in a few words: ``k=4 · fraction 0.10 · K-Means checked by words · Refine``."""
    data, cluster = settings.get("data") or {}, settings.get("cluster") or {}
    encoder, refine = settings.get("encoder") or {}, settings.get("refine") or {}
    method = {m.name: m.short for m in METHODS.values()}
    parts = [f"k={cluster.get('k', '?')}", f"fraction {float(data.get('fraction', 0)):.2f}",
             method.get(cluster.get("method", ""), str(cluster.get("method", "")))]
    if encoder:
        parts.append(f"{encoder.get('objective', '?')}, latent {encoder.get('latent', '?')}")
    parts.append("Refine on" if refine.get("enabled") else "Refine off")
    if settings.get("seed", 42) != 42:
        parts.append(f"seed {settings['seed']}")
    model = (settings.get("embed") or {}).get("model")
    if model and embedder_for_model(str(model)) != DEFAULT_EMBEDDER:  # another embedder than the default's
        choice = embedder_for_model(str(model))
        parts.append(f"embedder {EMBEDDERS[choice].label if choice else model}")
    if "vectors" in settings:
        parts.append("vectors from a file")
    return " · ".join(parts)


def version_title(version: Version, current: str | None = None) -> str:
    """How a version is listed: its name (else its settings), edited or not, and when it last changed."""
    label = version.name or describe_settings(version.settings)
    edited = ", edited" if version.edited else ""
    now = " (shown now)" if version.id == current else ""
    return f"{label}{edited}{now} · {_when(version.updated)}"


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp
