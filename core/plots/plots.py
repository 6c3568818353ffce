"""Plotly figures built from arrays: the cluster map, the loss curve, the k sweep, the confusion matrix."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from scipy.optimize import linear_sum_assignment

from core.plots import palette
from core.plots.map_labels import extent

PALETTE = list(palette.PALETTE)  # 40 colours a person can tell apart (core/plots/palette.py); they repeat above
DIMMED = "dimmed"   # the ``meta`` of a map trace holding the points a highlight leaves out
DIM_OPACITY = 0.12
# The Plotly.js config every chart of the app is drawn with (the Map page's component and each
# st.plotly_chart): a mode bar without its links out of the machine. Plotly.js 4 (the plotly package's)
# adds a "Share chart..." button (``sendChartToCloud``: it uploads the figure, hover texts included, to
# Plotly Cloud) unless ``showSendToCloud`` is false, and a "Produced with Plotly.js" link to plotly.com
# unless ``displaylogo`` is false; an empty ``plotlyServerURL`` leaves an upload nowhere to go even if a
# later version brings the button back under another switch. The image download stays: it is local.
CHART_CONFIG: dict = {"displaylogo": False, "showSendToCloud": False, "plotlyServerURL": "",
                      "modeBarButtonsToRemove": ["sendChartToCloud"]}


def colour(i: int) -> str:
    return palette.colour(i)


def group_colour(group, i: int, colours: dict | None = None) -> str:
    """A map group's colour: ``colours[group]``, else the palette's at an integer group (a cluster id),
    else the palette's at the group's position ``i`` (a label is never read as a number: ``'²'.isdigit()``)."""
    if colours and group in colours:
        return colours[group]
    return colour(int(group) if isinstance(group, (int, np.integer)) else i)


def point_size(n: int) -> int:
    """Marker size (px) for a map of ``n`` points: 5 at 2,000, larger for fewer (11 at 100 or fewer),
    smaller for more (at least 4): a 100-text file is not three specks."""
    return int(np.clip(round(5 * (2000 / max(n, 1)) ** 0.25), 4, 11))


def label_colours(labels: np.ndarray, clusters: np.ndarray) -> dict[str, str]:
    """A colour per label value: the colour of the cluster it is matched to, so that colouring the map
    by label and by cluster agree where they agree.

    ``labels`` (n,) strings and ``clusters`` (n,) int ids. Labels are matched one-to-one to the
    clusters they overlap most (Hungarian on the contingency table, as ACC does); a label left
    over (more labels than clusters) takes a palette colour no cluster uses.
    """
    values, codes = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    ids, cluster_codes = np.unique(clusters, return_inverse=True)
    table = np.zeros((len(values), len(ids)), dtype=np.int64)
    np.add.at(table, (codes, cluster_codes), 1)
    rows, cols = linear_sum_assignment(-table)
    out = {str(values[r]): colour(int(ids[c])) for r, c in zip(rows, cols)}
    spare = iter(range(int(ids.max()) + 1 if len(ids) else 0, 10_000))
    for value in values:
        out.setdefault(str(value), colour(next(spare)))
    return out


def map_figure(xy: np.ndarray, groups: np.ndarray, names: dict, hover: list[str], ids: np.ndarray,
               *, title: str = "", colours: dict | None = None, highlight: np.ndarray | None = None,
               values: np.ndarray | None = None, values_name: str = "confidence") -> go.Figure:
    """A WebGL scatter of (n, 2) ``xy``, one trace per group (legend ``names[group]``).

    Each point carries its row id in ``customdata`` so a selection can be mapped back to texts.
    Names and hover texts are escaped: Plotly would otherwise render HTML (links) found in articles.
    ``groups`` are the values to colour by (cluster ids or label strings); traces follow ``names``' order.
    A group's colour is ``colours[group]``, else the palette's at an integer group (a cluster id), else
    the palette's at the trace's position (a label is never read as a number: ``'²'.isdigit()``).

    ``highlight`` (n,) bool, optional: the True points are drawn large and opaque on top, the others
    small and faint (each group becomes a faint trace, named ``DIMMED``, under a bright one; the pair
    shares one legend entry). ``values`` (n,) floats in [0, 1], optional: points are coloured on a
    continuous scale (titled ``values_name``) instead of by group; the groups still make the traces.
    """
    fig = go.Figure()
    on_top = []
    highlight = None if highlight is None else np.asarray(highlight, dtype=bool)
    size = point_size(len(xy))
    for i, (group, name) in enumerate(names.items()):
        rows = np.flatnonzero(groups == group)
        if not len(rows):
            continue
        color = group_colour(group, i, colours)
        parts = [(rows, size, 0.75, None)] if highlight is None else \
            [(rows[~highlight[rows]], max(3, size - 1), DIM_OPACITY, DIMMED), (rows[highlight[rows]], size + 3, 0.95, None)]
        legend_on = parts[-1][0] if len(parts[-1][0]) else parts[0][0]  # one legend entry per group
        # a group's traces share its legend group (its position in ``names``): the map's frame zooms to it
        # when its legend entry is clicked; a highlight's pair of traces keeps one entry, in names' order
        paired = {"legendgroup": str(i)} | ({} if highlight is None else {"legendrank": i + 1})
        for part, size, opacity, meta in parts:
            if not len(part):
                continue
            marker = {"size": size, "opacity": opacity, "color": color}
            if values is not None:
                marker.update(color=np.asarray(values, dtype=np.float64)[part], coloraxis="coloraxis")
            trace = go.Scattergl(
                x=xy[part, 0], y=xy[part, 1], mode="markers", name=_escape(name), showlegend=part is legend_on,
                meta=meta, marker=marker, **paired,
                # an object array skips Plotly's per-element validation of a list (much faster to build)
                customdata=ids[part].reshape(-1, 1), text=np.array([_escape(hover[r]) for r in part], dtype=object),
                hovertemplate="%{text}<extra>" + _escape(name) + "</extra>")
            if highlight is not None and meta is None:
                on_top.append(trace)
            else:
                fig.add_trace(trace)
    for trace in on_top:  # highlighted points are drawn over every faint one
        fig.add_trace(trace)
    _map_layout(fig, xy, title)
    if values is not None:  # a horizontal bar under the map: a vertical one would sit on the legend
        fig.update_layout(coloraxis={"colorscale": "Viridis", "cmin": 0.0, "cmax": 1.0, "colorbar": COLORBAR | {
            "title": {"text": _escape(values_name), "side": "top"}}}, margin={"b": 60})
    return fig


#: A colour scale's bar, horizontal under the map (the legend keeps the right-hand side to itself).
COLORBAR = {"orientation": "h", "thickness": 12, "len": 0.5, "x": 0.5, "xanchor": "center", "y": -0.02,
            "yanchor": "top"}


def _map_layout(fig: go.Figure, xy: np.ndarray, title: str, **more) -> None:
    """A map's layout: box select, no axes, and axes' ranges that the points fill (4% to spare each side;
    the labels' placement, ``core.plots.map_labels``, assumes the same ranges)."""
    ranges = extent(xy) if len(xy) else ((0.0, 1.0), (0.0, 1.0))
    fig.update_layout(title=title, dragmode="select", height=620, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant", "tracegroupgap": 0},
                      xaxis={"visible": False, "range": list(ranges[0])},
                      yaxis={"visible": False, "range": list(ranges[1])}, **more)


def loss_figure(history: list[float]) -> go.Figure:
    fig = go.Figure(go.Scatter(x=np.arange(1, len(history) + 1), y=history, mode="lines+markers"))
    fig.update_layout(xaxis_title="epoch", yaxis_title="training loss", height=320,
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def sweep_figure(ks: list[int], silhouettes: list[float], dbs: list[float], suggested: int | None,
                 *, acc: list[float | None] | None = None, nmi: list[float | None] | None = None,
                 n_labels: int | None = None) -> go.Figure:
    """Silhouette (left axis, with ACC and NMI against labels when given: all in [0, 1]) and
    Davies-Bouldin (right axis) for each k; the suggested k and the number of labels marked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ks, y=silhouettes, name="silhouette, latent space (higher is better)",
                             mode="lines+markers"))
    for name, values, dash in (("ACC vs labels", acc, "dot"), ("NMI vs labels", nmi, "dashdot")):
        if values is not None and any(v is not None for v in values):
            fig.add_trace(go.Scatter(x=ks, y=[np.nan if v is None else v for v in values], name=name,
                                     mode="lines+markers", line={"dash": dash}))
    fig.add_trace(go.Scatter(x=ks, y=dbs, name="Davies-Bouldin, latent space (lower is better)", mode="lines+markers",
                             yaxis="y2"))
    if suggested is not None:
        fig.add_vline(x=suggested, line_dash="dash", annotation_text=f"suggested: k={suggested}")
    if n_labels is not None and n_labels != suggested:
        fig.add_vline(x=n_labels, line_dash="dot", line_color="grey", annotation_text=f"{n_labels} labels",
                      annotation_position="bottom right")
    dense = len(ks) <= 30 and (not ks or max(ks) - min(ks) <= 30)  # a tick per k while they fit
    fig.update_layout(xaxis={"title": "k", "dtick": 1 if dense else None, "type": "linear"},
                      yaxis={"title": "silhouette (latent space)" + (", ACC, NMI" if acc else "")},
                      yaxis2={"title": "Davies-Bouldin", "overlaying": "y", "side": "right"},
                      height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"})
    return fig


def confusion_figure(table: np.ndarray, cluster_names: list[str], label_names: list[str], *,
                     x_title: str = "true label", y_title: str = "cluster") -> go.Figure:
    """A heatmap of an (n_clusters, n_labels) table: clusters down, labels (or another clustering's
    clusters, on the Compare page) across."""
    label_names, cluster_names = [_escape(n) for n in label_names], [_escape(n) for n in cluster_names]
    counts = table.size <= CONFUSION_COUNTS  # a count in each cell while they stay readable
    fig = go.Figure(go.Heatmap(z=table, x=label_names, y=cluster_names, colorscale="Blues",
                               text=table if counts else None, texttemplate="%{text}" if counts else None,
                               hovertemplate="%{y} / %{x}: %{z}<extra></extra>"))
    # categorical axes: labels "1".."4" would otherwise be read as numbers (ticks at 0.5, 1, 1.5, ...); the
    # caller orders them (numbers as numbers: core.tables.column_groups.natural_key)
    row = 36 if len(cluster_names) <= 20 else 16  # 77 or 150 clusters: a row each, every name readable
    fig.update_layout(xaxis={"title": x_title, "type": "category"},
                      yaxis={"title": y_title, "type": "category", "autorange": "reversed"},
                      height=120 + row * len(cluster_names),
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


#: Up to this many cells, the confusion matrix writes its counts in them (20 x 40); above, hover says them.
CONFUSION_COUNTS = 800


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in labels: show names literally."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def numeric_map_figure(xy: np.ndarray, values: np.ndarray, name: str, hover: list[str], ids: np.ndarray,
                       *, title: str = "", ticks: tuple[list[float], list[str]] | None = None,
                       value_text: np.ndarray | None = None) -> go.Figure:
    """A WebGL scatter of (n, 2) ``xy`` coloured on a scale by (n,) float ``values`` (a number column),
    with a colour bar named ``name``; rows without a value are grey. Row ids in ``customdata``, as
    :func:`map_figure` (a selection maps back to texts the same way). ``ticks`` (positions, labels) label
    the colour bar and (n,) ``value_text`` each point's value in its hover (a date column: days since 1970
    shown as dates)."""
    fig = go.Figure()
    present = ~np.isnan(values)
    for rows, missing in ((np.flatnonzero(present), False), (np.flatnonzero(~present), True)):
        if not len(rows):
            continue
        size = point_size(len(xy))
        bar = COLORBAR | {"title": {"text": _escape(name), "side": "top"}}
        if ticks is not None:
            bar |= {"tickvals": list(ticks[0]), "ticktext": [_escape(t) for t in ticks[1]]}
        marker = ({"size": size, "opacity": 0.5, "color": "#BAB0AC"} if missing else
                  {"size": size, "opacity": 0.8, "color": values[rows], "colorscale": "Viridis", "colorbar": bar})
        shown = "(missing)" if missing else _escape(name) + (": %{marker.color:.4g}" if value_text is None else "")
        fig.add_trace(go.Scattergl(
            x=xy[rows, 0], y=xy[rows, 1], mode="markers", name="(missing)" if missing else _escape(name),
            marker=marker, customdata=ids[rows].reshape(-1, 1),
            text=np.array([_escape(hover[r]) + ("" if value_text is None or missing else f"<br>{value_text[r]}")
                           for r in rows], dtype=object),
            hovertemplate="%{text}<extra>" + shown + "</extra>"))
    _map_layout(fig, xy, title, showlegend=not present.all())
    fig.update_layout(margin={"b": 60})
    return fig
