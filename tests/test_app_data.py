"""AppTest of the data & export page."""



def test_counts_and_downloads(fake_app):
    at = fake_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Texts in the sample"] == "200" and metrics["Empty texts dropped"] == "0"
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Assignments (CSV)", "Metrics (JSON)", "Encoder weights (safetensors)"]
