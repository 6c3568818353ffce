"""AppTest of the Compare page (issue 26): two versions of the open project, each as computed or as edited;
the agreement, where the texts went and the texts that moved, searchable; versions named and snapshots kept;
versions of other fractions compared on the texts they share."""
from __future__ import annotations

import json

from core.clustering.compare import describe_settings

COMPARE = "pages/compare.py"


def ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def text(element) -> str:
    return element.value.replace("\\", "")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def heatmap(at) -> dict:
    """The crosstab's trace, with ``z`` as a list of rows (Plotly sends an array as base64 bytes)."""
    import base64

    import numpy as np

    trace = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    z = trace["z"]
    if isinstance(z, dict):
        shape = tuple(int(n) for n in z["shape"].split(","))
        trace["z"] = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape).tolist()
    return trace


def test_without_a_project_the_page_says_where_to_get_one(fake_app):
    at = fake_app()
    at.switch_page(COMPARE).run()
    ok(at)
    assert "Open a project on the Projects page" in at.info[0].value and not at.metric


def test_before_and_after_edits_and_a_snapshot(fake_app):
    at = ok(fake_app().run())
    at.switch_page("pages/clusters.py").run()
    sizes = {s.cluster: s.size for s in at.session_state["session"].last.summaries}
    at.multiselect(key="edit_merge").set_value([2, 3])
    next(b for b in at.button if b.label == "Merge clusters").click().run()
    at.selectbox(key="edit_rename_cluster").set_value(0)
    at.text_input(key="edit_rename_to").input("World")
    next(b for b in at.button if b.label == "Rename").click().run()
    ok(at)

    at.switch_page(COMPARE).run()
    ok(at)
    assert at.radio(key="compare_a_edited").value is False and at.radio(key="compare_b_edited").value is True
    numbers = metrics(at)
    assert float(numbers["ARI"]) < 1 and float(numbers["NMI"]) < 1
    moved = sizes[3]  # cluster 3 went into 2; nothing else moved
    assert at.subheader[1].value == f"Texts that changed cluster ({moved})"
    assert len(at.dataframe[0].value) == moved and set(at.dataframe[0].value["to"]) == {at.session_state[
        "session"].last.name(2)}
    cells = heatmap(at)
    assert len(cells["y"]) == 4 and len(cells["x"]) == 3 and "0: World" in cells["x"]  # names, as edited
    assert sum(map(sum, cells["z"])) == 200

    first = at.dataframe[0].value["text"].iloc[0]
    at.text_input(key="compare_search").input(first[:25]).run()
    assert 1 <= len(at.dataframe[0].value) < moved or moved == 1
    at.text_input(key="compare_search").input("no text holds this").run()
    assert at.dataframe[0].value.empty

    at.text_input(key="snapshot_name").input("After the merge")
    next(b for b in at.button if b.label == "Keep a snapshot of the current edits").click().run()
    ok(at)
    assert "Snapshot kept." in text(at.success[0])
    options = at.selectbox(key="compare_b").options
    assert any(o.startswith("After the merge, edited") for o in options), options
    at.switch_page("pages/clusters.py").run()
    next(b for b in at.button if b.label == "Undo all edits").click().run()  # the version goes on
    at.switch_page(COMPARE).run()
    snapshot = next(v.id for v in at.session_state["session"].project.versions if v.name == "After the merge")
    at.selectbox(key="compare_b").set_value(snapshot).run()
    ok(at)
    assert at.subheader[1].value == f"Texts that changed cluster ({moved})"  # the snapshot kept the merge
    at.radio(key="compare_b_edited").set_value(False).run()
    assert metrics(at)["ARI"] == "1.000" and at.subheader[1].value == "Texts that changed cluster (0)"

    at.selectbox(key="version_name:which").set_value(snapshot)
    at.text_input(key="version_name").input("Merged")
    next(b for b in at.button if b.label == "Name this version").click().run()
    assert any(o.startswith("Merged, edited") for o in at.selectbox(key="compare_b").options)


def test_versions_of_other_fractions_compare_on_the_texts_they_share(fake_app):
    at = ok(fake_app().run())
    fraction = next(s for s in at.sidebar.slider if s.label == "Sample fraction")
    fraction.set_value(0.5).run()
    ok(at)
    at.sidebar.slider(key="k").set_value(3).run()
    ok(at)
    at.switch_page(COMPARE).run()
    versions = at.session_state["session"].project.versions
    assert len(versions) == 3
    full = next(v.id for v in versions if v.settings["data"]["fraction"] == 1.0)
    at.selectbox(key="compare_b").set_value(full).run()
    ok(at)
    assert at.selectbox(key="compare_a").value == at.session_state["session"].project.view["version"]
    caption = " ".join(text(c) for c in at.caption)
    assert "Compared on the 100 texts both versions hold" in caption and "the second 100 more" in caption
    assert sum(map(sum, heatmap(at)["z"])) == 100 and len(heatmap(at)["y"]) == 3 and len(heatmap(at)["x"]) == 4
    assert describe_settings(next(v for v in versions if v.id == full).settings).startswith("k=4 · fraction 1.00")


def test_a_project_of_one_unedited_version_says_how_to_get_a_second(fake_app):
    at = ok(fake_app())
    at.run()
    at.switch_page(COMPARE).run()
    assert any("has one version, not edited yet" in text(i) for i in ok(at).info)
    at.switch_page("pages/map.py").run()
    at.sidebar.slider(key="k").set_value(5).run()
    at.switch_page(COMPARE).run()
    assert not any("has one version" in text(i) for i in ok(at).info)
