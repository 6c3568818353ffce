"""AppTest of the tree of clusters: the Hierarchy page, the map's Level control, a branch merged in one click."""
import json

import numpy as np

from apphelpers import map_charts
from test_app_map import legend


def icicle(at) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(c["data"][0] for c in charts if c["data"] and c["data"][0]["type"] == "icicle")


def merge_buttons(at) -> list:
    return [b for b in at.button if b.key and b.key.startswith("merge_branch:")]


def test_the_hierarchy_page_draws_the_tree_with_a_name_at_every_level(fake_app):
    at = fake_app()
    at.switch_page("pages/hierarchy.py").run()
    assert not at.exception and not at.error
    view = at.session_state["session"].last
    tree = at.session_state["session"].hierarchy(view)
    drawn = icicle(at)
    expected = {tree.root.node} | {n.node for n in tree.cut(2)} | set(range(4))
    assert sorted(map(int, drawn["ids"])) == sorted(expected)
    assert drawn["values"][0] == 200 and drawn["parents"][0] == ""  # the root holds every text
    assert set(view.names().values()) <= set(drawn["labels"])  # the leaves are the clusters, as named
    assert all(drawn["labels"])
    groups = [m.value for m in at.markdown if m.value.startswith("**Group ")]
    assert len(groups) == 2  # the level of 2 groups is listed
    joined = [n for n in tree.cut(2) if len(n.clusters) > 1]
    assert len(merge_buttons(at)) == len(joined) >= 1  # a group of one cluster has nothing to merge
    for node in joined:
        assert node.keywords and node.name in " ".join(groups).replace("\\", "")  # named by its words


def test_a_branch_merged_in_one_click_is_an_edit(fake_app):
    at = fake_app()
    at.switch_page("pages/hierarchy.py").run()
    session = at.session_state["session"]
    tree = session.hierarchy(session.last)
    branch = next(n for n in tree.cut(2) if len(n.clusters) > 1)
    next(b for b in merge_buttons(at) if b.key == f"merge_branch:{branch.node}").click().run()
    assert not at.exception and not at.error
    expected = "Merged clusters " + ", ".join(map(str, sorted(branch.clusters))) + "."
    assert at.success[0].value.replace("\\", "") == expected
    view = session.last
    assert view.edited and view.history == (expected[0].lower() + expected[1:-1],)
    assert view.k == 4 - len(branch.clusters) + 1 and min(branch.clusters) in view.ids
    assert not (np.isin(view.labels, sorted(branch.clusters)[1:])).any()
    drawn = icicle(at)  # the tree of the edited clusters
    assert set(view.names().values()) <= set(drawn["labels"])
    assert session.hierarchy(view).ids == tuple(view.ids)
    at.switch_page("pages/map.py").run()
    assert not at.exception and len(legend(at)) == view.k  # the map shows the edited clusters


def test_the_map_colours_and_labels_by_a_level_of_the_tree(fake_app):
    at = fake_app()
    at.run()
    assert at.selectbox(key="map_level").options == ["4 clusters", "2 groups"]
    at.selectbox(key="map_level").set_value(2).run()
    assert not at.exception and not at.error
    view = at.session_state["session"].last
    tree = at.session_state["session"].hierarchy(view)
    figure = map_charts(at)[0]
    names = [f"Group {g + 1}: {n.name}" for g, n in enumerate(tree.cut(2))]
    assert legend(at) == names
    assert sorted(" ".join(label["text"].split("<br>")) for label in figure["labels"]) == sorted(names)
    assert all(g["cluster"] is None for g in figure["groups"].values())  # a group is no cluster to focus
    groups = tree.group_labels(view.labels, 2)
    for trace, name in zip([t for t in figure["data"] if t.get("showlegend", True)], names):
        rows = [r[0] for r in trace["customdata"]]
        assert set(groups[rows]) == {names.index(name)}  # each point in its cluster's group
    at.selectbox(key="map_level").set_value(0).run()  # the clusters
    assert len(legend(at)) == 4 and sorted(legend(at)) == sorted(view.names().values())
    at.sidebar.slider(key="k").set_value(8).run()  # "the clusters" stays the clusters whatever k (not "4 groups")
    assert at.selectbox(key="map_level").options == ["8 clusters", "4 groups", "2 groups"]
    assert at.selectbox(key="map_level").value == 0 and len(legend(at)) == 8
    at.selectbox(key="map_level").set_value(4).run()
    assert legend(at)[0].startswith("Group 1: ") and len(legend(at)) == 4
    at.sidebar.slider(key="k").set_value(5).run()  # a level the new k does not offer: back to the clusters
    assert at.selectbox(key="map_level").value == 0 and len(legend(at)) == 5


def test_above_the_palette_clusters_take_their_upper_groups_colour_and_keep_their_own_names(fake_app):
    """Issue 27, item 2's second half: 45 clusters, 40 distinct colours: each cluster is coloured by its
    group among 22 (the tree's largest level of at most 40 groups); the legend and labels name clusters."""
    from conftest import DEMO
    from core.plots.plots import colour

    at = fake_app(data=str(DEMO))  # 320 texts: k goes to 64
    at.run()
    at.sidebar.slider(key="k").set_value(45).run()
    assert not at.exception and not at.error
    view = at.session_state["session"].last
    assert view.k == 45
    groups = at.session_state["session"].hierarchy(view, named=False).groups(22)
    figure = map_charts(at)[0]
    traces = {t["name"]: t for t in figure["data"]}
    names = view.names()
    assert sorted(legend(at)) == sorted(names.values())
    for c, name in names.items():
        assert traces[name]["marker"]["color"] == colour(groups[c])
    assert len({colour(g) for g in groups.values()}) == 22
    squeezed = sorted(label["text"].replace("<br>", "").replace(" ", "") for label in figure["labels"])
    assert squeezed == sorted(n.replace(" ", "") for n in names.values())  # wrapped at spaces and hyphens
    assert any("coloured by their group of 22" in c.value for c in at.caption)


def test_no_helper_module_shares_a_pages_url():
    """The server reads pages/ too: a helper pages/_x.py beside a page pages/x.py resolves to the same URL
    (/x) and every run fails ("Two pages resolve to the URL pathname"); AppTest does not read pages/ so."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pages = re.findall(r'st\.Page\("pages/(\w+)\.py"', (root / "app.py").read_text())
    assert "hierarchy" in pages
    assert not [p for p in pages if (root / "pages" / f"_{p}.py").exists()]
