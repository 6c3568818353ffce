"""A big map (more than ``BIG`` points) drawn by Plotly.js directly in a custom component.

``st.plotly_chart`` keeps the whole figure in its element state and redraws from it on every Plotly
update, and a box selection reruns the page and redraws the figure again: 20-30 s for 200,000 points
where plain Plotly.js takes about 6 s (docs/benchmarks.md). This component (Streamlit components v1,
a hand-written ``index.html`` beside a local copy of Plotly.js: the machine may be offline) receives
the figure compactly and draws it once:

- the coordinates as one float32 buffer and the row ids as one int32 buffer (binary arguments,
  8 + 4 bytes a point), traces as slices of them;
- the hover texts as one UTF-8 buffer, one text a line;
- the traces' other properties and the layout as JSON.

It sends back only the selected row ids (``{"ids": [...], "n": counter}``) on a box, lasso or click, and
does not redraw when the page reruns with the same figure (a ``digest`` argument names it).
``chart`` answers in ``st.plotly_chart``'s event shape, so the page's selection flow is unchanged.
"""
from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go

BIG = 20_000  # above this many points the map is drawn by this component; below, by st.plotly_chart
STATIC = Path(__file__).with_name("_bigmap_static")
_ARRAYS = ("x", "y", "customdata", "text")


def is_big(n: int) -> bool:
    return n > BIG


def payload(fig: go.Figure) -> dict:
    """The figure as the component's arguments: ``xy`` float32 (n, 2) bytes, ``ids`` int32 (n,) bytes,
    ``hover`` UTF-8 bytes (n lines), ``traces`` (one dict a trace: its ``count`` of points, in the
    buffers' order, and its other Plotly properties), ``layout``, and ``digest`` (of all of them)."""
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
        traces.append(_plain(props))
    xy_bytes = np.concatenate(xy).astype("<f4").tobytes() if xy else b""
    ids_bytes = np.concatenate(ids).astype("<i4").tobytes() if ids else b""
    hover_bytes = "\n".join(hover).encode()
    layout = _plain(fig.layout.to_plotly_json())
    digest = hashlib.sha1(xy_bytes + ids_bytes + hover_bytes + repr((traces, layout)).encode()).hexdigest()
    return {"xy": xy_bytes, "ids": ids_bytes, "hover": hover_bytes, "traces": traces, "layout": layout,
            "digest": digest}


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
    """The component's folder: ``index.html`` and a copy of the plotly package's ``plotly.min.js``
    (Streamlit's component route serves only files inside the folder). A private folder of this
    server process (``mkdtemp``: readable by this user only), made once: a shared fixed path in the
    temp folder could be planted by another user of the machine, and its page would run in ours."""
    work = Path(tempfile.mkdtemp(prefix="clusterlens_bigmap_"))
    atexit.register(shutil.rmtree, work, True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", work / "plotly.min.js")
    shutil.copyfile(STATIC / "index.html", work / "index.html")
    return work


_component = None


def _declared():
    global _component
    if _component is None:
        import streamlit.components.v1 as components
        _component = components.declare_component("clusterlens_bigmap", path=str(_asset_dir()))
    return _component


def chart(fig: go.Figure, *, key: str, height: int = 640) -> dict:
    """Draw ``fig`` with Plotly.js in the page; the selection as ``st.plotly_chart`` gives it
    (``{"selection": {"points": [{"customdata": [row id]}, ...]}}``)."""
    value = _declared()(**payload(fig), height=height, key=key, default=None)
    ids = value.get("ids", []) if isinstance(value, dict) else []
    return {"selection": {"points": [{"customdata": [int(r)]} for r in ids if isinstance(r, int)]}}
