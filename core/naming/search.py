"""Finding texts: by meaning (cosine on the raw embeddings), by words, and each text's nearest texts;
and thinning by confidence (the least typical texts of a cluster).

Plain numpy over arrays the run already holds: the (n, dim) L2-normalised embeddings and the (n,)
confidence of :func:`core.tables.export.confidence`. The only model call is embedding the query, with the
embedder the run already loaded (so a query never loads a model).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from core.embedding.embed import Embedder

log = logging.getLogger(__name__)

#: A query is cut to this many characters (the model reads at most 256 word pieces anyway, about
#: 1,000 characters of English): a pasted article is searched by its beginning, with a notice.
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class Query:
    """A cleaned query: ``text`` (stripped, at most ``MAX_QUERY_CHARS``), and ``notice`` (a line for
    the user when the query was cut, else None)."""

    text: str
    notice: str | None = None


def clean_query(raw: str | None) -> Query | None:
    """``raw`` stripped and capped at :data:`MAX_QUERY_CHARS`; None for an empty (or blank) query,
    which means "no search": the caller shows the map as it was."""
    text = " ".join(str(raw or "").split())
    if not text:
        return None
    if len(text) > MAX_QUERY_CHARS:
        return Query(text[:MAX_QUERY_CHARS], f"The query is {len(text):,} characters long; only its first "
                                             f"{MAX_QUERY_CHARS:,} are searched.")
    return Query(text)


def embed_query(embedder: Embedder, query: Query) -> np.ndarray:
    """The (dim,) unit vector of ``query`` from the run's own ``embedder`` (same model and backend as
    the corpus' vectors, so cosines between them mean what they mean inside the corpus)."""
    vector = np.asarray(embedder.encode([query.text], batch_size=1), dtype=np.float32)[0]
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def top_cosine(vectors: np.ndarray, query: np.ndarray, n: int, *, keep: np.ndarray | None = None,
               unit_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` rows of (N, dim) ``vectors`` most similar to the (dim,) ``query`` by cosine.

    Returns (rows (m,), similarities (m,)) sorted by similarity, highest first (ties by row), with
    m = min(n, rows allowed). ``keep`` (N,) bool limits the candidates (e.g. texts above a confidence
    floor). Each row is divided by its norm, unless ``unit_rows`` says they are unit vectors already
    (an embedder's output is), which halves the work.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    query = np.asarray(query, dtype=np.float32).ravel()
    sims = vectors @ (query / max(float(np.linalg.norm(query)), 1e-12))
    if not unit_rows:
        sims /= np.maximum(np.sqrt(np.einsum("ij,ij->i", vectors, vectors)), 1e-12)
    candidates = np.arange(len(vectors)) if keep is None else np.flatnonzero(keep)
    n = max(0, min(int(n), len(candidates)))
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    scores = sims[candidates]
    if n < len(candidates):  # argpartition: O(N) for the top n, then sort only those
        part = np.argpartition(-scores, n - 1)[:n]
    else:
        part = np.arange(len(candidates))
    order = np.lexsort((candidates[part], -scores[part]))
    rows = candidates[part][order]
    return rows.astype(np.int64), sims[rows].astype(np.float32)


def nearest_to_row(vectors: np.ndarray, row: int, n: int = 10, *, keep: np.ndarray | None = None,
                   unit_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` texts nearest to text ``row`` by cosine (the text itself excluded), as :func:`top_cosine`."""
    allowed = np.ones(len(vectors), bool) if keep is None else np.asarray(keep, bool).copy()
    allowed[row] = False
    return top_cosine(vectors, vectors[row], n, keep=allowed, unit_rows=unit_rows)


def words_of(query: str) -> list[str]:
    """The distinct lower-case words of ``query`` (letters, digits, inner apostrophes and hyphens)."""
    return list(dict.fromkeys(re.findall(r"\w+(?:['\-]\w+)*", str(query).lower())))


def contains_words(texts: list[str] | np.ndarray, query: str) -> np.ndarray:
    """(N,) bool: texts containing every word of ``query`` as a whole word, case-insensitive.

    An empty query (no words) matches nothing; the caller treats it as "no filter"."""
    words = words_of(query)
    if not words:
        return np.zeros(len(texts), bool)
    patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)") for w in words]
    return np.fromiter((all(p.search(t) for p in patterns) for t in (str(t).lower() for t in texts)),
                       dtype=bool, count=len(texts))


def least_typical(confidence: np.ndarray, labels: np.ndarray, cluster: int, n: int = 5, *,
                  keep: np.ndarray | None = None) -> np.ndarray:
    """The rows of ``cluster`` with the lowest (n,) ``confidence`` (at most ``n``), lowest first.

    ``labels`` (N,) cluster ids; ``keep`` (N,) bool limits the rows (the texts not hidden)."""
    mask = np.asarray(labels) == cluster
    if keep is not None:
        mask &= np.asarray(keep, bool)
    rows = np.flatnonzero(mask)
    return rows[np.lexsort((rows, np.asarray(confidence)[rows]))][:n]
