"""Shared set-up for the AppTest modules: a fake embedder, a small data file, fresh caches."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fakes import FakeEmbedder

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app_csv(tmp_path):
    """200 rows of the bundled demo corpus, 50 per label (title, description, label)."""
    import pandas as pd

    from conftest import DEMO

    path = tmp_path / "app.csv"
    pd.read_csv(DEMO).groupby("label").sample(50, random_state=0).to_csv(path, index=False)
    return path


@pytest.fixture
def fake_app(monkeypatch, app_csv):
    """An AppTest factory: the app with ``--data app.csv --fraction 1`` and a counting fake embedder."""
    import pages._cached as cached

    _navigation_not_pages_dir(monkeypatch)
    fake = FakeEmbedder()
    monkeypatch.setattr(cached, "get_embedder", lambda model, backend: fake)
    monkeypatch.setattr(cached, "PRECOMPUTE", False)  # tests count cache misses; one test turns it on
    monkeypatch.setattr("pages._k.SUGGEST", False)  # every source starts at k=4; the tests of the suggestion turn it on
    cached.embedder.clear()
    stop_background_passes()
    cached.CACHE.clear()

    def make(*args: str, data: str | None = str(app_csv)) -> AppTest:
        argv = ["app.py"] + (["--data", data, "--fraction", "1"] if data else []) + list(args)
        monkeypatch.setattr(sys, "argv", argv)
        at = AppTest.from_file(APP, default_timeout=600)
        at.fake = fake
        return at

    yield make
    stop_background_passes()


def shown(at) -> tuple[str, "np.ndarray"]:
    """(the sample key of the texts in view, their cluster ids as shown) from the app's last view."""
    view = at.session_state["session"].last
    return view.keys["sample"], view.labels


def stop_background_passes(timeout: float = 300.0) -> None:
    """Stop every background pass and wait for the step each is in: a pass left running by an
    earlier test would otherwise finish its step in the next test's fresh cache and add to its
    miss counts (seen in CI: a baseline counted three times instead of two)."""
    import threading

    from core.session import background

    background.forget()  # each pass stops before its next step
    for thread in threading.enumerate():
        if thread.name.startswith("clusterlens-precompute"):
            thread.join(timeout=timeout)


def _navigation_not_pages_dir(monkeypatch) -> None:
    """AppTest resets ``PagesManager.uses_pages_directory`` before every run and, because ``pages/``
    exists, reruns a page script on its own (MPA v1) instead of ``app.py`` with ``st.navigation``.
    The real server sets the flag to False on the first ``st.navigation`` call and keeps it; do the
    same here (streamlit issue #9446, PR #14217 fixed only the first run)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def spy_downloads(monkeypatch) -> dict:
    """{label: data} of every download button drawn from now on."""
    import streamlit as st

    seen = {}
    original = st.delta_generator.DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        seen[label] = data
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(st.delta_generator.DeltaGenerator, "download_button", spy)
    return seen


def map_charts(at) -> list[dict]:
    """The maps drawn by ``pages/_mapchart.py``, in page order, each as a Plotly figure dict
    (``{"data": [...], "layout": {...}, "bundle": ..., "labels": [...], "groups": {...}, "zoom": ...}``:
    the clusters' names drawn, each legend group's zoom box, a zoom request) whose traces are rebuilt from the component's
    binary arguments: ``x``, ``y``, ``customdata`` ([[row id], ...]) and ``text`` beside their other
    properties, as ``st.plotly_chart``'s spec would hold them."""
    import json

    import numpy as np

    figures = []
    for element in at.get("component_instance"):
        if "clusterlens_map_" not in element.proto.component_name:  # _svg or _gl
            continue
        args = json.loads(element.proto.json_args)
        raw = {a.key: a.bytes for a in element.proto.special_args}
        xy = np.frombuffer(raw["xy"], dtype="<f4").reshape(-1, 2)
        ids = np.frombuffer(raw["ids"], dtype="<i4")
        hover = raw["hover"].decode().split("\n")
        data, start = [], 0
        for props in args["traces"]:
            count = props.pop("count")
            rows = slice(start, start + count)
            data.append({**props, "x": xy[rows, 0].tolist(), "y": xy[rows, 1].tolist(),
                         "customdata": [[int(r)] for r in ids[rows]], "text": hover[rows]})
            start += count
        figures.append({"data": data, "layout": args["layout"], "bundle": args["bundle"],
                        "labels": args.get("labels", []), "groups": args.get("groups", {}), "zoom": args.get("zoom")})
    return figures


def select_on_map(at, rows: list[int]) -> None:
    """What a box selection (or a click) of these row ids on the Map page's map sends back (to the
    map drawn last: its key names its bundle)."""
    import pages._mapchart as mapchart
    import pages._state as S

    svg = map_charts(at)[-1]["bundle"] == mapchart.BASIC
    at.session_state[S.MAP_CHART + ("_svg" if svg else "_gl")] = {"ids": list(rows), "n": len(rows) + 1}
