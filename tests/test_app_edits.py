"""AppTest of the cluster edits on the Clusters page: split (preview, back, accept), merge, rename, bad input."""
import io
import json

import pandas as pd

from apphelpers import spy_downloads
from core.plots.plots import CHART_CONFIG
from test_app_map import legend




def click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def unescaped(element) -> str:
    return element.value.replace("\\", "")  # messages are shown through pages._safe.plain


def sections(at) -> list[str]:
    return [e.label.replace("\\", "") for e in at.main.expander if e.label.startswith("Cluster ")]  # names: plain


def exported(at, downloads) -> tuple[pd.DataFrame, list, dict]:
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    return (pd.read_csv(io.StringIO(downloads["Assignments (CSV)"])), json.loads(downloads["Clusters (JSON)"]),
            json.loads(downloads["Metrics (JSON)"]))


def test_split_preview_back_and_accept(fake_app, monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = fake_app()
    at.switch_page("pages/clusters.py").run()
    assert len(sections(at)) == 4
    _, _, before = exported(at, downloads)
    at.switch_page("pages/clusters.py").run()

    at.selectbox(key="edit_split_cluster").set_value(1)
    at.number_input(key="edit_split_parts").set_value(3)
    click(at, "Split this cluster")
    assert "Split of cluster 1" in at.subheader[0].value and not sections(at)  # the preview only
    assert len(at.main.dataframe) == 3 and at.get("plotly_chart")  # a sub-map and one list per part
    assert json.loads(at.get("plotly_chart")[0].proto.config) == CHART_CONFIG  # no cloud button on the sub-map
    parts = [m.value for m in at.markdown if m.value.startswith("**Part ")]
    assert len(parts) == 3

    click(at, "Back to all clusters")
    assert len(sections(at)) == 4  # nothing changed

    click(at, "Split this cluster")
    click(at, "Accept the split")
    assert len(sections(at)) == 6 and "Split cluster 1 into 3 parts." in unescaped(at.success[0])
    at.run()  # edits survive a rerun
    assert len(sections(at)) == 6

    table, clusters, metrics = exported(at, downloads)
    assert sorted(table["cluster"].unique()) == list(range(6)) and [c["cluster"] for c in clusters] == list(range(6))
    assert sum(c["size"] for c in clusters) == 200 and metrics["k"] == 6
    # the download says the clusters were edited: cluster 1's texts are now in three
    assert table.loc[table["cluster_as_computed"] == 1, "cluster"].nunique() == 3
    assert metrics["silhouette"] != before["silhouette"]  # the edited partition is scored
    assert metrics["acc"] is not None and metrics["acc"] != before["acc"]
    at.switch_page("pages/map.py").run()
    assert len(legend(at)) == 6


def test_merge_and_rename_reach_the_legend_and_the_export_and_come_back_with_k(fake_app, monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = fake_app()
    at.switch_page("pages/clusters.py").run()
    at.multiselect(key="edit_merge").set_value([2, 3])
    click(at, "Merge clusters")
    assert len(sections(at)) == 3 and "Merged clusters 2, 3." in unescaped(at.success[0])

    at.selectbox(key="edit_rename_cluster").set_value(0)
    at.text_input(key="edit_rename_to").input("  Money   and markets ")
    click(at, "Rename")
    assert sections(at)[0].startswith("Cluster 0: Money and markets ·")
    for box in ("edit_rename_cluster", "edit_split_cluster"):  # the edit boxes offer the new name at once
        assert "Money and markets" in at.selectbox(key=box).options[0], at.selectbox(key=box).options
    table, clusters, _ = exported(at, downloads)
    assert clusters[0]["name"] == "0: Money and markets" and len(clusters) == 3
    assert set(table.loc[table["cluster"] == 0, "cluster_name"]) == {"0: Money and markets"}
    at.switch_page("pages/map.py").run()
    assert "0: Money and markets" in legend(at) and len(legend(at)) == 3

    at.sidebar.slider(key="k").set_value(5).run()  # another k: another version of the project, its own clusters
    assert not at.exception and not at.error
    assert len(legend(at)) == 5 and not any("Money" in name for name in legend(at))
    at.sidebar.slider(key="k").set_value(4).run()  # back to k=4: the edits are there again
    assert "0: Money and markets" in legend(at) and len(legend(at)) == 3
    _, _, metrics = exported(at, downloads)
    assert metrics["edits"]["edited"] and metrics["edits"]["names"] == {"0": "Money and markets"}
    assert metrics["edits"]["history"] == ["merged clusters 2, 3", "renamed cluster 0 to 'Money and markets'"]
    assert metrics["cluster_ids"] == [0, 1, 2]  # cluster 3's id went with the merge; the others kept theirs


def test_bad_edits_are_messages_and_change_nothing(fake_app, tmp_path):
    rows = [f"{topic} news item {i} about {topic}" for topic in ("football", "stocks", "rockets", "rain")
            for i in range(3)]
    path = tmp_path / "repeated.csv"
    pd.DataFrame({"text": rows * 10}).to_csv(path, index=False)  # 12 distinct texts, each 10 times
    at = fake_app(data=str(path))
    at.switch_page("pages/clusters.py").run()
    assert not at.exception and not at.error
    names = sections(at)

    at.number_input(key="edit_split_parts").set_value(8)
    click(at, "Split this cluster")
    assert "distinct text" in at.error[0].value and "choose at most" in at.error[0].value.replace("\\", "")
    at.multiselect(key="edit_merge").set_value([1])
    click(at, "Merge clusters")
    assert "pick two or more clusters to merge" in at.error[0].value
    for bad, why in [("x" * 10_000, "at most 60 characters"), ("<b>bold</b>", "plain text"),
                     ("**loud**", "plain text"), ("[link](http://example.com)", "plain text"), ("   ", "type a name")]:
        at.text_input(key="edit_rename_to").input(bad)
        click(at, "Rename")
        assert why in at.error[0].value.replace("\\", ""), (bad, at.error[0].value)
        assert sections(at) == names  # nothing changed
    assert not at.success
