"""Projects in a real browser (issue 26): rename a cluster and split another, change k and change it
back (the edits are there), restart the server on the same cache folder, open the app again: the
project is listed, and opening it shows the renamed and split clusters with the same numbers and
colours; then it exports the project file and imports it into a server with an empty cache folder: the
same view, and no text embedded. Debian's Chromium driven by Playwright against ``streamlit run app.py`` (no data argument,
the hub offline) with the real embedding model on the bundled demo corpus.

It prints how long a reopen took (the Open button to the map drawn, on a restarted server whose
caches are on disk; and a reload): a recorded figure, not an assertion (docs/benchmarks.md).
"""
from __future__ import annotations

import re
import time

import pytest

from core.storage.cache import NoCache
from core.config import DataConfig
from core.pipeline import read_stage
from browserkit import MAP_PLOT, chromium_page, raise_on_app_error, running_app, wait_idle, wait_until

DEMO_TEXTS = read_stage("demo", "demo", DataConfig(source="demo"), NoCache())[1].texts  # as the app embeds them
FIRST_RUN_TIMEOUT = 420  # s: exporting the ONNX model, embedding 320 texts, training, t-SNE
STEP_TIMEOUT = 240
NAME = "Renamed in the browser"

# the map's legend as [[name, colour], ...] once it has n entries
LEGEND_JS = """(n) => {
  const gd = %s;
  const traces = gd && gd._fullData ? gd._fullData.filter(t => t.showlegend !== false && t.name) : [];
  const drawn = gd ? gd.querySelectorAll('.legend .legendtext').length : 0;
  return traces.length === n && drawn === n ? traces.map(t => [t.name, String(t.marker.color)]) : null;
}""" % MAP_PLOT
# the Clusters page's section headers once there are n and none is left from the run before (Streamlit
# marks a rerun's elements stale until it draws them again)
SECTIONS_JS = """(n) => {
  const sections = [...document.querySelectorAll('[data-testid="stExpander"]')];
  if (sections.some(e => e.closest('[data-stale="true"]'))) return null;
  const heads = sections.map(e => e.querySelector('summary').innerText)
    .filter(t => /Cluster \\d+:/.test(t)).map(t => t.replace(/^keyboard_arrow_\\w+\\s*/, '').trim());
  return heads.length === n ? heads : null;
}"""


def _nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).click()


def _k(page, key: str) -> None:
    thumb = page.get_by_role("slider", name="Clusters (k)")
    thumb.focus()
    page.keyboard.press(key)


def _sections(page, server, n: int, *, containing: str = "", lacking: str | None = None) -> list[str]:
    """The Clusters page's n section headers once the page is idle, one of them holding ``containing``
    (and none ``lacking``)."""
    unwanted = f"all.includes({lacking!r})" if lacking is not None else "false"
    js = (f"(n) => {{ const h = ({SECTIONS_JS})(n), all = h ? h.join(' ') : ''; "
          f"return h && all.includes({containing!r}) && !{unwanted} ? h : null; }}")
    for _ in range(5):  # read again after the run is over: a rerun may just be starting
        wait_until(page, js, arg=n, timeout=STEP_TIMEOUT, what=f"{n} cluster sections", server=server)
        wait_idle(page, timeout=STEP_TIMEOUT, server=server)
        heads = page.evaluate(js, n)
        if heads:
            return heads
    raise AssertionError(f"the Clusters page did not settle on {n} sections")


def _legend(page, server, n: int, *, containing: str = "", poll: float = 1.0) -> list[list[str]]:
    """The map's legend [[name, colour], ...] with n entries, one holding ``containing``, once idle."""
    js = f"(n) => {{ const l = ({LEGEND_JS})(n); return l && l.some(e => e[0].includes({containing!r})) ? l : null; }}"
    wait_until(page, js, arg=n, timeout=STEP_TIMEOUT, what=f"a legend of {n}", server=server, poll=poll)
    wait_idle(page, timeout=STEP_TIMEOUT, server=server)
    return wait_until(page, js, arg=n, timeout=30, what=f"a legend of {n}", server=server)


