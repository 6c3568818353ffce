"""AppTest of the k widgets (pages/_k.py): the route from the k slider to K-Means, which a newcomer
follows through the door."""
from __future__ import annotations

import inspect
from pathlib import Path

import core.clustering.cluster as cluster

ROOT = Path(__file__).resolve().parents[1]
MAP_PAGE = ROOT / "pages" / "map.py"


def route(frames: list[inspect.FrameInfo]) -> list[str]:
    """The functions a reader follows from the page's first function to the call of K-Means, outermost
    first, as ``file:qualified name``: the repository's own (pages/, core/) named functions on the stack
    below the page's script. Closures and lambdas are read as part of the function that defines them,
    and the stage cache's ``fetch`` (core/storage/cache.py, the door's ``_FolderDisk``) is the same call for
    every stage, so neither counts. The K-Means function (core.clustering.cluster.kmeans) is the last."""
    outermost = list(reversed(frames))
    start = next(i for i, f in enumerate(outermost) if Path(f.filename).resolve() == MAP_PAGE) + 1
    out = []
    for f in outermost[start:]:
        path = Path(f.filename).resolve()
        name = f.frame.f_code.co_qualname
        if not path.is_relative_to(ROOT / "pages") and not path.is_relative_to(ROOT / "core"):
            continue
        rel = path.relative_to(ROOT).as_posix()
        if "<locals>" in name or "<lambda>" in name or rel == "core/storage/cache.py" or name.startswith("_FolderDisk."):
            continue
        out.append(f"{rel}:{name}")
        if (rel, name) == ("core/clustering/cluster.py", "kmeans"):
            break
    return out


def test_the_route_from_the_k_slider_to_k_means_is_six_functions_through_the_door(fake_app, monkeypatch):
    """Issue 30: a newcomer follows k from the slider to K-Means through the door in at most 6 functions.
    The slider's value reaches the page through the session state (the sidebar's settings); from there
    the stack at the K-Means call is the route."""
    at = fake_app()
    at.run()
    assert not at.exception
    stacks = []

    class Recorded(cluster.KMeans):
        def fit(self, X, *args, **kwargs):
            stacks.append(inspect.stack())
            return super().fit(X, *args, **kwargs)

    monkeypatch.setattr(cluster, "KMeans", Recorded)
    at.sidebar.slider(key="k").set_value(6).run()
    assert not at.exception and not at.error
    assert stacks, "a new k clusters again"
    path = route(stacks[0])
    assert path[0] == "pages/_common.py:page_view"  # the Map page's first function
    assert "core/session/session.py:Session.view" in path  # the door
    assert path[-1] == "core/clustering/cluster.py:kmeans" and len(path) <= 6, path
