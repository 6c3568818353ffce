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

The component (Streamlit components v1, a hand-written ``index.html``) receives the figure as:

- the coordinates as one float32 buffer and the row ids as one int32 buffer (binary arguments,
  8 + 4 bytes a point), traces as slices of them;
- the hover texts as one UTF-8 buffer, one text a line;
- the traces' other properties and the layout as JSON, and the bundle to draw them with;
- Plotly's config, ``core.plots.plots.CHART_CONFIG`` as every chart of the app (no cloud or external-link
  buttons in the mode bar).

Beside the figure it draws the clusters' names (``labels``: placed by ``core.plots.map_labels``, drawn as
Plotly annotations, the theme's text on a veil of its background) and knows each legend group's zoom
box (``groups``): a click on a label or a legend entry zooms to its group and, for a cluster, sends
it back as the focus; ``zoom`` asks it to zoom to a group (the page's "Find a cluster").

It sends back only the selected row ids and the focused cluster (``{"ids": [...], "n": counter,
"focus": id, "focused_at": the counter of that focus}``) on a box, lasso, click or focus, and does
not redraw when the page reruns with the same figure (a ``digest`` argument names it).
``chart`` answers in ``st.plotly_chart``'s event shape (plus ``focus``: a cluster just focused, else
None), so the page's selection flow is unchanged.
"""
from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import plotly
import plotly.graph_objects as go

from core.plots.map_labels import Label
from core.plots.plots import CHART_CONFIG

SVG_MAX = 2_000  # up to this many points: SVG and the basic bundle; above: WebGL and the full bundle
STATIC = Path(__file__).with_name("_mapchart_static")
BASIC = "plotly-basic.min.js"  # vendored: plotly.js-basic-dist-min, the version the plotly package bundles
FULL = "plotly.min.js"         # copied from the plotly package at start
_ARRAYS = ("x", "y", "customdata", "text")
BUNDLE_META = '<meta name="bundle" content="%s">'  # in index.html, empty; filled in each component's copy


def is_svg(n: int) -> bool:
    """Whether a map of ``n`` points is drawn as SVG with the basic bundle (else WebGL, full bundle)."""
    return n <= SVG_MAX


def points(fig: go.Figure) -> int:
    return sum(len(trace.x) if trace.x is not None else 0 for trace in fig.data)


def payload(fig: go.Figure, *, svg: bool, labels: list[dict] | None = None, groups: dict | None = None) -> dict:
    """The figure as the component's arguments: ``xy`` float32 (n, 2) bytes, ``ids`` int32 (n,) bytes,
    ``hover`` UTF-8 bytes (n lines), ``traces`` (one dict a trace: its ``count`` of points, in the
    buffers' order, and its other Plotly properties; ``scattergl`` becomes ``scatter`` when ``svg``),
    ``layout``, ``bundle`` (the script to draw with), ``labels`` and ``groups`` (see :func:`chart`)
    and ``digest`` (of all of them)."""
    xy, ids, hover, traces = [], [], [], []
    for trace in fig.data:
        x = np.asarray(trace.x if trace.x is not None else [], dtype=np.float32)
        y = np.asarray(trace.y if trace.y is not None else [], dtype=np.float32)
        xy.append(np.column_stack([x, y]))
        custom = trace.customdata
        ids.append(np.asarray(custom, dtype=np.int64).reshape(-1) if custom is not None else np.full(len(x), -1))
        text = trace.text
        hover.extend(str(t).replace("\n", " ") for t in (text if text is not None and not isinstance(text, str)
                                                       else [""] * len(x)))
        props = {k: v for k, v in trace.to_plotly_json().items() if k not in _ARRAYS}
        props["count"] = len(x)
        if svg and props.get("type") == "scattergl":
            props["type"] = "scatter"  # the same attributes; the basic bundle has no WebGL traces
        traces.append(_plain(props))
    xy_bytes = np.concatenate(xy).astype("<f4").tobytes() if xy else b""
    ids_bytes = np.concatenate(ids).astype("<i4").tobytes() if ids else b""
    hover_bytes = "\n".join(hover).encode()
    layout = _plain(fig.layout.to_plotly_json())
    bundle = BASIC if svg else FULL
    labels, groups = _plain(labels or []), _plain(groups or {})
    digest = hashlib.sha1(xy_bytes + ids_bytes + hover_bytes
                          + repr((traces, layout, bundle, labels, groups)).encode()).hexdigest()
    return {"xy": xy_bytes, "ids": ids_bytes, "hover": hover_bytes, "traces": traces, "layout": layout,
            "bundle": bundle, "labels": labels, "groups": groups, "digest": digest}


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


def chart(fig: go.Figure, *, key: str, height: int = 640, labels: list[dict] | None = None,
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
