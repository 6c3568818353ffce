"""The view's link (issue 14, item 6): core.session.view_link's parsing and writing, and the app reading and
writing its URL (AppTest's ``query_params`` stand for the browser's address)."""
from __future__ import annotations

import numpy as np
import pytest

from dataclasses import replace

from core.config import ClusterConfig, DataConfig, EncoderConfig, ProjectConfig, RefineConfig, RunConfig
from core.session.view_link import clustering_key, link_source, linked_focus, parse, to_query


def test_round_trip_of_every_setting():
    cfg = RunConfig(data=DataConfig(source="demo", fraction=0.35),
                    encoder=EncoderConfig(hidden=256, latent=16, objective="autoencoder", epochs=7),
                    cluster=ClusterConfig(k=7, method="latent"), project=ProjectConfig(method="umap"), seed=123)
    query = to_query(cfg, data=link_source("demo"), colour="source", focus=3, q="rocket launch")
    assert query == {"data": "demo", "fraction": "0.35", "k": "7", "method": "latent", "objective": "autoencoder",
                     "hidden": "256", "latent": "16", "epochs": "7", "seed": "123", "projection": "umap",
                     "colour": "source", "focus": "3", "q": "rocket launch"}
    settings, notices = parse(query)
    assert notices == []
    assert settings == {"data": "demo", "fraction": 0.35, "k": 7, "method": "latent", "objective": "autoencoder",
                        "hidden": 256, "latent": 16, "epochs": 7, "seed": 123, "projection": "umap",
                        "colour": "source", "focus": 3, "q": "rocket launch"}


def test_an_upload_is_named_never_a_path_and_the_hub_by_name():
    cfg = RunConfig()
    assert to_query(cfg, data=None, upload="my news.csv")["upload"] == "my news.csv"
    assert "data" not in to_query(cfg, data=link_source("path:/srv/secret.csv:10:0"))
    assert to_query(cfg, data=link_source(cfg.data.source))["data"] == "hub"
    assert parse({"data": "hub"})[0] == {"data": cfg.data.source}
    settings, notices = parse({"data": "/etc/passwd", "upload": "../x.csv"})
    assert settings == {} and len(notices) == 2
    assert "data=" in notices[0] and "'demo' or 'hub'" in notices[0]
    assert "upload=" in notices[1] and "no folders" in notices[1]


@pytest.mark.parametrize("name, value, expected", [
    ("k", "1", "from 2 to 20"), ("k", "five", "from 2 to 20"), ("fraction", "0", "from 0.01 to 1.0"),
    ("fraction", "nan", "from 0.01 to 1.0"), ("seed", "-1", "from 0"), ("hidden", "100", "one of 32, 64"),
    ("objective", "magic", "one of autoencoder, neighbours"), ("projection", "pca", "one of tsne, umap"),
    ("q", "x" * 1001, "at most 1,000 characters"), ("upload", "data.xlsx", "ending in .csv"),
    ("latent", "129", "from 2 to 128"), ("focus", "-3", "from 0")])
def test_a_bad_value_is_ignored_with_a_notice_naming_it(name, value, expected):
    settings, notices = parse({name: value, "k": "6"} if name != "k" else {name: value})
    assert name not in settings
    assert len(notices) == 1 and f"{name}=" in notices[0] and expected in notices[0], notices


def test_unknown_keys_and_empty_values_are_ignored():
    settings, notices = parse({"zoom": "3", "k": ["4", "9"], "q": "", "data": "DEMO"})
    assert settings == {"k": 9, "data": "demo"}  # a repeated parameter: its last value, as st.query_params
    assert notices == ["The link's parameter 'zoom' is not a setting of this app; it was ignored."]


def test_data_wins_over_an_upload():
    settings, notices = parse({"data": "demo", "upload": "news.csv"})
    assert settings == {"data": "demo"} and "upload was ignored" in notices[0]


def test_a_focus_is_tied_to_the_data_and_the_settings_of_its_clustering():
    cfg = RunConfig(data=DataConfig(source="demo"))
    key = clustering_key("demo", cfg)
    assert clustering_key("demo", replace(cfg, project=ProjectConfig(method="umap"))) == key  # moves points only
    assert clustering_key("demo", replace(cfg, refine=RefineConfig(enabled=True))) == key  # a link has no Refine
    for other in (replace(cfg, data=replace(cfg.data, fraction=0.5)), replace(cfg, cluster=ClusterConfig(k=5)),
                  replace(cfg, seed=7), replace(cfg, encoder=EncoderConfig(latent=16))):
        assert clustering_key("demo", other) != key
    assert clustering_key("upload:abc:news.csv", cfg) != key
    assert linked_focus((key, 3), key, k=4) == 3
    assert linked_focus((key, 3), clustering_key("demo", replace(cfg, seed=7)), k=4) is None  # other clusters
    assert linked_focus((key, 4), key, k=4) is None  # not a cluster of this clustering
    assert linked_focus((None, 3), None, k=4) == 3  # a link's own, while its upload is awaited
    assert linked_focus(None, key, k=4) is None


