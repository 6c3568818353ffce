"""The number of clusters: a slider and a number box for the same k, its range for the data in use,
and where a data source starts (its own last k in this session, a link's, or a suggestion).

The range is ``core.clustering.k_choice.K_RANGE`` (the link parser reads the same constant), cut to ``n // 5``
for ``n`` texts. A data source the session has not shown yet starts at ``core.clustering.k_choice``'s quick
suggestion, computed from its embeddings once the first view of it exists (:func:`settle`: the page
then reruns at the suggested k; only the clustering is redone), and the sidebar says why.
"""
from __future__ import annotations

import logging
import os

import streamlit as st

from core.config import ClusterConfig, DataConfig, RunConfig
from core.clustering.k_choice import K_RANGE, k_max

from . import _cached as cached
from . import _state as S
from ._safe import plain

log = logging.getLogger(__name__)

#: Start each new data source at a suggested k (tests turn it off, as they do the background pass).
SUGGEST = os.environ.get("CLUSTERLENS_SUGGEST_K", "1") != "0"
PENDING = "k_pending"  # session state: the data key whose first view waits for its suggestion
SHOWN_FOR = "k_source"  # session state: the data key the k widgets were last drawn for
APPLY = "k_apply"       # session state: a suggested k for the widgets to take on the next run
FROM_LINK = "k_from_link"  # session state: the session's first k came from a link (kept for its data)


def _sample_size(source) -> int | None:
    """How many texts the sidebar's settings sample from ``source`` (None when it cannot be read: the
    page says why)."""
    if source is None:
        return None
    state = st.session_state
    fraction = state.get(f"{S.FRACTION}:{source.key}")
    try:
        data = DataConfig(source=source.key, text_col=source.text_col, label_col=source.label_col,
                          fraction=float(fraction) if fraction is not None else 1.0)
        if fraction is None:
            return None
        _, corpus = cached.bench().corpus(source, RunConfig(data=data, seed=int(state.get(S.SEED, RunConfig.seed))))
    except Exception:  # the page shows the problem, with its message
        return None
    return len(corpus)


def _start(source) -> None:
    """Before the widgets, when the data source changed: its own k, a link's, else a pending suggestion."""
    state = st.session_state
    if SHOWN_FOR not in state:  # the session's first run: a k already set is a link's
        state[SHOWN_FOR] = None
        state[FROM_LINK] = S.K in state
    key = source.key if source is not None else None
    if key is None or state[SHOWN_FOR] == key:  # no data yet (an upload awaited), or the same data
        return
    state[SHOWN_FOR] = key
    chosen = state.setdefault(S.K_CHOSEN, {})
    if key in chosen:
        state[S.K] = chosen[key]
    elif state.pop(FROM_LINK, False):  # the link's k, for the first data shown (the data it names)
        chosen[key] = state[S.K]
    elif SUGGEST:
        suggested = state.get(S.K_SUGGESTED, {}).get(key)
        if suggested:
            state[S.K] = suggested[0]
        else:
            state[S.K] = ClusterConfig.k  # until the suggestion is known (the first view of the data)
            state[PENDING] = key
    else:
        state[S.K] = ClusterConfig.k


def _copy(src: str, dst: str) -> None:
    st.session_state[dst] = st.session_state[src]


def k_widgets(source) -> int:
    """The k slider and the number box beside it (the same k), within ``2..min(200, n // 5)``."""
    state = st.session_state
    _start(source)
    if APPLY in state:
        state[S.K] = state.pop(APPLY)
    top = k_max(_sample_size(source))
    low = K_RANGE.start
    k = int(state.get(S.K, ClusterConfig.k))
    if not low <= k <= top:
        if k > top:
            st.caption(f"k lowered from {k} to {top}: at most a fifth of the texts in use.")
        k = min(max(k, low), top)
    state[S.K] = state[S.K_BOX] = k
    help_k = (f"The number of clusters, {low} to {top} for these texts (at most {K_RANGE.stop - 1}, and at most a "
              "fifth of the texts). Type a number in the box, or drag.")
    slider, box = st.columns([3, 1], vertical_alignment="bottom")
    slider.slider("Clusters (k)", low, top, key=S.K, on_change=_copy, args=(S.K, S.K_BOX), help=help_k)
    box.number_input("k", low, top, step=1, key=S.K_BOX, on_change=_copy, args=(S.K_BOX, S.K),
                     label_visibility="collapsed", help=help_k)
    k = int(state[S.K])
    if source is not None:
        state[S.K_CHOSEN][source.key] = k
        suggested = state.get(S.K_SUGGESTED, {}).get(source.key)
        if state.get(PENDING) == source.key:
            st.caption("A k for this data is suggested once its embeddings are ready.")
        elif suggested:
            st.caption(f"Suggested for this data: k = {suggested[0]} ({plain(suggested[1])}).")
    return k


def settle(view) -> None:
    """After the first view of a data source that waits for its suggestion: the suggested k, and a
    rerun at it (the sidebar then shows it and why). Other views: nothing."""
    state = st.session_state
    key = view.source.key
    if not SUGGEST or state.get(PENDING) != key:
        return
    del state[PENDING]
    try:
        with st.spinner("Suggesting a k for this data (K-Means on a sample of its embeddings, k = 2..30) ..."):
            suggestion = cached.session().k_suggestion(view)
    except Exception:  # a suggestion is a nicety: the default k stays
        log.exception("no k suggestion")
        return
    state.setdefault(S.K_SUGGESTED, {})[key] = (suggestion.k, suggestion.reason)
    if state.get(S.K_CHOSEN, {}).get(key) == view.k:  # the user has not moved k meanwhile
        state[S.K_CHOSEN][key] = suggestion.k
        state[APPLY] = suggestion.k  # the k widgets are drawn already: they take it on the rerun
    st.rerun()  # the sidebar says why (at the same k, the rerun reads everything from the caches)
