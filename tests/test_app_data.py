"""AppTest of the data & export page."""
import io
import json

import numpy as np
import pandas as pd
import streamlit as st


def _record_downloads(monkeypatch) -> dict:
    """{label: (file name, data)} of every download button drawn."""
    seen = {}
    original = st.delta_generator.DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        seen[label] = (file_name, data)
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(st.delta_generator.DeltaGenerator, "download_button", spy)
    return seen


def test_counts_and_downloads(fake_app, monkeypatch):
    downloads = _record_downloads(monkeypatch)
    at = fake_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Texts in use"] == "200" and metrics["Empty texts dropped"] == "0"
    assert metrics["Rows in the file"] == "200"
    assert float(metrics["Texts repaired"].rstrip("%")) == 0  # the bundled demo corpus has no crawl damage
    assert list(downloads) == ["Assignments (CSV)", "Clusters (JSON)", "Metrics (JSON)",
                               "Encoder weights (safetensors)"]
    names = {label: name for label, (name, _) in downloads.items()}
    assert names["Assignments (CSV)"] == "app-k4-assignments.csv" and names["Metrics (JSON)"] == "app-k4-metrics.json"
    assert names["Clusters (JSON)"] == "app-k4-clusters.json"
    assert names["Encoder weights (safetensors)"] == "app-k4-encoder.safetensors"
    assert isinstance(downloads["Encoder weights (safetensors)"][1], bytes)
    table = pd.read_csv(io.StringIO(downloads["Assignments (CSV)"][1]))
    assert list(table.columns) == ["id", "title", "text", "cluster", "cluster_name", "confidence", "x", "y", "label"]
    assert len(table) == 200 and table["confidence"].between(0, 1).all()
    assert table["cluster_name"].str.match(r"^\d+: ").all()
    clusters = json.loads(downloads["Clusters (JSON)"][1])
    assert [c["cluster"] for c in clusters] == [0, 1, 2, 3]
    assert {c["cluster"]: c["name"] for c in clusters} == dict(zip(table["cluster"], table["cluster_name"]))
    metrics_doc = json.loads(downloads["Metrics (JSON)"][1])
    assert metrics_doc["source"].endswith("app.csv") and metrics_doc["n_docs"] == 200
    assert set(metrics_doc["timings_s"]) == {"load", "embed", "train", "cluster", "project", "total"}  # as the CLI's


def test_an_uploads_exports_are_named_after_the_file(fake_app, app_csv, monkeypatch):
    downloads = _record_downloads(monkeypatch)
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("My News.csv", app_csv.read_bytes(), "text/csv")).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    assert downloads["Assignments (CSV)"][0] == "My-News-k4-assignments.csv"
    assert json.loads(downloads["Metrics (JSON)"][1])["source"] == "My News.csv"  # not "uploaded table"


def test_the_apps_metrics_equal_the_clis_for_the_same_settings(fake_app, monkeypatch):
    from dataclasses import replace

    from core.pipeline import run
    from fakes import FakeEmbedder

    downloads = _record_downloads(monkeypatch)
    at = fake_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    app = json.loads(downloads["Metrics (JSON)"][1])
    cfg = at.session_state["current"][1]
    cli = run(replace(cfg, data=replace(cfg.data, source=app["source"])), embedder=FakeEmbedder()).metrics()
    cli = json.loads(json.dumps(cli, default=str))
    assert set(app) == set(cli) and set(app["timings_s"]) == set(cli["timings_s"])
    for doc in (app, cli):
        doc.pop("timings_s"), doc.pop("embed_cache")  # seconds, and what a store held, differ by nature
    assert app == cli


def test_a_small_parquet_upload_of_too_many_rows_is_refused_before_its_rows_are_read(fake_app, monkeypatch):
    """Issue 28: the sidebar's upload checks a Parquet file's row count from its footer (see
    tests/test_data.py), so a few kilobytes of millions of rows never expand in the server's memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("CLUSTERLENS_MAX_UPLOAD_ROWS", "1000")
    n = 300_000
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)),
                                                                    pa.array(["one short text"]))}), buffer)

    def no_full_read(*args, **kwargs):
        raise AssertionError("the rows were read")

    monkeypatch.setattr(pd, "read_parquet", no_full_read)
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("tiny.parquet", buffer.getvalue(), "application/octet-stream")).run()
    assert not at.exception and not at.metric
    assert [e.value.replace("\\", "") for e in at.sidebar.error] == [
        "tiny.parquet has 300,000 rows, over this server's limit of 1,000 rows per upload; upload a sample of it"]


# -- file and column names, and errors naming them, are shown as text ----------------------------------
def shown_text(at) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "error", "warning", "info") for e in at.get(kind)]


def test_file_and_column_names_are_not_links_on_the_data_and_map_pages(fake_app, tmp_path):
    from clikit import topic_csv
    from markupkit import live_links

    folder = tmp_path / "www.evil.example"
    folder.mkdir()
    path = folder / "https_evil.csv"
    frame = pd.read_csv(topic_csv(tmp_path))
    frame.columns = ["read https://evil.example/t", "mail me@evil.example"]
    frame.to_csv(path, index=False)
    at = fake_app("--text-col", frame.columns[0], "--label-col", frame.columns[1], data=str(path))
    for page in ("pages/data.py", "pages/map.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, page
        texts = shown_text(at)
        assert any("evil" in t for t in texts), texts  # the names are shown ...
        assert [t for t in texts if live_links(t)] == [], page  # ... as text


def test_an_error_naming_an_address_is_not_a_link(fake_app):
    from markupkit import live_links

    at = fake_app(data="www.evil.example/missing.csv")
    at.run()
    assert at.error and "missing" in at.error[0].value
    assert [t for t in shown_text(at) if live_links(t)] == []
