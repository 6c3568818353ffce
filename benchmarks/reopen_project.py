"""Reopening a project against the app's warm reopen and the map's floor: seconds from opening the page
in a new Chromium until the encoder's map is drawn, for

  mapchart   a page with one 320-point map drawn as the app draws it (the floor, as in
             benchmarks/reopen_floor.py)
  app        ClusterLens on the demo corpus, every stage cached (the warm reopen)
  project    ``?project=<id>``: a project of the demo corpus with a renamed cluster and a split one (5
             clusters), its caches in the server's memory (the link or a reload of a project)
  restarted  the same link, first page of a server started again on the same cache folder: its caches
             on disk only, and the server's own imports (torch, scikit-learn) inside the figure

    python benchmarks/reopen_project.py [--repeat 3]

Each page is opened in a fresh browser process (no HTTP or code cache), as the browser tests do.
Prints the median of each and the ratios to the ``mapchart`` floor and to the app's warm reopen.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

import _common  # noqa: F401  (the repository on the import path)

import numpy as np  # noqa: E402

import reopen_floor as floor_bench  # noqa: E402
from _browser import CHROMIUM, CHROMIUM_ARGS, ROOT, VIEWPORT, StreamlitServer  # noqa: E402
from core.storage.projects import ProjectStore  # noqa: E402

NAME = "Renamed for the benchmark"
PROJECT_JS = floor_bench.DRAWN["app"].replace(
    "return /latent space/.test(title)",
    f"return /latent space/.test(title) && [...gd.querySelectorAll('.legend .legendtext')]"
    f".some(e => e.textContent === '0: {NAME}')")


def edit_the_project(cache: Path) -> str:
    """The demo's project (made by the first visit): cluster 0 renamed and half of cluster 1 moved to a
    new cluster, as a split writes them. Returns its id."""
    store = ProjectStore(cache / "projects")
    (project,) = store.list()
    version = project.current
    base = store.labels(project.id, version.base)
    labels = np.array(base, copy=True)
    labels[np.flatnonzero(base == 1)[::2]] = int(base.max()) + 1
    name = store.put_labels(project.id, labels)
    store.update(project.id, lambda p: p.with_version(replace(
        p.current, labels=name, names={0: NAME}, history=(f"renamed cluster 0 to '{NAME}'", "split cluster 1"))))
    return project.id


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    (folder / "floor.py").write_text(floor_bench.PAGE.replace("ROOT", repr(str(ROOT))))
    env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(folder / "cache"), HF_HUB_OFFLINE="1",
               CLUSTERLENS_PRECOMPUTE="0")
    floor = StreamlitServer(folder, "floor.py", [], env, folder / "floor.log")
    app = StreamlitServer(ROOT, "app.py", [], env, folder / "app.log")
    times: dict[str, list[float]] = {name: [] for name in ("mapchart", "app", "project", "restarted")}
    try:
        floor.wait_healthy(120)
        app.wait_healthy(120)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            floor_bench.fill_caches(browser.new_context(viewport=VIEWPORT), app)  # the demo's project made
            browser.close()
            pid = edit_the_project(folder / "cache")
            link = f"/?project={pid}"
            floor_bench.opened(p, app.url + link, PROJECT_JS)  # its edited clusters described once
            for _ in range(args.repeat):  # interleaved, so a change of load touches all alike
                times["mapchart"].append(floor_bench.opened(p, floor.url + "/?chart=2", floor_bench.DRAWN["mapchart"]))
                times["app"].append(floor_bench.opened(p, app.url + "/?data=demo", floor_bench.DRAWN["app"]))
                times["project"].append(floor_bench.opened(p, app.url + link, PROJECT_JS))
                app.stop()
                app = StreamlitServer(ROOT, "app.py", [], env, folder / "app.log")
                app.wait_healthy(120)
                times["restarted"].append(floor_bench.opened(p, app.url + link, PROJECT_JS))
    finally:
        floor.stop()
        app.stop()
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:9s} median {median[name]:5.2f} s   runs {' '.join(f'{v:.2f}' for v in values)}")
    print(f"project / mapchart floor: {median['project'] / median['mapchart']:.2f}x; project / app's warm reopen: "
          f"{median['project'] / median['app']:.2f}x; restarted / app's warm reopen: "
          f"{median['restarted'] / median['app']:.2f}x; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
