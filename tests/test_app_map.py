"""AppTest of the map page (the default page) and the shared sidebar, with a counting fake embedder."""
import pages._cached as cached
from apphelpers import map_charts


def numbers(at):
    return {m.label: float(m.value) for m in at.metric}


def test_controls_cards_and_k_change_does_not_retrain(fake_app):
    at = fake_app()
    at.session_state["encoder_open"] = True  # the "Encoder and seed" expander: its widgets drawn
    at.run()
    assert not at.exception and not at.error
    sliders = {s.label for s in at.sidebar.slider}
    assert {"Sample fraction", "Clusters (k)", "Latent size"} <= sliders
    assert at.sidebar.slider(key="k").value == 4 and at.sidebar.slider(key="latent").value == 64
    assert {r.label for r in at.sidebar.radio} >= {"Data", "Map"}
    cards = numbers(at)
    assert set(cards) == {"Silhouette (embeddings)", "Davies-Bouldin (embeddings)", "ACC vs labels",
                          "NMI vs labels", "ARI vs labels"}
    assert cards["ACC vs labels"] > 0.25
    encoded, trained = at.fake.texts_encoded, cached.CACHE.lru("train").misses
    projected = cached.CACHE.lru("project").misses
    assert encoded == 200 and trained == 1

    at.sidebar.slider(key="k").set_value(6).run()
    assert not at.exception and not at.error
    assert at.fake.texts_encoded == encoded and cached.CACHE.lru("train").misses == trained  # no re-embedding, no retraining
    assert cached.CACHE.lru("project").misses == projected  # the map is not re-projected
    assert cached.CACHE.lru("cluster").misses == 2
    assert numbers(at) != cards

    at.sidebar.slider(key="latent").set_value(16).run()  # a new latent size retrains, but never re-embeds
    assert cached.CACHE.lru("train").misses == trained + 1 and at.fake.texts_encoded == encoded


def test_encoder_settings_are_drawn_only_while_their_expander_is_open_and_kept_when_it_closes(fake_app):
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    labels = {w.label for w in [*at.sidebar.slider, *at.sidebar.number_input, *at.sidebar.selectbox]}
    assert "Sample fraction" in labels and not labels & {"Latent size", "Training epochs", "Seed", "Clusters"}
    assert at.query_params["latent"] == "64"  # the defaults are in use meanwhile

    at.session_state["encoder_open"] = True
    at.run()
    at.sidebar.slider(key="latent").set_value(16).run()
    at.sidebar.number_input(key="seed").set_value(7).run()
    at.session_state["encoder_open"] = False  # closed: the widgets go, their values stay
    at.run()
    at.run()  # a second run: Streamlit drops the state of widgets a run did not draw
    assert not at.exception and not at.error and [w.key for w in at.sidebar.number_input] == ["k_box"]  # k's own
    assert at.query_params["latent"] == "16" and at.query_params["seed"] == "7"
    at.session_state["encoder_open"] = True
    at.run()
    assert at.sidebar.slider(key="latent").value == 16 and at.sidebar.number_input(key="seed").value == 7


def legend(at) -> list[str]:
    """The map's legend entries: the names of its traces."""
    figure = map_charts(at)[0]
    return [trace["name"] for trace in figure["data"] if trace.get("showlegend", True)]


def test_colour_by_true_label(fake_app, app_csv):
    import pandas as pd

    at = fake_app()
    at.run()
    assert [name.split(":")[0] for name in legend(at)] == ["0", "1", "2", "3"]  # one entry per cluster
    at.radio(key="colour_by").set_value("True label").run()
    assert not at.exception and not at.error
    assert sorted(legend(at)) == sorted(pd.read_csv(app_csv)["label"].unique())  # one entry per label