# -- the app ------------------------------------------------------------------------------------------
def test_a_link_opens_the_demo_with_k_5_and_the_url_follows_the_settings(fake_app):
    at = fake_app(data=None)
    at.query_params = {"data": "demo", "k": "5"}
    at.run()
    assert not at.exception and not at.error
    assert at.sidebar.slider(key="k").value == 5
    assert at.sidebar.radio(key="source").value == "Demo corpus (bundled, fictional)"
    assert "320 texts" in at.caption[0].value and "k = 5" in at.caption[0].value
    assert at.query_params["data"] == "demo" and at.query_params["k"] == "5"
    assert at.query_params["fraction"] == "1"  # the demo's default: all of it
    assert not at.sidebar.code  # drawn only when its expander is open
    at.session_state["link_open"] = True
    at.run()
    link = at.sidebar.code[0].value
    assert link.startswith("?") and "data=demo" in link and "k=5" in link

    at.sidebar.slider(key="k").set_value(3).run()
    assert at.query_params["k"] == "3"


def test_bad_and_unknown_parameters_are_notices_not_crashes(fake_app):
    at = fake_app(data=None)
    at.query_params = {"data": "demo", "k": "999", "zoom": "2", "seed": "x", "colour": "Nonsense", "epochs": "2",
                       "fraction": "0.2"}
    at.run()
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "k=" in warnings and "zoom" in warnings and "seed=" in warnings and "colour" in warnings
    assert at.sidebar.slider(key="k").value == 4 and at.radio(key="colour_by").value == "Cluster"
    assert "zoom" not in at.query_params and at.query_params["k"] == "4"


def test_every_setting_of_a_link_reaches_its_widget_and_the_url_keeps_it(fake_app):
    """While the upload the link names is awaited nothing is computed, but every widget is drawn."""
    link = {"upload": "news.csv", "fraction": "0.2", "k": "3", "method": "latent", "objective": "autoencoder",
            "hidden": "64", "latent": "8", "epochs": "2", "seed": "7", "projection": "umap",
            "colour": "True label", "focus": "1", "q": "rocket launch"}
    at = fake_app(data=None)
    at.query_params = dict(link)
    at.run()
    assert not at.exception and not at.error
    assert dict(at.query_params) == link  # "Encoder and seed" closed: its settings are in use all the same
    at.session_state["encoder_open"] = True
    at.run()
    side = at.sidebar
    assert side.radio(key="source").value == "Upload a file" and side.slider(key="k").value == 3
    assert side.selectbox(key="cluster_method").value == "latent"
    assert side.selectbox(key="objective").value == "autoencoder"
    assert side.select_slider(key="hidden").value == 64 and side.slider(key="latent").value == 8
    assert side.number_input(key="epochs").value == 2 and side.number_input(key="seed").value == 7
    assert side.radio(key="projection").value == "UMAP"
    assert at.session_state["colour_by"] == "True label" and at.session_state["focus_cluster"] == 1
    assert at.session_state["search_query"] == "rocket launch"
    assert dict(at.query_params) == link  # the URL the app writes back is the link


def test_the_widget_ranges_are_the_links(fake_app):
    from core.session import view_link

    at = fake_app(data=None)
    at.query_params = {"data": "demo", "fraction": "0.1", "epochs": "1"}
    at.session_state["encoder_open"] = True
    at.run()
    side = at.sidebar
    assert (side.slider(key="latent").min, side.slider(key="latent").max) == view_link.LATENT_RANGE
    assert (side.number_input(key="epochs").min, side.number_input(key="epochs").max) == view_link.EPOCHS_RANGE
    assert tuple(side.select_slider(key="hidden").options) == tuple(map(str, view_link.HIDDEN_CHOICES))


