"""The Map page's search (by meaning, by words, a point's nearest texts) and the confidence floor
shared by the Map and Clusters pages. The logic is ``core.naming.search``; this module lays out widgets.

The map page calls, in order: :func:`confidence_floor` and :func:`controls` before drawing the map
(they decide which points are drawn and which are highlighted), :func:`results` under the map, and
:func:`nearest_button` when one point is selected.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core.naming import search
from core.tables.export import confidence as margin_confidence

from . import _cached as cached
from . import _state as S
from ._safe import plain
from ._view import View

log = logging.getLogger(__name__)

NEAREST_N = 10
DEFAULT_N = 50


@dataclass(frozen=True)
class Found:
    """What a search found: ``mask`` (n,) bool of the highlighted texts, ``table`` the rows to list
    (best first), ``heading`` what was searched, ``notice`` a line for the user (or None)."""

    mask: np.ndarray
    table: pd.DataFrame
    heading: str
    notice: str | None = None


def confidence(view: View) -> np.ndarray:
    """(n,) confidence of each text in its cluster (the exported one: ``core.tables.export.confidence``)."""
    return margin_confidence(view.latent, view.clusters.clustering.centers)


def _keep_across_pages(key: str) -> None:
    """A widget's value survives a page without that widget (Streamlit drops unrendered widgets' state)."""
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]


def visible(conf: np.ndarray, container=st) -> np.ndarray:
    """(n,) bool: the texts at or above the slider "Hide texts below confidence" (shared by the Map
    and Clusters pages; 0 shows all), with a line saying how many are hidden."""
    floor = confidence_floor(container)
    keep = conf >= floor if floor > 0 else np.ones(len(conf), bool)
    if not keep.all():
        container.caption(f"{int((~keep).sum()):,} of {len(keep):,} texts hidden (confidence below {floor:.2f}).")
    return keep


def confidence_floor(container=st) -> float:
    """The slider "Hide texts below confidence"; 0 shows all."""
    _keep_across_pages(S.MIN_CONFIDENCE)
    return float(container.slider(
        "Hide texts below confidence", 0.0, 1.0, step=0.05, key=S.MIN_CONFIDENCE,
        help="Each text's confidence is the margin between its two nearest cluster centres in the latent space "
             "(0: on the border between two clusters, 1: at its centre); it is the 'confidence' column of the "
             "exported assignments. Texts below this value are hidden from the map and the lists; 0 shows all."))


def _forget_nearest() -> None:
    st.session_state.pop(S.NEAREST_OF, None)


def _table(view: View, rows: np.ndarray, conf: np.ndarray, similarity: np.ndarray | None = None) -> pd.DataFrame:
    frame = view.corpus.frame
    table = pd.DataFrame({"cluster": [view.name(int(c)) for c in view.labels[rows]],
                          "confidence": np.round(conf[rows], 3), "text": frame["text"].to_numpy()[rows]})
    if similarity is not None:
        table.insert(0, "similarity", np.round(similarity.astype(np.float64), 3))
    return table


def controls(view: View, conf: np.ndarray, keep: np.ndarray) -> Found | None:
    """The search widgets; returns what to highlight, or None (no search: the map as it is).

    ``conf`` (n,) confidences; ``keep`` (n,) bool: the texts above the confidence floor (only they
    are searched). A meaning query and words combine: the nearest texts among those with the words."""
    left, middle, right = st.columns([3, 1, 2])
    raw = left.text_input("Search by meaning", key=S.SEARCH_QUERY, on_change=_forget_nearest,
                          placeholder="e.g. central banks raise interest rates",
                          help="Texts nearest in meaning to what you type (cosine on the raw embeddings of "
                               f"{view.cfg.embed.model}). Clear the box to restore the map.")
    n = int(middle.number_input("Nearest texts", 1, 1000, DEFAULT_N, key=S.SEARCH_N,
                                help="How many of the nearest texts a search highlights and lists."))
    words = right.text_input("Contains words", key=S.SEARCH_WORDS, on_change=_forget_nearest,
                             placeholder="e.g. oil prices",
                             help="Texts containing every one of these words (whole words, any case).")
    query = search.clean_query(raw)
    has_words = bool(search.words_of(words))
    if has_words:
        keep = keep & search.contains_words(view.corpus.texts, words)
    if query is not None:
        vector = search.embed_query(cached.session().search_embedder(view), query)
        rows, sims = search.top_cosine(view.embedded.vectors, vector, n, keep=keep, unit_rows=True)
        what = f"the {len(rows):,} texts nearest in meaning to '{plain(query.text[:80])}'"
        return Found(_mask(len(keep), rows), _table(view, rows, conf, sims),
                     what + (f" among those containing '{plain(words)}'" if has_words else ""), query.notice)
    if has_words:
        rows = np.flatnonzero(keep)
        return Found(keep.copy(), _table(view, rows, conf), f"the {len(rows):,} texts containing '{plain(words)}'")
    return _nearest(view, conf, keep)


def _mask(n: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, bool)
    mask[rows] = True
    return mask


def _nearest(view: View, conf: np.ndarray, keep: np.ndarray) -> Found | None:
    """The 10 nearest texts of the point chosen with "Texts nearest this one" (and the point itself)."""
    chosen = st.session_state.get(S.NEAREST_OF)
    if not chosen or chosen[0] != view.keys["sample"] or not 0 <= chosen[1] < len(keep):
        return None
    row = int(chosen[1])
    rows, sims = search.nearest_to_row(view.embedded.vectors, row, NEAREST_N, keep=keep, unit_rows=True)
    mask = _mask(len(keep), rows)
    mask[row] = True
    title = str(view.corpus.frame["title"].iat[row])
    return Found(mask, _table(view, rows, conf, sims), f"the {len(rows)} texts nearest to '{plain(title[:80])}'")


def results(found: Found | None) -> None:
    """Under the map: what a search found, best first (or that it found nothing)."""
    if found is None:
        return
    if found.notice:
        st.info(found.notice, icon=":material/content_cut:")
    if not len(found.table):
        st.warning("No texts match this search. Try other words, or lower 'Hide texts below confidence'.")
        return
    st.subheader("Search results")
    st.caption(f"Highlighted on the map: {found.heading}.")
    if S.NEAREST_OF in st.session_state:
        st.button("Clear the nearest texts", on_click=_forget_nearest, icon=":material/close:")
    st.dataframe(found.table, hide_index=True, width="stretch",
                 column_config={"text": st.column_config.TextColumn(width="large")})


def nearest_button(view: View, row: int) -> None:
    """For one selected point: a button that highlights its 10 nearest texts."""
    def choose() -> None:
        st.session_state[S.NEAREST_OF] = (view.keys["sample"], int(row))
        st.session_state[S.SEARCH_QUERY] = ""  # one search at a time: the nearest texts replace a query
        st.session_state[S.SEARCH_WORDS] = ""

    st.button("Texts nearest this one", on_click=choose, icon=":material/hub:",
              help=f"Highlight the {NEAREST_N} texts nearest in meaning to this one on the map, and list them.")


def least_typical(view: View, conf: np.ndarray, keep: np.ndarray, cluster: int, n: int = 5) -> None:
    """In a cluster's section: its ``n`` least typical texts (lowest confidence, among those not hidden)."""
    rows = search.least_typical(conf, view.labels, cluster, n, keep=keep)
    if not len(rows):
        return
    st.markdown("**Least typical texts** (lowest confidence: nearest the border with another cluster)")
    titles = view.corpus.frame["title"].to_numpy()
    for row in rows:
        st.text(f"{conf[row]:.2f} · {titles[row]}")  # confidence, headline; text, never Markdown/HTML
