"""The Map page's map: Plotly.js drawn directly in a custom component, over compact arguments.

Why not ``st.plotly_chart``:

- its Plotly chunk is the whole Plotly.js (4.7 MB) and Chromium compiles it on every first page,
  about 2 s of the page's opening on a CPU without a GPU, more than the rest of the page together
  (docs/benchmarks.md). A small map (at most ``SVG_MAX`` points) here loads Plotly's ``basic``
  partial bundle (1.2 MB, vendored beside ``index.html``: the machine may be offline) and draws SVG
  markers, which also skips starting WebGL in software;
- it keeps the whole figure in its element state and redraws from it on every Plotly update, and a
  box selection reruns the page and redraws the figure again: 20-30 s for 200,000 points where plain
  Plotly.js takes about 6 s. A big map here loads the plotly package's full ``plotly.min.js`` and
  draws WebGL, once.

The Map page's figure is a :class:`MapFigure` (:func:`figure`): ``Colouring.figure`` (core.plots.plots) draws
a stand-in of one point per kind of point, and numpy fills its traces with every point, so that a
million points cost no Python object each. The component (Streamlit components v1, a hand-written
``index.html``) receives it as:

- the coordinates as one float32 buffer and the row ids as one int32 buffer (binary arguments,
  8 + 4 bytes a point), traces as slices of them;
- the hover texts as one UTF-8 buffer, one text a line; colour values (a scale) as one float64 buffer;
- the traces' other properties and the layout as JSON, and the bundle to draw them with;
- Plotly's config, ``core.plots.plots.CHART_CONFIG`` as every chart of the app (no cloud or external-link
  buttons in the mode bar).

Beside the figure it draws the clusters' names (``labels``: placed by ``core.plots.map_labels``, drawn as
Plotly annotations, the theme's text on a veil of its background) and knows each legend group's zoom
box (``groups``): a click on a label or a legend entry zooms to its group and, for a cluster, sends
it back as the focus; ``zoom`` asks it to zoom to a group (the page's "Find a cluster").

Above 200,000 points the frame selects by itself (Plotly's scattergl restyles every point on every move of
a box: a minute for a million without a GPU): the mode bar's box and lasso are its own, the drag draws an
outline and its end tests the coordinate arrays once. Traces of 100,000 points or more are drawn with a
level of detail (regl-scatter2d's cluster tree), so a pan draws what shows rather than every point.

It sends back only the selected row ids and the focused cluster (``{"ids": [...], "n": counter,
"focus": id, "focused_at": the counter of that focus}``) on a box, lasso, click or focus, and does
not redraw when the page reruns with the same figure (a ``digest`` argument names it).
``chart`` answers in ``st.plotly_chart``'s event shape (plus ``focus``: a cluster just focused, else
None), so the page's selection flow is unchanged.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go

from core.plots import CHART_CONFIG, hover_buffer, hover_titles, Label

if TYPE_CHECKING:
    from pages._colour import Colouring

logger = logging.getLogger(__name__)

SVG_MAX = 2_000  # up to this many points: SVG and the basic bundle; above: WebGL and the full bundle
STATIC = Path(__file__).with_name("_mapchart_static")
BASIC = "plotly-basic.min.js"  # vendored: plotly.js-basic-dist-min, the version the plotly package bundles
FULL = "plotly.min.js"         # copied from the plotly package at start
BUNDLE_META = '<meta name="bundle" content="%s">'  # in index.html, empty; filled in each component's copy


def is_svg(n: int) -> bool:
    """Whether a map of ``n`` points is drawn as SVG with the basic bundle (else WebGL, full bundle)."""
    return n <= SVG_MAX


@dataclass
class MapFigure:
    """A map figure in the component's terms, built without a Python object per point.

    ``xy`` (n, 2) float32 and ``ids`` (n,) int32 row ids, both in trace order (each trace a slice, its
    length its ``count``); ``hover`` n lines of UTF-8 (:func:`core.plots.map_points.hover_buffer`);
    ``values`` (n,) float64 or None: the points' colour values, in trace order, for traces whose spec
    says ``"colors": True`` (their ``marker.color``); ``traces``: each trace's other Plotly properties
    (JSON-ready) with its ``count``; ``layout``: JSON-ready."""

    xy: np.ndarray
    ids: np.ndarray
    hover: bytes
    traces: list[dict]
    layout: dict
    values: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.ids)


def figure(colouring: Colouring, xy: np.ndarray, rows: np.ndarray, titles, title: str, *,
           highlight: np.ndarray | None = None, confidence: np.ndarray | None = None) -> MapFigure:
    """The Map page's figure of the (m,) ``rows`` drawn at (m, 2) ``xy`` with (m,) hover ``titles``
    (``highlight``: a search's hits, ``confidence``: each row's, both cut to ``rows``), as
    ``colouring.figure`` draws it, built in time linear in numpy operations only.

    ``colouring.figure`` (``core.plots.plots``) stays the one definition of a map's traces, styles and layout;
    it makes a Python string per point, which a million points cannot afford, so it draws a stand-in
    here: one point of each class of points its traces can split on (a group, highlighted or not, with
    a colour value or without) plus the points with the least and the greatest value, at their own
    coordinates, over all the points' coordinates (so sizes and axis ranges are those of every point).
    Each trace of the stand-in then takes every point of its classes, in their order, and its colour
    values. A stand-in trace with something else per point (a date in the hover) is drawn the slow
    way, point by point."""
    rows = np.asarray(rows)
    m = len(rows)
    xy = np.asarray(xy, dtype=np.float32).reshape(m, 2)
    values = (colouring.values[rows] if colouring.values is not None
              else confidence if colouring.by_confidence and confidence is not None else None)
    values = None if values is None else np.asarray(values, dtype=np.float64)
    key = np.zeros(m, dtype=np.int64)
    if colouring.groups is not None:
        key += pd.factorize(colouring.groups[rows])[0].astype(np.int64) * 4  # -1 (a missing group): its own class
    if highlight is not None:
        key += 2 * np.asarray(highlight, dtype=bool)
    if values is not None:
        key += np.isnan(values)
    classes, first, cls = np.unique(key, return_index=True, return_inverse=True)
    extremes = [int(np.nanargmin(values)), int(np.nanargmax(values))] \
        if values is not None and not np.isnan(values).all() else []  # a colour bar's ticks span them
    reps = np.unique(np.concatenate([first, np.asarray(extremes, dtype=np.int64)])).astype(np.int64)
    rest = np.ones(m, dtype=bool)
    rest[reps] = False
    stand_xy = np.concatenate([xy[reps], xy[rest]])  # the stand-in's points first; all points' ranges and size
    stand = colouring.figure(stand_xy, rows[reps], [""] * len(reps), title,
                             highlight=None if highlight is None else np.asarray(highlight, dtype=bool)[reps],
                             confidence=None if confidence is None else np.asarray(confidence)[reps])
    at = {int(r): j for j, r in enumerate(rows[reps])}

    def slow() -> MapFigure:  # the figure point by point (a split or a per-point property the stand-in misses)
        return from_plotly(colouring.figure(xy, rows, hover_titles(titles), title, highlight=highlight,
                                            confidence=confidence))

    trace_of = np.full(len(classes), -1, dtype=np.int64)
    specs = []
    for t, trace in enumerate(stand.data):
        props = dict(trace._props)
        custom = props.pop("customdata", None)
        taken = [at[int(r)] for r in np.asarray(custom if custom is not None else [], dtype=np.int64).reshape(-1)]
        text = props.pop("text", None)
        if text is not None and any(str(v) for v in np.asarray(text, dtype=object).reshape(-1)):
            logger.debug("the map's traces carry per-point hover extras: built point by point")
            return slow()
        for name in ("x", "y"):
            props.pop(name, None)
        marker = dict(props.get("marker") or {})
        colors = isinstance(marker.get("color"), (np.ndarray, list, tuple))
        if colors:
            marker.pop("color")
            props["marker"] = marker
        if _per_point(props, len(taken)) or (colors and values is None):
            return slow()
        for c in set(cls[reps[taken]].tolist()):
            if trace_of[c] not in (-1, t):  # one class in two traces: not a split this stand-in can see
                return slow()
            trace_of[c] = t
        specs.append((props, colors))
    point_trace = trace_of[cls]  # -1: a point no trace draws (a group the colouring does not name)
    order = np.argsort(point_trace, kind="stable")
    order = order[point_trace[order] >= 0]
    counts = np.bincount(point_trace[order], minlength=len(specs)) if len(order) else np.zeros(len(specs), int)
    coloured = np.array([colors for _, colors in specs], dtype=bool)  # the traces taking colour values
    traces = [_plain(props) | {"count": int(count)} | ({"colors": True} if colors else {})
              for (props, colors), count in zip(specs, counts)]
    ordered_values = None if values is None or not coloured.any() else values[order][coloured[point_trace[order]]]
    return MapFigure(xy=xy[order], ids=rows[order].astype(np.int32),
                     hover=hover_buffer(np.asarray(titles, dtype=object)[order]), traces=traces,
                     layout=_plain(stand.layout.to_plotly_json()), values=ordered_values)


def _per_point(props: dict, count: int) -> bool:
    """Whether a trace's properties hold an array (other than those :func:`figure` rebuilds)."""
    for value in props.values():
        if isinstance(value, dict) and _per_point(value, count):
            return True
        if isinstance(value, np.ndarray) and value.ndim and len(value) == count and count > 1:
            return True
    return False


