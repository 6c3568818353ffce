"""The map: the 2-D projection coloured by cluster, metric cards, and the articles behind a selection."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.csv_export import safe_csv
from core.export import export_name
from core.landmarks import map_title
from core.map_points import MAX_DRAWN, drawn_rows, hover_titles
from core.pipeline import ClusterStage
from pages import _link, _mapchart, _search
from pages import _state as S
from pages._colour import colour_by, show_only
from pages._common import assignments, delta, fmt, page_view
from pages._refine import summary as refine_summary
from pages._safe import plain
from pages._view import baseline
from pages._selection import remember

view = page_view(provisional=True)
corpus, scores = view.corpus, view.clusters.scores
st.title("Map")
st.caption(f"{len(corpus):,} texts from {plain(view.source.label)} · {plain(view.cfg.embed.model)} "
           f"({plain(view.embedded.backend)}) · "
           f"encoder objective '{view.cfg.encoder.objective}', latent {view.cfg.encoder.latent} · k = {view.k}")
HINT = ("**Drag a box or lasso** on the map, or **click a point**, to list its articles below; "
        "change **k** (the number of clusters) in the sidebar.")


def cards(slots: list, base: ClusterStage | None) -> None:
    """The metric cards; each change is against K-Means on the raw embeddings (``base``; None: still computing)."""
    b = base.scores if base else None
    wait = " (K-Means on the raw embeddings for this k is still being computed)" if base is None else ""

    def change(key: str) -> dict:
        if b is None:  # a visible cue on the card, not only in its tooltip
            return {"delta": "computing the change ...", "delta_color": "off", "delta_arrow": "off"}
        return {"delta": delta(getattr(scores, key), getattr(b, key))}

    slots[0].metric("Silhouette (latent space)", fmt(scores.silhouette), **change("silhouette"),
                    help="Higher is better. Change against K-Means on the raw embeddings (its silhouette in the "
                         f"raw space, {fmt(b.silhouette if b else None)}){wait}. These clusters measured on the raw "
                         f"embeddings (cosine): {fmt(scores.silhouette_raw)}.")
    dbi = change("davies_bouldin")
    dbi.setdefault("delta_color", "inverse")
    slots[1].metric("Davies-Bouldin (latent space)", fmt(scores.davies_bouldin), **dbi,
                    help="Lower is better. Change against K-Means on the raw embeddings "
                         f"({fmt(b.davies_bouldin if b else None)}){wait}. On the raw embeddings: "
                         f"{fmt(scores.davies_bouldin_raw)}.")
    if scores.acc is not None:
        for slot, name, key in zip(slots[2:], ("ACC", "NMI", "ARI"), ("acc", "nmi", "ari")):
            slot.metric(f"{name} vs labels", fmt(getattr(scores, key)), **change(key),
                        help=f"Agreement with the label column '{plain(corpus.label_col)}' (labels only evaluate). "
                             f"Change against K-Means on the raw embeddings ({fmt(getattr(b, key) if b else None)})"
                             f"{wait}.")


def metric_cards() -> None:
    """The cards under one caption; the baseline's changes follow when it is not cached yet (it is
    K-Means on the 384-d embeddings, the slowest part of a change of k), with a cue on each card."""
    st.caption("Each card's small figure is its change against K-Means on the raw embeddings with the same k: "
               "green is better, red is worse.")
    slots = [column.empty() for column in st.columns(5 if scores.acc is not None else 2)]
    ready = view.baseline_if_ready()
    cards(slots, ready)
    if ready is None:
        cards(slots, baseline(view))
    refine_summary(view)


if view.xy is None:
    st.info("Too few texts to draw a map; raise the sample fraction in the sidebar.")
    metric_cards()
    st.stop()

frame = corpus.frame
hint, colour_column, floor_column = st.columns([2, 1, 1], vertical_alignment="center")
hint.markdown(":material/touch_app: " + HINT)
colouring = colour_by(view, colour_column)  # the clusters, the label, any other column, or the confidence
conf = _search.confidence(view)
keep = _search.visible(conf, floor_column)  # texts below the confidence floor are neither drawn nor listed
found = _search.controls(view, conf, keep)  # what a search highlights (None: no search)

rows = drawn_rows(view.labels, view.cfg.seed)  # every point up to MAX_DRAWN, else a stratified sample
if len(rows) < len(frame):
    st.caption(f"Showing {len(rows):,} of {len(frame):,} points (a stratified sample: the map draws at most "
               f"{MAX_DRAWN:,}); selections list only drawn points.")
kept, only = show_only(corpus)  # the sidebar's "Show only"
rows = rows[keep[rows] & kept[rows]]
if only:
    st.caption(plain(only))
fig = colouring.figure(view.xy[rows], rows, hover_titles(frame["title"].to_numpy()[rows]),
                       map_title(view.cfg.project.method, len(frame)),
                       highlight=None if found is None else found.mask[rows], confidence=conf[rows])
event = _mapchart.chart(fig, key=S.MAP_CHART)  # Plotly.js in the page, the points sent as binary arrays
metric_cards()
_search.results(found)


def _row_id(point: dict) -> int | None:
    """A point's row id from ``customdata`` (a list, or in the browser a dict keyed "0")."""
    data = point.get("customdata")
    if isinstance(data, dict):
        data = data.get("0", next(iter(data.values()), None))
    if isinstance(data, (list, tuple)):
        data = data[0] if data else None
    try:
        return int(data) if data is not None else None
    except (TypeError, ValueError):
        return None


points = (event or {}).get("selection", {}).get("points", []) if event else []
selected = sorted({r for r in map(_row_id, points) if r is not None and 0 <= r < len(frame)})
if not selected:
    st.stop()
table = pd.DataFrame({"cluster": view.labels[selected], "title": frame["title"].to_numpy()[selected],
                      "text": frame["text"].to_numpy()[selected]})
if corpus.label_col:
    table["label"] = frame["label"].to_numpy()[selected]
st.subheader(f"{len(selected):,} selected articles")
if len(selected) == 1:
    _search.nearest_button(view, selected[0])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"text": st.column_config.TextColumn(width="large")})
export = assignments(view).iloc[selected]
st.download_button("Download the selection (CSV)", safe_csv(export),
                   export_name(corpus.source, view.k, "selection", "csv"), "text/csv", icon=":material/download:",
                   on_click="ignore")  # a download needs no rerun
top = int(pd.Series(view.labels[selected]).mode().iloc[0])
_link.focus_on(view, top)  # the Clusters page opens this one; the link names it while the data stay
remember(view, selected)  # and lists the selection itself
# a link, not st.switch_page: browser-side navigation keeps every sidebar setting
st.page_link("pages/clusters.py", label=f"Open the selection and cluster {plain(view.name(top))} on the Clusters page",
             icon=":material/arrow_forward:")
