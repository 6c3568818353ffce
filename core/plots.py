"""Plotly figures built from arrays: the cluster map, the loss curve, the k sweep, the confusion matrix."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D",
           "#BAB0AC", "#EECA3B", "#1F77B4", "#8C564B", "#17BECF", "#BCBD22", "#7F7F7F", "#D62728",
           "#9467BD", "#2CA02C", "#FF7F0E", "#AEC7E8"]


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def map_figure(xy: np.ndarray, groups: np.ndarray, names: dict, hover: list[str], ids: np.ndarray,
               *, title: str = "") -> go.Figure:
    """A WebGL scatter of (n, 2) ``xy``, one trace per group (legend ``names[group]``).

    Each point carries its row id in ``customdata`` so a selection can be mapped back to articles.
    Names and hover texts are escaped: Plotly would otherwise render HTML (links) found in articles.
    ``groups`` are the values to colour by (cluster ids or label strings); traces follow ``names``' order.
    """
    fig = go.Figure()
    for i, (group, name) in enumerate(names.items()):
        rows = np.flatnonzero(groups == group)
        if not len(rows):
            continue
        fig.add_trace(go.Scattergl(
            x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=_escape(name),
            marker={"size": 5, "opacity": 0.75, "color": colour(int(group) if str(group).isdigit() else i)},
            # an object array skips Plotly's per-element validation of a list (7x faster to build)
            customdata=ids[rows].reshape(-1, 1), text=np.array([_escape(hover[r]) for r in rows], dtype=object),
            hovertemplate="%{text}<extra>" + _escape(name) + "</extra>"))
    fig.update_layout(title=title, dragmode="select", height=620, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant"}, xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def loss_figure(history: list[float]) -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(1, len(history) + 1), y=history, mode="lines+markers"))
    fig.update_layout(xaxis_title="epoch", yaxis_title="training loss", height=320,
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def sweep_figure(ks: list[int], silhouettes: list[float], dbs: list[float], suggested: int | None) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ks, y=silhouettes, name="silhouette (higher is better)", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=ks, y=dbs, name="Davies-Bouldin (lower is better)", mode="lines+markers",
                             yaxis="y2"))
    if suggested is not None:
        fig.add_vline(x=suggested, line_dash="dash", annotation_text=f"suggested k={suggested}")
    fig.update_layout(xaxis_title="k", yaxis={"title": "silhouette"},
                      yaxis2={"title": "Davies-Bouldin", "overlaying": "y", "side": "right"},
                      height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"})
    return fig


def confusion_figure(table: np.ndarray, cluster_names: list[str], label_names: list[str]) -> go.Figure:
    label_names, cluster_names = [_escape(n) for n in label_names], [_escape(n) for n in cluster_names]
    fig = go.Figure(go.Heatmap(z=table, x=label_names, y=cluster_names, colorscale="Blues",
                               text=table, texttemplate="%{text}", hovertemplate="%{y} / %{x}: %{z}<extra></extra>"))
    fig.update_layout(xaxis_title="true label", yaxis_title="cluster", height=120 + 36 * len(cluster_names),
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in labels: show names literally."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
