"""A session can always be recovered without a reload (issue 28), in a real browser: Debian's Chromium
driven by Playwright against ``streamlit run app.py -- --data demo`` with the real embedding model.

- Rapid changes: 20 arrow-key presses at 0.1 s on the fraction slider, on k, and on the projection
  radio leave the page idle with the last value's map (within a minute when that value was computed
  before). Streamlit answers each change by asking the running script to stop and starting a new
  run at once; the session's runs take turns (``core.session.session_turn``), and a run that Streamlit
  stopped just after taking the turn once kept it for ever: the page stayed greyed under "Waiting
  for this session's previous computation to stop". That was a race: a burst froze the page only
  now and then, so each test presses several.
- Refine's Cancel turns the *Refine embeddings* toggle off in the browser (its button is in a
  fragment, whose rerun does not redraw the sidebar), so the next change does not start it again.
"""
from __future__ import annotations

import time

import pytest

from browserkit import MAP_PLOT, raise_on_app_error, running_app, wait_until
from test_browser import _lap, browser_session

FIRST_RUN_TIMEOUT = 420  # s: exporting/loading the model, then embedding 320 texts, training and t-SNE
SETTLE_TIMEOUT = 60      # s: after the last press, the last value's map when it was computed before (the bound)
STEP_TIMEOUT = 240       # s: a value's first map (training, naming k clusters), a first UMAP or Refine step
PRESSES, GAP_S = 20, 0.1
#: The bursts of each test, each to be followed by the last value's map.
ROUNDS = {"fraction": [("ArrowLeft", "0.80", 256), ("ArrowRight", "1.00", 320), ("ArrowLeft", "0.80", 256)],
          "k": [("ArrowRight", 4 + PRESSES), ("ArrowLeft", 4)] * 3,  # from k = 4, well inside the slider's ends
          "projection": [("UMAP", "UMAP"), ("t-SNE", "t-SNE")] * 3}

#: The page at rest with its map: no script run in progress (the app's own record of the run's state;
#: Streamlit's status widget is not drawn in this layout), no run waiting, nothing greyed out, the map
#: drawn. Returns {points, legend, title, caption} or null.
SCRIPT_STATE = 'document.querySelector(\'[data-testid="stApp"]\')?.getAttribute("data-test-script-state")'
SETTLED_JS = """() => {
  if (%s !== "notRunning") return null;
  if (document.body.innerText.includes("Waiting for this session's previous computation")) return null;
  if (document.querySelector('[data-stale="true"]')) return null;
  const gd = %s;
  if (!gd || !gd._fullData || !gd.querySelector('.gl-canvas, .scatterlayer .point')) return null;
  const points = gd._fullData.reduce((n, t) => n + ((t.x && t.x.length) || 0), 0);
  const legend = [...gd.querySelectorAll('.legend .legendtext')].map(e => e.textContent);
  const title = (gd._fullLayout.title && gd._fullLayout.title.text) || "";
  const caption = document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]');
  return {points, legend, title, caption: caption ? caption.innerText : ""};
}""" % (SCRIPT_STATE, MAP_PLOT)
#: the page's state for a failure message
STATE_JS = """() => ({
  script: %s,
  waiting: document.body.innerText.includes("Waiting for this session's previous computation"),
  stale: document.querySelectorAll('[data-stale="true"]').length})""" % SCRIPT_STATE


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("browser_recovery_server"), ["--data", "demo"]) as server:
        yield server


def _open(page, server) -> dict:
    page.goto(server.url, wait_until="domcontentloaded")
    return wait_until(page, SETTLED_JS, timeout=FIRST_RUN_TIMEOUT, what="the first map", server=server)


def _burst(page, control, key: str, presses: int = PRESSES) -> float:
    """``presses`` presses of ``key`` on ``control``, ``GAP_S`` apart (a rerun may redraw the control and
    take its focus: it is focused again before each press). Returns the time of the last press."""
    for _ in range(presses):
        control.focus()
        page.keyboard.press(key)
        time.sleep(GAP_S)  # the user's pace, not a wait for the app
    return time.monotonic()


def _settled(page, server, what: str, check, timeout: float = SETTLE_TIMEOUT) -> dict:
    """The page idle with a map that ``check`` accepts, within ``timeout`` (of the last press), and still
    so a second later (not a pause between two runs)."""
    deadline, held = time.monotonic() + timeout, None
    while True:
        raise_on_app_error(page, server)
        state = page.evaluate(SETTLED_JS)
        if state and check(state) and state == held:
            return state
        held = state if state and check(state) else None
        if time.monotonic() > deadline:
            raise AssertionError(f"no idle page with {what} {timeout:.0f} s after the last press; the page: "
                                 f"{page.evaluate(STATE_JS)}, its map: {state}")
        page.wait_for_timeout(1000 if held else 500)