def test_a_reload_of_an_upload_asks_for_the_file_and_keeps_the_rest(fake_app, app_csv):
    at = fake_app(data=None)
    at.query_params = {"upload": "news.csv", "fraction": "0.5", "k": "3", "epochs": "2"}
    at.run()
    assert not at.exception and not at.error
    assert at.sidebar.radio(key="source").value == "Upload a file"
    assert any("news.csv" in i.value.replace("\\", "") and "upload it again" in i.value for i in at.sidebar.info)
    assert at.query_params["upload"] == "news.csv" and at.query_params["fraction"] == "0.5"
    at.sidebar.file_uploader[0].set_value(("news.csv", app_csv.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    assert at.sidebar.slider(key="k").value == 3
    assert "100 in use (fraction 0.50)" in at.sidebar.caption[-1].value.replace("\\", "")


def test_a_project_is_named_by_its_id_and_a_bad_one_is_a_notice():
    cfg = RunConfig()
    query = to_query(cfg, data=link_source(cfg.data.source), project="c3e6d7eefcc5")
    assert list(query)[0] == "project" and parse(query)[0]["project"] == "c3e6d7eefcc5"
    for bad in ("../etc", "short", "UPPER-case-id!", "x" * 40):
        settings, notices = parse({"project": bad, "k": "5"})
        assert settings == {"k": 5} and len(notices) == 1 and "project=" in notices[0] and "id" in notices[0]


def test_a_link_to_a_project_opens_it_with_its_settings(fake_app):
    at = fake_app()
    at.run()
    at.sidebar.slider(key="k").set_value(5).run()
    pid = at.query_params["project"]
    at.session_state["session"].rename(at.session_state["session"].last, 1, "Named")  # an edited project

    again = fake_app()  # a new session (another tab, a reload) on a link naming only the project
    again.query_params = {"project": pid}
    again.run()
    assert not again.exception and not again.error
    assert again.sidebar.slider(key="k").value == 5 and again.session_state["session"].project.id == pid
    assert again.session_state["session"].last.name(1) == "1: Named"
    assert again.query_params["project"] == pid and again.query_params["k"] == "5"

    link = fake_app()  # the link's own settings apply over the project's
    link.query_params = {"project": pid, "k": "3"}
    link.run()
    assert link.sidebar.slider(key="k").value == 3 and link.session_state["session"].project.id == pid


def test_a_link_to_a_project_this_server_lacks_is_one_notice_and_the_rest_applies(fake_app):
    at = fake_app(data=None)
    at.query_params = {"project": "0123456789ab", "data": "demo", "k": "6"}
    at.run()
    assert not at.exception and not at.error
    notices = [w.value.replace("\\", "") for w in at.warning]
    assert len(notices) == 1 and "project could not be opened" in notices[0] and "other settings" in notices[0]
    assert at.sidebar.slider(key="k").value == 6 and "Demo corpus" in at.sidebar.radio(key="source").value
    assert at.query_params["project"] != "0123456789ab"  # the view made a project of its own


def test_a_links_focus_goes_when_the_data_or_the_clusters_change(fake_app):
    """issue 28: focus=3 travelled in a copied link after the data changed, naming another cluster."""
    at = fake_app(data=None)
    at.query_params = {"data": "demo", "k": "4", "focus": "2"}
    at.run()
    assert not at.exception and at.query_params["focus"] == "2"
    at.sidebar.radio(key="projection").set_value("UMAP").run()  # the same clusters, other positions
    assert at.query_params["focus"] == "2"
    fraction = next(s for s in at.sidebar.slider if s.label == "Sample fraction")
    fraction.set_value(0.5).run()  # other texts: cluster 2 is another cluster
    assert not at.exception and "focus" not in at.query_params
    next(s for s in at.sidebar.slider if s.label == "Sample fraction").set_value(1.0).run()
    assert at.query_params["focus"] == "2"  # its clustering again
    at.sidebar.slider(key="k").set_value(3).run()
    assert "focus" not in at.query_params
    assert at.session_state["focus_cluster"] == 2  # the Clusters page's own choice is not the link's business


def test_a_links_focus_beyond_its_k_is_not_carried(fake_app):
    at = fake_app(data=None)
    at.query_params = {"data": "demo", "k": "3", "focus": "5"}
    at.run()
    assert not at.exception and "focus" not in at.query_params


def test_a_cluster_chosen_on_the_map_is_the_one_a_new_session_of_the_link_opens(fake_app):
    """Cluster numbers are a function of the clustering, not of the path a session took to it: the
    sender reached k = 5 from k = 4, the recipient opens k = 5 at once, and both see the same texts
    under the link's focused cluster."""
    from apphelpers import select_on_map, shown

    sender = fake_app()
    sender.run()
    sender.sidebar.slider(key="k").set_value(5).run()
    _, sender_ids = shown(sender)
    fresh = fake_app()
    fresh.query_params = {"k": "5"}
    fresh.run()
    np.testing.assert_array_equal(shown(fresh)[1], sender_ids)  # the same numbers, whatever the path
    cluster = 3
    rows = [int(r) for r in (sender_ids == cluster).nonzero()[0][:3]]

    select_on_map(sender, rows)
    sender.run()
    assert sender.session_state["focus_cluster"] == cluster  # this session's Clusters page
    sender.run()  # the URL follows at the next run
    assert sender.query_params["focus"] == str(cluster)

    recipient = fake_app()
    recipient.query_params = dict(sender.query_params)
    recipient.switch_page("pages/clusters.py").run()
    assert not recipient.exception
    opened = [e for e in recipient.main.expander if e.proto.expanded]
    assert len(opened) == 1 and opened[0].label.replace("\\", "").startswith(f"Cluster {cluster}:")
    assert set(shown(recipient)[1][rows]) == {cluster}  # the texts chosen on the sender's map