def from_plotly(fig: go.Figure) -> MapFigure:
    """A Plotly figure of WebGL or SVG scatter traces (``x``, ``y``, row ids in ``customdata``, hover
    ``text``) as a :class:`MapFigure`: its arrays read in place (no copy of the figure), its hover
    texts escaped as they are. ``marker.color`` arrays travel as ``values``."""
    xy, ids, hover, traces, values = [], [], [], [], []
    for trace in fig.data:
        props = dict(getattr(trace, "_props", None) or trace.to_plotly_json())
        x = np.asarray(props.pop("x", None) if props.get("x") is not None else [], dtype=np.float32).reshape(-1)
        y = np.asarray(props.pop("y", None) if props.get("y") is not None else [], dtype=np.float32).reshape(-1)
        props.pop("x", None), props.pop("y", None)
        xy.append(np.column_stack([x, y]))
        custom = props.pop("customdata", None)
        ids.append(np.asarray(custom, dtype=np.int64).reshape(-1) if custom is not None else np.full(len(x), -1))
        text = props.pop("text", None)
        hover.extend(str(t).replace("\n", " ") for t in (text if text is not None and not isinstance(text, str)
                                                       else [""] * len(x)))
        marker = dict(props.get("marker") or {})
        colors = isinstance(marker.get("color"), (np.ndarray, list, tuple)) and len(marker["color"]) == len(x)
        if colors:
            values.append(np.asarray(marker.pop("color"), dtype=np.float64))
            props["marker"] = marker
        props = _plain(props) | {"count": len(x)} | ({"colors": True} if colors else {})
        traces.append(props)
    return MapFigure(xy=np.concatenate(xy).astype(np.float32) if xy else np.zeros((0, 2), np.float32),
                     ids=np.concatenate(ids).astype(np.int32) if ids else np.zeros(0, np.int32),
                     hover="\n".join(hover).encode("utf-8", "replace"), traces=traces,
                     layout=_plain(fig.layout.to_plotly_json()),
                     values=np.concatenate(values) if values else None)