def _choose(page, label: str, option: re.Pattern) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (Streamlit's searchable select)."""
    page.get_by_label(label).click()
    page.get_by_role("option").filter(has_text=option).first.click()


@pytest.mark.timeout(1800)
def test_a_project_survives_a_change_of_k_and_a_restart_with_its_numbers_and_colours(tmp_path_factory, tmp_path):
    folder = tmp_path_factory.mktemp("browser_projects")
    timings: dict[str, float] = {}
    with running_app(folder, CLUSTERLENS_PRECOMPUTE="0") as server, chromium_page() as page:
        try:
            started = time.monotonic()
            page.goto(f"{server.url}/?data=demo", wait_until="domcontentloaded")
            # the view made the project (a provisional map may show before, while the encoder trains)
            pid = wait_until(page, "() => new URLSearchParams(location.search).get('project')",
                             timeout=FIRST_RUN_TIMEOUT, what="the project in the URL", server=server)
            wait_until(page, LEGEND_JS, arg=4, timeout=STEP_TIMEOUT, what="the map", server=server)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            timings["first map"] = round(time.monotonic() - started, 1)

            _nav(page, "Clusters")
            _sections(page, server, 4)
            box = page.get_by_label("New name")
            box.fill(NAME)
            box.press("Enter")
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            page.get_by_role("button", name="Rename").click()
            _sections(page, server, 4, containing=f"Cluster 0: {NAME}")
            _choose(page, "Cluster to split", re.compile(r"^1:"))
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            page.get_by_role("button", name="Split this cluster").click()
            page.get_by_role("button", name="Accept the split").click(timeout=STEP_TIMEOUT * 1000)
            edited = _sections(page, server, 5, containing=NAME)
            assert [h.split(":")[0] for h in edited] == [f"Cluster {c}" for c in range(5)], edited

            _k(page, "ArrowRight")  # k = 5: another version, its own clusters
            _sections(page, server, 5, lacking=NAME)
            _k(page, "ArrowLeft")  # back to k = 4: the edits are there
            assert _sections(page, server, 5, containing=NAME) == edited

            _nav(page, "Map")
            before = _legend(page, server, 5, containing=NAME)
            assert before[0][0] == f"0: {NAME}", before
        except BaseException:
            page.screenshot(path=str(tmp_path / "before-restart.png"))
            print(f"timings (s): {timings}\n--- streamlit log ---\n{server.log_tail()}")
            raise

    with running_app(folder, CLUSTERLENS_PRECOMPUTE="0") as server, chromium_page() as page:  # the same cache folder
        try:
            # the root first: a fresh server serves a page's own path only after its first st.navigation
            # (streamlit issue 9446); this visit's view makes an unchanged project of its own
            page.goto(server.url, wait_until="domcontentloaded")
            wait_until(page, "() => new URLSearchParams(location.search).get('project')", timeout=FIRST_RUN_TIMEOUT,
                       what="the first view", server=server)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            _nav(page, "Projects")
            # its Open button, by its key as Streamlit's class names it (the first: Streamlit keeps a hidden copy
            # of a button beside it, to measure its label)
            open_button = page.locator(f".st-key-project_open-{pid} button").first
            open_button.wait_for(timeout=STEP_TIMEOUT * 1000)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            listed = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=re.compile(r"· edited ·"))
            assert listed.count() == 1 and "320 texts · k=4 · 2 versions" in listed.inner_text()
            started = time.monotonic()
            open_button.click()
            wait_until(page, LEGEND_JS, arg=5, timeout=STEP_TIMEOUT, what="the reopened map", server=server, poll=0.1)
            timings["reopen after a restart"] = round(time.monotonic() - started, 2)
            after = _legend(page, server, 5, containing=NAME)
            assert after == before  # the same numbers, names and colours
            assert f"project={pid}" in page.evaluate("() => location.search")
            assert page.get_by_role("slider", name="Clusters (k)").get_attribute("aria-valuetext") == "4"

            started = time.monotonic()
            page.reload(wait_until="domcontentloaded")  # a new session on the URL that names the project
            wait_until(page, LEGEND_JS, arg=5, timeout=STEP_TIMEOUT, what="the reloaded map", server=server, poll=0.1)
            timings["reload"] = round(time.monotonic() - started, 2)
            assert _legend(page, server, 5, containing=NAME) == before

            _nav(page, "Clusters")
            assert _sections(page, server, 5, containing=NAME) == edited
            raise_on_app_error(page, server)

            _nav(page, "Projects")  # the project as one file
            page.get_by_role("button", name="Prepare the project file").click()
            download = page.get_by_role("button", name=re.compile(r"^Download .*\.clusterlens"))
            download.wait_for(timeout=STEP_TIMEOUT * 1000)
            with page.expect_download(timeout=STEP_TIMEOUT * 1000) as saving:
                download.click()
            project_file = tmp_path / "project.clusterlens"
            saving.value.save_as(project_file)
        except BaseException:
            page.screenshot(path=str(tmp_path / "after-restart.png"))
            print(f"timings (s): {timings}\n--- streamlit log ---\n{server.log_tail()}")
            raise
    assert _texts_in_store(folder, DEMO_TEXTS) == len(DEMO_TEXTS)  # what the check below would see

    empty = tmp_path_factory.mktemp("browser_projects_import")  # another ClusterLens, an empty cache folder
    with running_app(empty, CLUSTERLENS_PRECOMPUTE="0") as server, chromium_page() as page:
        try:
            # a first page that computes nothing (a link's upload, awaited), then the Projects page
            page.goto(f"{server.url}/?upload=awaited.csv", wait_until="domcontentloaded")
            page.get_by_text("upload it again").wait_for(timeout=STEP_TIMEOUT * 1000)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            _nav(page, "Projects")
            page.get_by_text("Import a project file").wait_for(timeout=STEP_TIMEOUT * 1000)
            wait_idle(page, timeout=STEP_TIMEOUT, server=server)
            (page.locator('[data-testid="stFileUploader"]').filter(has_text="Import a project file")
             .locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(project_file)))
            page.get_by_role("button", name="Import and open").click(timeout=STEP_TIMEOUT * 1000)
            assert _legend(page, server, 5, containing=NAME) == before  # the same view
            _nav(page, "Clusters")
            assert _sections(page, server, 5, containing=NAME) == edited
            raise_on_app_error(page, server)
        except BaseException:
            page.screenshot(path=str(tmp_path / "imported.png"))
            print(f"timings (s): {timings}\n--- streamlit log ---\n{server.log_tail()}")
            raise
    assert _texts_in_store(empty, DEMO_TEXTS) == 0  # no text was embedded: the file's vectors were used
    print(f"\nbrowser projects test, timings (s): {timings}")


def _texts_in_store(folder, texts: list[str]) -> int:
    """How many of ``texts`` the embedding store of the app's cache folder under ``folder`` holds (any model)."""
    import sqlite3

    from core.storage.store import text_key

    path = folder / "cache" / "embeddings.sqlite"
    if not path.exists():
        return 0
    keys = {text_key(t) for t in texts}
    with sqlite3.connect(path) as db:
        return sum(1 for (key,) in db.execute("SELECT key FROM embeddings") if bytes(key) in keys)