@pytest.mark.timeout(900)
def test_rapid_changes_of_the_fraction_end_with_the_last_values_map(demo_server, tmp_path):
    timings: dict = {}
    with browser_session(demo_server, tmp_path, timings) as page:
        assert _open(page, demo_server)["points"] == 320
        fraction = page.get_by_role("slider", name="Sample fraction")
        assert fraction.get_attribute("aria-valuetext") == "1.00"
        seen = {"1.00"}
        for i, (key, value, n) in enumerate(ROUNDS["fraction"]):
            pressed = _burst(page, fraction, key)
            assert fraction.get_attribute("aria-valuetext") == value
            _settled(page, demo_server, f"the map of {n} texts (fraction {value})",
                     lambda s: s["points"] == n and s["caption"].startswith(f"{n} texts"),
                     SETTLE_TIMEOUT if value in seen else STEP_TIMEOUT)  # the first time, it trains
            seen.add(value)
            _lap(timings, pressed, f"burst {i + 1}: fraction {value}")
        print(f"seconds from the last press to the settled page: {timings}")  # shown by -rP


@pytest.mark.timeout(900)
def test_rapid_changes_of_k_end_with_the_last_values_map(demo_server, tmp_path):
    timings: dict = {}
    with browser_session(demo_server, tmp_path, timings) as page:
        assert len(_open(page, demo_server)["legend"]) == 4
        k = page.get_by_role("slider", name="Clusters (k)")
        seen = {4}
        before = 4
        for i, (key, aimed) in enumerate(ROUNDS["k"]):
            pressed = _burst(page, k, key)
            # under load a press can land while a rerun redraws the slider and be lost (Streamlit's slider
            # takes the server's value back): the value the slider shows is the last value, its map the one
            # to wait for
            value = int(k.get_attribute("aria-valuetext"))
            assert (value > before) if key == "ArrowRight" else (value < before), (before, key, value, aimed)
            before = value
            state = _settled(page, demo_server, f"the map with k = {value}",
                             lambda s: len(s["legend"]) == value and f"k = {value}" in s["caption"],
                             SETTLE_TIMEOUT if value in seen else STEP_TIMEOUT)  # the first time, it names k clusters
            seen.add(value)
            _lap(timings, pressed, f"burst {i + 1}: k = {value}")
            assert [entry.split(":")[0] for entry in state["legend"]] == [str(c) for c in range(value)]
        print(f"seconds from the last press to the settled page: {timings}")  # shown by -rP


@pytest.mark.timeout(900)
def test_rapid_changes_of_the_projection_end_with_the_last_values_map(demo_server, tmp_path):
    timings: dict = {}
    with browser_session(demo_server, tmp_path, timings) as page:
        assert _open(page, demo_server)["title"].startswith("t-SNE")
        group = page.locator('[data-testid="stSidebar"] [role="radiogroup"][aria-label="Map"]')
        group.get_by_text("UMAP").click()  # the first UMAP compiles its code: once, before the presses
        _settled(page, demo_server, "the first UMAP map", lambda s: s["title"].startswith("UMAP"), STEP_TIMEOUT)
        group.get_by_text("t-SNE").click()
        _settled(page, demo_server, "the t-SNE map again", lambda s: s["title"].startswith("t-SNE"))
        # arrow keys move the choice round the group: an odd number of presses changes it
        for i, (name, title) in enumerate(ROUNDS["projection"]):
            pressed = _burst(page, group.locator("input:checked"), "ArrowRight", PRESSES + 1)
            assert group.get_by_role("radio", name=name).is_checked()
            state = _settled(page, demo_server, f"the {name} map", lambda s: s["title"].startswith(title))
            _lap(timings, pressed, f"burst {i + 1}: {name}")
            assert state["points"] == 320
        print(f"seconds from the last press to the settled page: {timings}")  # shown by -rP


@pytest.mark.timeout(900)
def test_refines_cancel_turns_the_toggle_off_and_a_change_of_k_does_not_restart_it(demo_server, tmp_path):
    timings: dict = {}
    with browser_session(demo_server, tmp_path, timings) as page:
        _open(page, demo_server)
        toggle = page.get_by_role("switch", name="Refine embeddings")
        assert not toggle.is_checked()
        page.locator('[data-testid="stSidebar"]').get_by_text("Refine embeddings", exact=True).click()
        refining = page.get_by_text("Refining the embeddings in the background")
        refining.wait_for(timeout=STEP_TIMEOUT * 1000)
        notice = page.get_by_text("Until Refine is done")
        assert notice.count() == 1
        page.get_by_role("button", name="Cancel").click()
        page.get_by_text("Refine was cancelled").wait_for(timeout=STEP_TIMEOUT * 1000)
        wait_until(page, f"() => {SCRIPT_STATE} === 'notRunning'", timeout=STEP_TIMEOUT, what="the page idle",
                   server=demo_server, poll=0.5)
        assert not toggle.is_checked()  # the browser's toggle, not only the session's value
        assert notice.count() == 0 and refining.count() == 0

        k = page.get_by_role("slider", name="Clusters (k)")
        k.focus()
        page.keyboard.press("ArrowRight")
        _settled(page, demo_server, "the map with k = 5", lambda s: len(s["legend"]) == 5)
        assert not toggle.is_checked()
        assert refining.count() == 0 and notice.count() == 0  # Refine did not start again