def points(fig: go.Figure | MapFigure) -> int:
    if isinstance(fig, MapFigure):
        return fig.n
    return sum(len(trace.x) if trace.x is not None else 0 for trace in fig.data)


def payload(fig: go.Figure | MapFigure, *, svg: bool, labels: list[dict] | None = None,
            groups: dict | None = None) -> dict:
    """The figure as the component's arguments: ``xy`` float32 (n, 2) bytes, ``ids`` int32 (n,) bytes,
    ``hover`` UTF-8 bytes (n lines), ``values`` float64 (n,) bytes (the colour of the points of traces
    marked ``"colors": True``, in the same order; empty when none), ``traces`` (one dict a trace: its
    ``count`` of points, in the buffers' order, and its other Plotly properties; ``scattergl``
    becomes ``scatter`` when ``svg``), ``layout``, ``bundle`` (the script to draw with), ``labels``
    and ``groups`` (see :func:`chart`) and ``digest`` (of all of them)."""
    fig = fig if isinstance(fig, MapFigure) else from_plotly(fig)
    traces = []
    for props in fig.traces:
        props = dict(props)
        if svg and props.get("type") == "scattergl":
            props["type"] = "scatter"  # the same attributes; the basic bundle has no WebGL traces
        traces.append(props)
    xy_bytes = np.ascontiguousarray(fig.xy, dtype="<f4").tobytes()
    ids_bytes = np.ascontiguousarray(fig.ids, dtype="<i4").tobytes()
    values_bytes = b"" if fig.values is None else np.ascontiguousarray(fig.values, dtype="<f8").tobytes()
    bundle = BASIC if svg else FULL
    labels, groups = _plain(labels or []), _plain(groups or {})
    digest = hashlib.sha1()
    for part in (xy_bytes, ids_bytes, fig.hover, values_bytes,
                 repr((traces, fig.layout, bundle, labels, groups)).encode()):
        digest.update(len(part).to_bytes(8, "little") + part)
    return {"xy": xy_bytes, "ids": ids_bytes, "hover": fig.hover, "values": values_bytes, "traces": traces,
            "layout": fig.layout, "bundle": bundle, "labels": labels, "groups": groups, "digest": digest.hexdigest()}


