"""AppTest of the quality page."""
import pages._cached as cached


def test_loss_sweep_and_confusion(fake_app):
    at = fake_app()
    at.switch_page("pages/quality.py").run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader] == ["Training loss", "How many clusters?", "Clusters against labels"]
    sweep_caption = [c.value for c in at.caption if c.value.startswith("K-Means on the latent vectors")]
    assert sweep_caption and "Suggested k =" in sweep_caption[0]
    assert any(c.value.startswith("ACC ") for c in at.caption)
    trained = cached.CACHES["train"].misses
    at.sidebar.slider(key="k").set_value(3).run()  # the sweep and the encoder are reused
    assert cached.CACHES["train"].misses == trained and cached.CACHES["sweep"].misses == 1


def test_without_labels(fake_app, tmp_path):
    path = tmp_path / "nolabels.csv"
    path.write_text("text\n" + "\n".join(f"story {i} about topic {i % 3}" for i in range(40)) + "\n")
    at = fake_app(data=str(path))
    at.switch_page("pages/quality.py").run()
    assert not at.exception and not at.error
    assert any("no label column" in i.value for i in at.info)
