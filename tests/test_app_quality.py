"""AppTest of the quality page."""
import pages._cached as cached
from core.plots.plots import CHART_CONFIG


def test_loss_sweep_and_confusion(fake_app):
    at = fake_app()
    at.switch_page("pages/quality.py").run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader] == ["Training loss", "How many clusters?", "Clusters against labels"]
    sweep_caption = [c.value for c in at.caption if c.value.startswith("K-Means on the embeddings, checked against the texts' words")]
    assert sweep_caption and "Suggested: k =" in sweep_caption[0]
    assert "favours coarse splits" in sweep_caption[0] and "ACC is highest at k =" in sweep_caption[0]
    assert any(c.value.startswith("ACC ") for c in at.caption)
    trained, clustered = cached.CACHE.lru("train").misses, cached.CACHE.lru("cluster").misses
    assert clustered == 19  # k = 2..20, each the clustering the map would use at that k
    at.sidebar.slider(key="k").set_value(3).run()  # the sweep, its clusterings and the encoder are reused
    assert cached.CACHE.lru("train").misses == trained and cached.CACHE.lru("cluster").misses == clustered
    # the sweep and the cards agree: the sweep's silhouette at k=3 is the map card's at k=3
    import json

    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    # each chart's mode bar without Plotly's cloud upload or its link out (core/plots/plots.py CHART_CONFIG)
    assert len(specs) == 3 and all(json.loads(c.proto.config) == CHART_CONFIG for c in at.get("plotly_chart"))
    trace = next(t for spec in specs for t in spec["data"] if t.get("name", "").startswith("silhouette"))
    swept = dict(zip(trace["x"], trace["y"]))[3]
    assert any(t.get("name") == "ACC vs labels" for spec in specs for t in spec["data"])  # beside silhouette
    heatmap = next(spec for spec in specs if spec["data"][0]["type"] == "heatmap")
    assert heatmap["layout"]["xaxis"]["type"] == "category"  # labels 1..4 are names, not numbers 0.5, 1, 1.5
    at.switch_page("pages/map.py").run()
    latent = next(c.value for c in at.caption if c.value.startswith("In the encoder's latent space"))
    assert f"silhouette {swept:.3f}" in latent


def test_without_labels(fake_app, tmp_path):
    path = tmp_path / "nolabels.csv"
    path.write_text("text\n" + "\n".join(f"story {i} about topic {i % 3}" for i in range(40)) + "\n")
    at = fake_app(data=str(path))
    at.switch_page("pages/quality.py").run()
    assert not at.exception and not at.error
    assert any("no label column" in i.value for i in at.info)


def test_numeric_labels_sort_as_numbers_on_the_confusion_axis(fake_app, tmp_path):
    import json

    words = ["markets rise and shares gain", "team wins the final match", "new chip and phone launch"]
    path = tmp_path / "numbered.csv"
    path.write_text("text,label\n" + "\n".join(f"{words[i % 3]} {i},{1 + i % 11}" for i in range(66)) + "\n")
    at = fake_app(data=str(path))
    at.switch_page("pages/quality.py").run()
    assert not at.exception and not at.error
    heatmap = next(s for s in (json.loads(c.proto.spec) for c in at.get("plotly_chart")) if s["data"][0]["type"] == "heatmap")
    assert heatmap["data"][0]["x"] == [str(i) for i in range(1, 12)]  # 1, 2, ..., 10, 11; not 1, 10, 11, 2