def label_args(labels: list[Label], keys: dict, colours: dict) -> list[dict]:
    """``core.plots.map_labels`` labels as the component draws them, placed ones first (a label shows in the
    frame unless it overlaps one before it): its ``text`` (lines escaped, joined by ``<br>``), box
    centre ``x``, ``y``, anchor ``ax``, ``ay``, whether it ``moved`` (a line back to the anchor), font
    ``size``, ``colour`` (its group's) and ``key`` (its group's legend group, ``keys[group]``)."""
    ordered = [label for label in labels if label.placed] + [label for label in labels if not label.placed]
    return [{"text": "<br>".join(_escape(line) for line in label.lines), "x": label.x, "y": label.y,
             "ax": label.anchor_x, "ay": label.anchor_y, "moved": label.moved, "size": label.size,
             "colour": colours[label.group], "key": keys[label.group]} for label in ordered]


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in annotations: show names literally."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(value):
    """JSON-ready: numpy arrays and scalars become lists and Python numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _asset_dir() -> Path:
    """The components' folders: ``svg/`` holds ``index.html`` and the vendored basic bundle, ``gl/``
    ``index.html`` and a copy of the plotly package's ``plotly.min.js`` (Streamlit's component route
    serves only files inside a component's folder). Each ``index.html`` names its folder's bundle in
    its ``bundle`` meta tag, so the frame starts loading Plotly while it waits for its first arguments
    instead of after them. A private folder of this server process (``mkdtemp``: readable by this
    user only), made once: a shared fixed path in the temp folder could be planted by another user
    of the machine, and its page would run in ours."""
    work = Path(tempfile.mkdtemp(prefix="clusterlens_map_"))
    atexit.register(shutil.rmtree, work, True)
    html = (STATIC / "index.html").read_text()
    for kind, bundle, source in (("svg", BASIC, STATIC / BASIC),
                                 ("gl", FULL, Path(plotly.__file__).parent / "package_data" / FULL)):
        (work / kind).mkdir()
        shutil.copyfile(source, work / kind / bundle)
        (work / kind / "index.html").write_text(html.replace(BUNDLE_META % "", BUNDLE_META % bundle))
    return work


_folder: Path | None = None
_components: dict[bool, Callable] = {}


def _declared(svg: bool) -> Callable:
    """The component that draws SVG maps (``svg``) or WebGL ones: each loads its own bundle."""
    global _folder
    if svg not in _components:
        import streamlit.components.v1 as components
        if _folder is None:
            _folder = _asset_dir()
        kind = "svg" if svg else "gl"
        _components[svg] = components.declare_component(f"clusterlens_map_{kind}", path=str(_folder / kind))
    return _components[svg]


def chart(fig: go.Figure | MapFigure, *, key: str, height: int = 640, labels: list[dict] | None = None,
          groups: dict | None = None, zoom: dict | None = None) -> dict:
    """Draw ``fig`` with Plotly.js in the page; the selection as ``st.plotly_chart`` gives it
    (``{"selection": {"points": [{"customdata": [row id]}, ...]}}``) and ``focus``: the cluster id a
    click on a label or a legend entry focused, when that was the map's last event (else None), with
    ``focus_n`` the number of that event (a page applies each focus once).
    ``labels``: :func:`label_args`; ``groups``: {legend group: {"box": [x0, x1, y0, y1], "cluster": id
    or None}} (what a click zooms to and focuses); ``zoom``: {"key": legend group, "n": request
    number}, a zoom done once per request number. An SVG and a WebGL map have their own keys
    (``key`` + ``_svg`` or ``_gl``), so a page never swaps the bundle under a drawn map."""
    svg = is_svg(points(fig))
    value = _declared(svg)(**payload(fig, svg=svg, labels=labels, groups=groups), zoom=zoom, config=CHART_CONFIG,
                           height=height, key=key + ("_svg" if svg else "_gl"), default=None)
    value = value if isinstance(value, dict) else {}
    ids = value.get("ids", []) or []
    focus = value.get("focus")
    last = isinstance(focus, int) and value.get("focused_at") == value.get("n")
    return {"selection": {"points": [{"customdata": [int(r)]} for r in ids if isinstance(r, int)]},
            "focus": focus if last else None, "focus_n": value.get("focused_at") if last else None}