def test_k_is_offered_up_to_a_fifth_of_the_texts_and_too_few_distinct_texts_is_a_message(fake_app, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("text\n" + "\n".join(f"news item number {i % 3}" for i in range(20)) + "\n")
    at = fake_app(data=str(path))
    at.run()
    assert at.sidebar.slider(key="k").max == 4 and at.sidebar.number_input(key="k_box").max == 4  # 20 texts / 5
    assert at.error and "only 3 distinct texts" in at.error[0].value  # k=4 > 3 distinct texts
    at.sidebar.number_input(key="k_box").set_value(3).run()  # the box and the slider are one k
    assert not at.exception and not at.error and at.sidebar.slider(key="k").value == 3


def test_bad_file_is_a_message_not_a_traceback(fake_app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n")
    at = fake_app(data=str(path))
    at.run()
    assert not at.exception
    assert at.error and "No text column found" in at.error[0].value
    assert "Text column" in at.error[0].value and "--" not in at.error[0].value  # the app's picker, not a CLI flag


def test_demo_corpus_when_chosen(fake_app):
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Demo corpus (bundled, fictional)").run()
    assert not at.exception and not at.error
    assert len(at.metric) == 5 and "320 texts" in at.caption[0].value


def test_upload_with_column_pickers_and_a_bad_upload(fake_app, app_csv):
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("binary.csv", b"\x00\x01\x02\x03" * 50, "text/csv")).run()
    assert not at.exception and "binary" in at.sidebar.error[0].value
    at.sidebar.file_uploader[0].set_value(("news.csv", app_csv.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    assert set(at.sidebar.multiselect(key="text_col").options) == {"title", "description", "label"}
    line = at.sidebar.caption[-1].value.replace("\\", "")  # Markdown escapes
    assert "200 rows in the file, 200 in use (fraction 1.00)" in line and "title + description (detected)" in line
    at.sidebar.multiselect(key="text_col").set_value(["title"]).run()
    assert not at.exception and not at.error and len(at.metric) == 5
    assert "text: title ·" in at.sidebar.caption[-1].value


def test_upload_over_the_limit_is_a_message(fake_app, app_csv):
    from streamlit import config

    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    old = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 0)  # MB: every file is over it
    try:
        at.sidebar.file_uploader[0].set_value(("news.csv", app_csv.read_bytes(), "text/csv")).run()
    finally:
        config.set_option("server.maxUploadSize", old)
    assert not at.exception and "over the upload limit" in at.sidebar.error[0].value
    assert not at.metric


def test_hub_unreachable_falls_back_to_the_demo_with_a_warning(fake_app, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cached.hub_file.clear()
    monkeypatch.setattr("core.tables.data._reachable", lambda url, timeout=5.0: False)
    at = fake_app(data=None)
    at.run()
    assert not at.exception and not at.warning  # one short line, not a warning box
    assert at.sidebar.radio(key="source").options[0] == "Demo corpus (the AG News hub file is unavailable)"
    assert "unreachable" in at.sidebar.caption[0].value and "--data" not in at.sidebar.caption[0].value
    assert at.sidebar.button[0].label == "Retry the hub"
    assert "320 texts" in at.caption[0].value


def test_background_precompute_makes_a_k_change_a_cache_hit(fake_app, monkeypatch):
    """After the first map, the ks nearest the current one are clustered (and their raw baselines
    computed) in a background thread, a bounded number of them; a change of k to one of them then
    computes nothing."""
    import threading

    monkeypatch.setattr(cached, "PRECOMPUTE", True)
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    for thread in threading.enumerate():
        if thread.name.startswith("clusterlens-precompute"):
            thread.join(timeout=300)
    clustered, baselines = cached.CACHE.lru("cluster").misses, cached.CACHE.lru("baseline").misses
    from core.session.background import PRECOMPUTE_KS

    assert clustered == PRECOMPUTE_KS and baselines == PRECOMPUTE_KS  # k = 2..13 of 2..40 (200 texts), not all

    at.sidebar.slider(key="k").set_value(9).run()
    assert not at.exception and not at.error
    assert cached.CACHE.lru("cluster").misses == clustered and cached.CACHE.lru("baseline").misses == baselines
    assert all(m.delta is not None for m in at.metric)  # the cards carry their change against the baseline


def test_cards_get_their_baseline_changes_when_it_was_not_precomputed(fake_app):
    at = fake_app()
    at.run()
    at.sidebar.slider(key="k").set_value(3).run()
    assert not at.exception and not at.error
    assert cached.CACHE.lru("baseline").misses == 2
    assert all(m.delta is not None for m in at.metric) and len(at.metric) == 5


def test_a_failing_baseline_is_a_message_not_a_traceback(fake_app, monkeypatch):
    """The baseline is computed after the map is drawn; its failure still ends in one clear message."""
    def broken(*args, **kwargs):
        raise RuntimeError("baseline exploded")

    from core.clustering import cluster_stage
    from core.session import session

    monkeypatch.setattr(session, "baseline_stage", broken)  # the cards' own call
    monkeypatch.setattr(cluster_stage, "baseline_stage", broken)  # the default clusters start from it
    at = fake_app()
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "baseline exploded" in at.error[0].value


def test_a_60_row_upload_is_used_whole_with_headline_and_body(fake_app):
    """Issue 18: an upload is not cut to 10%; the sidebar says how many rows are in the file and in use."""
    rows = [f"Topic {i % 3} news {i},{['markets rise and shares gain', 'team wins the final match', 'new chip and phone launch'][i % 3]} number {i},{i % 3}"
            for i in range(60)]
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("tiny news.csv", ("headline,body,label\n" + "\n".join(rows)).encode(),
                                           "text/csv")).run()
    assert not at.exception and not at.error
    line = at.sidebar.caption[-1].value.replace("\\", "")
    assert "60 rows in the file, 60 in use (fraction 1.00)" in line and "headline + body (detected)" in line
    assert "60 texts from tiny news.csv" in at.caption[0].value.replace("\\", "")


def test_a_label_that_looks_like_a_digit_colours_the_map(fake_app, tmp_path):
    """Issue 17, item 4: a label '²' crashed the map under "Colour by: True label"."""
    import pandas as pd

    words = ["markets rise and shares gain", "team wins the final match", "new chip and phone launch"]
    path = tmp_path / "digits.csv"
    pd.DataFrame({"text": [f"{words[i % 3]} {i}" for i in range(30)],
                  "label": [["²", "1", "x"][i % 3] for i in range(30)]}).to_csv(path, index=False)
    at = fake_app(data=str(path))
    at.run()
    at.radio(key="colour_by").set_value("True label").run()
    assert not at.exception and not at.error


def test_rows_over_the_upload_limit_are_refused(fake_app, app_csv, monkeypatch):
    monkeypatch.setenv("CLUSTERLENS_MAX_UPLOAD_ROWS", "100")
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("news.csv", app_csv.read_bytes(), "text/csv")).run()
    assert not at.exception and "200 rows, over this server's limit of 100 rows per upload" in \
        at.sidebar.error[0].value.replace("\\", "")
    assert not at.metric


def test_a_run_over_the_run_limit_names_the_fraction_and_starts_nothing(fake_app, monkeypatch):
    monkeypatch.setenv("CLUSTERLENS_MAX_RUN_ROWS", "150")
    at = fake_app()
    at.run()
    assert not at.exception and not at.metric and at.fake.encoded == 0
    assert "over this server's limit of 150 per run; lower the sample fraction" in at.error[0].value.replace("\\", "")
    at.sidebar.slider(key=next(s.key for s in at.sidebar.slider if s.label == "Sample fraction")).set_value(0.5).run()
    assert not at.exception and not at.error and len(at.metric) == 5


def test_cards_show_a_computing_cue_until_the_baseline_is_in(fake_app, monkeypatch):
    """The first drawing of the cards (before the baseline) carries a visible cue on each card."""
    import streamlit as st

    seen = []
    original = st.delta_generator.DeltaGenerator.metric

    def spy(self, label, value, delta=None, *args, **kwargs):
        seen.append(delta)
        return original(self, label, value, delta, *args, **kwargs)

    monkeypatch.setattr(st.delta_generator.DeltaGenerator, "metric", spy)
    at = fake_app()
    at.session_state["encoder_open"] = True
    at.run()  # the default co-view clusters start from the baseline, so it is in at once
    assert not at.exception and not at.error and all(d and "computing" not in d for d in seen)
    at.sidebar.selectbox(key="cluster_method").set_value("latent").run()  # the paper's K-Means on the latent
    seen.clear()
    at.sidebar.slider(key="k").set_value(3).run()  # no baseline at k = 3 yet (no background pass in tests)
    assert not at.exception and not at.error
    assert seen[:5] == ["computing the change ..."] * 5 and all(d and "computing" not in d for d in seen[5:10])


def _label_texts(figure) -> list[str]:
    return [" ".join(label["text"].split("<br>")) for label in figure["labels"]]


def test_cluster_names_on_the_map_follow_a_rename_and_the_labels_toggle(fake_app):
    """Issue 27, item 1: each cluster's name is drawn at its place, larger for larger clusters; a
    rename shows at once; the toggle takes them off."""
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    view = at.session_state["session"].last
    figure = map_charts(at)[0]
    assert sorted(_label_texts(figure)) == sorted(view.names().values())  # one per cluster, as named
    sizes = {label["key"]: label["size"] for label in figure["labels"]}
    counts = {str(c): int((view.labels == c).sum()) for c in view.ids}
    assert sizes[max(counts, key=counts.get)] == max(sizes.values())  # the largest cluster's name is the largest
    assert {k: g["cluster"] for k, g in figure["groups"].items()} == {"0": 0, "1": 1, "2": 2, "3": 3}
    at.session_state["session"].rename(view, 2, "Renamed for the map")
    at.run()
    assert "2: Renamed for the map" in _label_texts(map_charts(at)[0])
    at.toggle(key="map_labels").set_value(False).run()
    assert not at.exception and map_charts(at)[0]["labels"] == []


def test_a_click_on_a_name_focuses_its_cluster_and_find_a_cluster_zooms_to_one(fake_app):
    """What the map's frame sends when a cluster's name or legend entry is clicked (it zooms there
    itself): the cluster is focused and offered on the Clusters page. "Find a cluster" asks the
    frame to zoom."""
    import pages._state as S

    at = fake_app()
    at.run()
    at.session_state[S.MAP_CHART + "_svg"] = {"ids": [], "n": 1, "focus": 2, "focused_at": 1}
    at.run()
    assert not at.exception and at.session_state[S.FOCUS_CLUSTER] == 2
    links = [link.proto.label for link in at.get("page_link")]
    assert any(label.startswith("Open cluster 2:") and "on the Clusters page" in label for label in links), links
    at.selectbox(key=S.FIND_CLUSTER).set_value(3).run()
    assert not at.exception and at.session_state[S.FOCUS_CLUSTER] == 3  # the find came after the click
    assert map_charts(at)[0]["zoom"] == {"key": "3", "n": 1}
    at.switch_page("pages/clusters.py").run()
    opened = [e for e in at.expander if e.proto.expanded]
    assert len(opened) == 1 and opened[0].label.startswith("Cluster 3:")


def test_one_selected_text_is_named_so_and_listed_under_the_map_before_the_cards(fake_app):
    from apphelpers import select_on_map

    at = fake_app()
    at.run()
    select_on_map(at, [5])
    at.run()
    assert not at.exception
    assert [h.value for h in at.subheader][:1] == ["1 selected text"]
    order = [type(e).__name__ for e in at.main]
    assert order.index("Dataframe") < order.index("Metric")  # the text under the map, the cards below it


def test_cards_say_no_change_in_grey_and_why_when_the_clusters_are_k_means_own(fake_app, monkeypatch):
    """The co-view keeps the K-Means partition when its words move nothing: every change is zero, grey,
    without an arrow, and the tooltip says why."""
    from core.clustering import coview

    def moves_nothing(X, labels, texts, **kwargs):
        return coview.Refinement(labels.copy(), [0])

    monkeypatch.setattr("core.clustering.cluster_stage.reassign", moves_nothing)
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    from streamlit.proto.Metric_pb2 import Metric

    assert len(at.metric) == 5
    for card in at.metric:
        assert card.proto.delta == "no change (0.000)", card.proto
        assert card.proto.color == Metric.MetricColor.GRAY and card.proto.direction == Metric.MetricDirection.NONE
        assert "K-Means' own" in card.proto.help
    assert any(c.value.startswith("In the encoder's latent space") for c in at.caption)


def test_a_new_file_starts_at_its_suggested_k_not_the_last_files_and_each_keeps_its_own(fake_app, monkeypatch):
    """Issue 27, item 6: a 3-topic file opened after k was set to 19 for another starts at the k
    suggested for it, and the sidebar says why; going back finds the other file at its own k."""
    monkeypatch.setattr("pages._k.SUGGEST", True)
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    first = at.session_state["session"].last
    suggested = at.session_state["k_suggested"][first.source.key]
    assert at.sidebar.slider(key="k").value == suggested[0] == first.k  # started at the suggestion
    assert any(c.value.replace("\\", "").startswith(f"Suggested for this data: k = {suggested[0]} (K-Means on the raw "
                                                     "embeddings") for c in at.sidebar.caption)
    at.sidebar.slider(key="k").set_value(19).run()

    words = ["markets rise and shares gain today", "team wins the final match again", "new chip and phone launch soon"]
    rows = [f"{words[i % 3]} number {i}" for i in range(90)]
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("three topics.csv", ("text\n" + "\n".join(rows)).encode(), "text/csv")).run()
    assert not at.exception and not at.error
    upload = at.session_state["session"].last
    k, why = at.session_state["k_suggested"][upload.source.key]
    assert upload.k == k == at.sidebar.slider(key="k").value and k != 19 and k <= 90 // 5
    assert "the highest silhouette" in why
    at.sidebar.radio(key="source").set_value(at.sidebar.radio(key="source").options[0]).run()
    assert not at.exception and at.sidebar.slider(key="k").value == 19 and at.session_state["session"].last.k == 19
