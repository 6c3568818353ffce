"""The Map page's metric cards: each compares like with like, these clusters against K-Means on the raw
embeddings with the same k, both measured on the same embeddings; the latent space's own figures
(where the map is drawn) are shown apart and named so."""
from __future__ import annotations

import streamlit as st

from core.clustering.cluster import same_partition
from core.session.view import ClusterStage

from ._common import fmt
from ._refine import summary as refine_summary
from ._safe import plain
from ._view import baseline

ZERO = 0.0005  # a change that rounds to 0.000 is no change: grey, no arrow


def change(value: float | None, base: float | None, *, lower_is_better: bool = False) -> dict:
    """``st.metric``'s delta arguments for ``value`` against ``base`` (None: still computing)."""
    if base is None:  # a visible cue on the card, not only in its tooltip
        return {"delta": "computing the change ...", "delta_color": "off", "delta_arrow": "off"}
    if value is None:
        return {}
    diff = value - base
    if abs(diff) < ZERO:
        return {"delta": "no change (0.000)", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": f"{diff:+.3f}", "delta_color": "inverse" if lower_is_better else "normal"}


def cards(view, slots: list, base: ClusterStage | None) -> None:
    """The metric cards, each like with like: these clusters and K-Means on the raw embeddings with the
    same k (``base``; None: still computing), both measured on the same embeddings."""
    scores, corpus = view.clusters.scores, view.corpus
    b = base.scores if base else None
    wait = " (K-Means on the raw embeddings for this k is still being computed)" if base is None else ""
    same = ""
    if base is not None and view.cfg.cluster.method == "coview" and not view.edited and \
            same_partition(view.labels, base.clustering.labels):
        same = (" These clusters are K-Means' own: the texts' words moved no text from the K-Means partition "
                "(too few texts, or no clear evidence), so every change is zero.")
    refined = (" With Refine on, these clusters are measured on the refined embeddings, K-Means on the original "
               "ones." if view.result.refine is not None else "")
    slots[0].metric("Silhouette (embeddings)", fmt(scores.silhouette_raw),
                    **change(scores.silhouette_raw, b.silhouette_raw if b else None),
                    help="Higher is better. These clusters on the raw embeddings (cosine), against K-Means on the "
                         f"same embeddings with the same k ({fmt(b.silhouette_raw if b else None)}){wait}.{same}"
                         f"{refined}")
    slots[1].metric("Davies-Bouldin (embeddings)", fmt(scores.davies_bouldin_raw),
                    **change(scores.davies_bouldin_raw, b.davies_bouldin_raw if b else None, lower_is_better=True),
                    help="Lower is better. These clusters on the raw embeddings (L2-normalised), against K-Means on "
                         f"the same embeddings with the same k ({fmt(b.davies_bouldin_raw if b else None)}){wait}."
                         f"{same}{refined}")
    if scores.acc is not None:
        for slot, name, key in zip(slots[2:], ("ACC", "NMI", "ARI"), ("acc", "nmi", "ari")):
            slot.metric(f"{name} vs labels", fmt(getattr(scores, key)),
                        **change(getattr(scores, key), getattr(b, key) if b else None),
                        help=f"Agreement with the label column '{plain(corpus.label_col)}' (labels only evaluate). "
                             f"Change against K-Means on the raw embeddings ({fmt(getattr(b, key) if b else None)})"
                             f"{wait}.{same}")


def metric_cards(view) -> None:
    """The cards under one caption; the baseline's changes follow when it is not cached yet (it is
    K-Means on the 384-d embeddings, the slowest part of a change of k), with a cue on each card."""
    st.caption("Each card's small figure is its change against K-Means on the raw embeddings with the same k, "
               "measured the same way: green is better, red is worse, grey is no change.")
    scores = view.clusters.scores
    slots = [column.empty() for column in st.columns(5 if scores.acc is not None else 2)]
    ready = view.baseline_if_ready()
    cards(view, slots, ready)
    if ready is None:
        cards(view, slots, baseline(view))
    st.caption(f"In the encoder's latent space, where the map is drawn: silhouette {fmt(scores.silhouette)} · "
               f"Davies-Bouldin {fmt(scores.davies_bouldin)} (the encoder's own space: K-Means on the raw embeddings "
               "has no figure there to compare with).")
    refine_summary(view)
