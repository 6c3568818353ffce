"""The CLI contract: what ``run`` and ``embed`` write and print, and one ``error:`` line (exit 2) for bad input.

Importing the pipeline (torch, scikit-learn) takes seconds, so most tests do not start a fresh
``python -m core`` each: a helper process imports the CLI once and forks a child per command. The
child redirects its file descriptors 1 and 2, so everything a real run would print (log lines,
Python warnings, tracebacks) is seen. ``fake=True`` swaps the fake embedder in for the real model.
Two tests run the real ``python -m core`` with the real model, end to end.
"""
import re

import numpy as np
import pandas as pd
import pytest

from clikit import FAST, SCORE_KEYS, assert_one_error_line, python_m_core, read_outputs, topic_csv
from core.clustering.cluster import label_scores

# -- run ------------------------------------------------------------------------------------------
def test_run_writes_metrics_assignments_and_clusters(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", "--hidden", "32", "--latent", "8",
                 "--seed", "5", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    metrics, table, clusters = read_outputs(tmp_path / "out")
    assert {"n_docs", "k", "latent_dim", "model", "seed", "baseline", "timings_s", "embed_cache",
            "config"} | SCORE_KEYS <= set(metrics)
    assert (metrics["n_docs"], metrics["k"], metrics["latent_dim"], metrics["seed"]) == (30, 3, 8, 5)
    assert set(metrics["baseline"]) == SCORE_KEYS
    assert set(metrics["timings_s"]) == {"load", "embed", "train", "cluster", "project", "total"}
    assert metrics["embed_cache"] == {"hits": 0, "misses": 30}
    assert metrics["config"]["encoder"]["hidden"] == 32 and metrics["config"]["encoder"]["epochs"] == 3
    assert all(metrics[key] is not None for key in ("acc", "nmi", "ari"))
    assert list(table.columns) == ["id", "title", "text", "cluster", "cluster_name", "confidence", "x", "y", "label"]
    assert len(table) == 30 and set(table["cluster"]) == {0, 1, 2} and table["x"].isna().all()
    assert table["confidence"].between(0, 1).all() and table["confidence"].max() > 0.2
    assert [c["cluster"] for c in clusters] == [0, 1, 2]
    assert all(set(c) == {"cluster", "name", "size", "keywords", "examples"} for c in clusters)
    names = {c["cluster"]: c["name"] for c in clusters}
    assert all(table["cluster_name"] == table["cluster"].map(names))
    assert sum(c["size"] for c in clusters) == 30
    assert all(c["keywords"] and set(c["examples"]) <= set(table["text"]) for c in clusters)
    assert "[embed]" in result.stderr and "[train]" in result.stderr and "30 texts, k=3" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_map_fills_x_and_y(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path, labels=False), "--k", "3", "--epochs", "2",
                 "--projection", "tsne", "--fraction", "1", "--out", "out")
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert "label" not in table.columns and list(table.columns)[-2:] == ["x", "y"]  # no label column without labels
    assert np.isfinite(table[["x", "y"]].to_numpy()).all()
    assert metrics["acc"] is None and metrics["nmi"] is None and metrics["ari"] is None
    assert metrics["baseline"]["acc"] is None


def test_missing_labels_still_run_and_score_the_labelled_rows(cli, tmp_path):
    path = topic_csv(tmp_path)
    frame = pd.read_csv(path)
    frame.loc[::3, "label"] = None
    # half the unlabelled rows end in an empty field ("text,"), half are short ("text")
    lines = frame.to_csv(index=False).splitlines()
    path.write_text("\n".join(line[:-1] if line.endswith(",") and i % 2 else line for i, line in enumerate(lines)))
    result = cli("run", "--data", path, "--k", "3", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    assert "10 rows have no label" in result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["n_docs"] == 30 and table["label"].isna().sum() == 10
    known = table["label"].notna()
    expected = label_scores(table["label"][known].to_numpy(), table["cluster"][known].to_numpy())
    assert metrics["acc"] == pytest.approx(expected["acc"]) and metrics["ari"] == pytest.approx(expected["ari"])


def test_named_text_and_label_columns(cli, tmp_path):
    frame = pd.read_csv(topic_csv(tmp_path)).rename(columns={"text": "body", "label": "topic"})
    frame["text"] = "decoy"  # a 'text' column that must not be used
    frame.to_csv(tmp_path / "named.csv", index=False)
    result = cli("run", "--data", "named.csv", "--text-col", "body", "--label-col", "topic", "--k", "3",
                 "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["text_col"] == "body" and metrics["label_col"] == "topic" and metrics["acc"] is not None
    assert "decoy" not in set(table["text"])


def test_duplicate_texts_run(cli, tmp_path):
    frame = pd.read_csv(topic_csv(tmp_path, 4))
    pd.concat([frame] * 3).to_csv(tmp_path / "dups.csv", index=False)
    result = cli("run", "--data", "dups.csv", "--k", "3", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    metrics, table, _ = read_outputs(tmp_path / "out")
    assert metrics["n_docs"] == 36 and table.groupby("text")["cluster"].nunique().max() == 1


def test_a_text_of_100000_characters_runs(cli, tmp_path):
    frame = pd.read_csv(topic_csv(tmp_path, 4))
    frame.loc[0, "text"] = ("market " * 14_286)[:100_000]
    frame.to_csv(tmp_path / "long.csv", index=False)
    result = cli("run", "--data", "long.csv", "--k", "3", "--out", "out", *FAST)
    assert result.rc == 0, result.stderr
    assert read_outputs(tmp_path / "out")[0]["n_docs"] == 12


def test_a_fraction_keeps_that_share_of_the_rows(cli, tmp_path):
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", "--fraction", "0.5", "--epochs", "2",
                 "--projection", "none", "--out", "out")
    assert result.rc == 0, result.stderr
    assert read_outputs(tmp_path / "out")[0]["n_docs"] == 15


# -- bad input: exit 2 and one error line -------------------------------------------------------------
def write(tmp_path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return name


TEXTS = "text\n" + "".join(f"text number {i} about topic {i % 3}\n" for i in range(20))
BAD_FILES = {  # name -> (file content, pattern of the error line)
    "empty.csv": (b"", "empty"),
    "blank.csv": ("\n  \n\n", "empty"),
    "header_only.csv": ("text,label\n", "no data rows.*only a header"),
    "no_text_column.csv": ("foo,bar\n1,2\n3,4\n", "no text column.*foo, bar"),
    "latin1.csv": ("text\ncafé crème\nnaïve\n".encode("latin-1"), "not UTF-8"),
    "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    "ragged.csv": ("text,label\nhello,a\nworld,b,extra,fields\nagain,c\n", "cannot read.*Expected 2 fields"),
    "all_empty.csv": ('text,label\n"",a\n"   ",b\n,c\n', "no usable text"),
    "identical.csv": ("text\n" + "the same text\n" * 20, "only 1 distinct text"),
    "notes.txt": ("text\nhello\n", "unsupported file type '.txt'"),
    "broken.parquet": (b"PAR1 this is not parquet PAR1", "cannot read broken.parquet as parquet"),
    "broken.jsonl": ('{"text": "a"}\n{"text": \n', "cannot read broken.jsonl as jsonl"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_one_error_line(cli, tmp_path, name):
    content, pattern = BAD_FILES[name]
    result = cli("run", "--data", write(tmp_path, name, content), "--k", "2", "--out", "out", *FAST)
    assert_one_error_line(result, pattern)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, pattern", [
    (["--data", "missing.csv"], "file not found: missing.csv"),
    (["--data", "folder.csv"], "not a file: folder.csv"),
    (["--data", "texts.csv", "--text-col", "nope"], "no column 'nope'.*text"),
    (["--data", "texts.csv", "--label-col", "nope"], "no label column 'nope'"),
    (["--data", "texts.csv", "--k", "50"], r"k=50 is larger than the number of texts \(20\)"),
    (["--data", "texts.csv", "--k", "4", "--fraction", "0.1"], r"k=4 is larger than the number of texts \(2\)"),
    (["--data", "texts.csv", "--k", "1"], "k must be a whole number from 2 to 500, got 1"),
    (["--data", "texts.csv", "--fraction", "0"], r"fraction must be in \(0, 1\], got 0"),
    (["--data", "texts.csv", "--fraction", "1.5"], r"fraction must be in \(0, 1\], got 1.5"),
    (["--data", "texts.csv", "--fraction", "-0.5"], r"fraction must be in \(0, 1\]"),
    (["--data", "texts.csv", "--fraction", "nan"], r"fraction must be in \(0, 1\]"),
    (["--data", "texts.csv", "--epochs", "0"], "the number of epochs must be a whole number from 1 to 1,000"),
    (["--data", "texts.csv", "--latent", "0"], "the latent size must be a whole number from 1 to 1,024, got 0"),
    (["--data", "texts.csv", "--hidden", "10000000"], "the hidden size must be a whole number from 1 to 4,096"),
    (["--data", "texts.csv", "--seed", "-1"], "seed must be"),
    (["--data", "texts.csv", "--backend", "nope"], "unknown embedding backend 'nope'"),
    (["--data", "texts.csv", "--objective", "nope"], "nope"),
    (["--data", "hf://datasets/only-owner"], "bad hub address"),
])
def test_bad_setting_is_one_error_line(cli, tmp_path, args, pattern):
    write(tmp_path, "texts.csv", TEXTS)
    (tmp_path / "folder.csv").mkdir()
    args = [*FAST, *args]  # later flags win, so a bad --fraction or --epochs overrides FAST's
    assert_one_error_line(cli("run", *args, "--out", "out"), pattern)
    assert not (tmp_path / "out").exists()


def test_missing_file_through_the_real_entry_point(tmp_path):
    result = python_m_core("run", "--data", "nowhere.csv", "--out", "out", cwd=tmp_path, timeout=120)
    assert_one_error_line(result, "file not found: nowhere.csv")


# -- embed ------------------------------------------------------------------------------------------
def test_embed_writes_the_first_n_vectors_and_reports_throughput(cli, tmp_path):
    result = cli("embed", "--data", topic_csv(tmp_path), "--limit", "7", "--out", "vectors.npy")
    assert result.rc == 0, result.stderr
    assert re.fullmatch(r"embedded 7 texts in [\d.]+ s \([\d.]+ texts/s, backend fake\)", result.stdout.strip())
    vectors = np.load(tmp_path / "vectors.npy")
    assert vectors.shape == (7, 384) and vectors.dtype == np.float32
    again = cli("embed", "--data", topic_csv(tmp_path), "--limit", "7", "--out", "again.npy")
    assert re.fullmatch(r"embedded 7 texts in [\d.]+ s \(0\.0 texts/s, backend fake\)", again.stdout.strip())
    assert "7 of 7 texts read from the store" in again.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "again.npy"), vectors)


@pytest.mark.parametrize("args, pattern", [
    (["--data", "missing.csv"], "file not found"),
    (["--data", "texts.csv", "--limit", "0"], "--limit must be at least 1"),
    (["--data", "texts.csv", "--backend", "nope"], "unknown embedding backend 'nope'"),
])
def test_embed_bad_input_is_one_error_line(cli, tmp_path, args, pattern):
    write(tmp_path, "texts.csv", TEXTS)
    assert_one_error_line(cli("embed", *args, "--out", "v.npy"), pattern)


# -- the real model -----------------------------------------------------------------------------------
def test_a_model_that_cannot_be_loaded_is_one_error_line(cli, tmp_path):
    write(tmp_path, "texts.csv", TEXTS)
    result = cli("run", "--data", "texts.csv", "--k", "2", "--model", "no-such-model/xyz", "--out", "out",
                 *FAST, fake=False, env={"HF_HUB_OFFLINE": "1"})
    assert_one_error_line(result, "no-such-model/xyz")


def test_embed_with_the_real_model(cli, tmp_path):
    frame = pd.DataFrame({"text": ["The team won the final.", "Stocks fell on Monday.",
                                   "word " * 20_000, "NASA launched a probe."]})
    frame.to_csv(tmp_path / "four.csv", index=False)
    result = cli("embed", "--data", "four.csv", "--backend", "torch", "--out", "v.npy", fake=False, timeout=300)
    assert result.rc == 0, result.stderr
    assert re.fullmatch(r"embedded 4 texts in [\d.]+ s \([\d.]+ texts/s, backend torch-fp32\)", result.stdout.strip())
    vectors = np.load(tmp_path / "v.npy")
    assert vectors.shape == (4, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)


def test_real_model_run_clusters_the_demo_and_reuses_the_store(small_csv, tmp_path):
    args = ["run", "--data", small_csv, "--k", "4", "--fraction", "1", "--epochs", "20", "--projection", "none"]
    first = python_m_core(*args, "--out", "first", cwd=tmp_path)
    assert first.rc == 0, first.stderr
    metrics, table, clusters = read_outputs(tmp_path / "first")
    assert metrics["n_docs"] == 320 and metrics["embed_cache"] == {"hits": 0, "misses": 320}
    assert metrics["baseline"]["acc"] >= 0.7 and metrics["acc"] >= 0.7, metrics
    assert len(clusters) == 4 and all(c["keywords"] for c in clusters)
    second = python_m_core(*args, "--out", "second", cwd=tmp_path)
    assert second.rc == 0, second.stderr
    again, table2, _ = read_outputs(tmp_path / "second")
    assert again["embed_cache"] == {"hits": 320, "misses": 0}
    assert table2["cluster"].tolist() == table["cluster"].tolist() and again["acc"] == metrics["acc"]


def test_bench_speed_rejects_unknown_parts_before_any_work(cli, tmp_path):
    assert_one_error_line(cli("bench", "speed", "--parts", "reaction,warp", "--data", "missing.csv"),
                          r"unknown --parts warp; choose from embedding, repeat")
    assert_one_error_line(cli("bench", "speed", "--backend", "tpu-fp8", "--data", "missing.csv"),
                          r"unknown embedding backend 'tpu-fp8'; valid: auto, torch-fp32")


def test_bench_quality_prints_one_table_and_the_supervised_reference(cli, tmp_path):
    result = cli("bench", "quality", "--data", topic_csv(tmp_path), "--seeds", "0,1",
                 "--objectives", "autoencoder", timeout=300)
    assert result.rc == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("quality on ") and "30 texts, k=3, seeds 0,1" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and "±" in line]
    assert [row.split(" | ")[0] for row in rows] == [
        "| raw-embedding K-Means (baseline)", "| autoencoder (paper)",
        "| co-view: raw K-Means checked by words + neighbours (default clusters)",
        "| co-view: neighbours latent K-Means checked by words + neighbours"]
    assert all(len(row.split(" | ")) == 9 for row in rows)
    acc = {row.split(" | ")[0]: float(row.split(" | ")[1].split(" ")[0]) for row in rows}
    assert acc["| co-view: raw K-Means checked by words + neighbours (default clusters)"] >= acc["| raw-embedding K-Means (baseline)"]
    probe = re.search(r"logistic-regression probe on the raw embeddings reaches (\d\.\d{3}) accuracy", result.stdout)
    assert probe and float(probe.group(1)) > 0.9  # the fake embedder separates the three topics linearly
    centres = re.search(r"nearest class centre gives ACC (\d\.\d{3}).*settles at ACC (\d\.\d{3})", result.stdout)
    assert centres and float(centres.group(1)) > 0.9 and float(centres.group(2)) > 0.9


def test_linear_probe_is_a_ceiling_near_chance_for_random_labels():
    from core.bench.quality import linear_probe

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    separable = np.where(X[:, 0] > 0, "a", "b")
    assert linear_probe(X, separable) > 0.95
    assert linear_probe(X, rng.choice(["a", "b", "c"], 300)) < 0.45
    assert linear_probe(X, np.array(["a"] * 299 + ["b"], dtype=object)) is None  # a class of one text


def test_centre_reference_scores_the_class_means_and_where_k_means_goes_from_them():
    from core.bench.quality import centre_reference

    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    y = rng.integers(3, size=300)
    X = (centres[y] + rng.normal(size=(300, 2))).astype(np.float32)
    nearest, settled = centre_reference(X, np.array(["abc"[i] for i in y], dtype=object))
    assert nearest["acc"] > 0.98 and settled["acc"] > 0.98  # well separated: both recover the classes
    noise = rng.choice(["a", "b", "c"], 300)
    nearest, _ = centre_reference(X, noise)
    assert nearest["acc"] < 0.5  # labels unrelated to the geometry: their centres mean nothing
    with_gaps = np.array([None] * 10 + ["abc"[i] for i in y[10:]], dtype=object)
    assert centre_reference(X, with_gaps)[0]["acc"] > 0.98  # unlabelled rows neither vote nor count
    assert centre_reference(X, np.array(["a"] * 300, dtype=object)) is None


def test_centre_reference_shows_k_means_leaving_the_true_centres():
    from core.bench.quality import centre_reference

    # a dense class on [0, 1] beside a sparse one on [1, 3]: the midpoint of the class means (1.25)
    # misplaces a little, and K-Means, equalising distances to its own means, pushes the boundary
    # further into the sparse class (to about 1.4), so it settles below the nearest-centre rule
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.uniform(0, 1, 400), rng.uniform(1, 3, 400)])[:, None].astype(np.float32)
    truth = np.array(["dense"] * 400 + ["sparse"] * 400, dtype=object)
    nearest, settled = centre_reference(X, truth)
    assert nearest["acc"] == pytest.approx(0.94, abs=0.02)
    assert settled["acc"] < nearest["acc"] - 0.02


# -- assign ---------------------------------------------------------------------------------------------
def _run_for_assign(cli, tmp_path, *extra) -> None:
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", "--epochs", "2", "--fraction", "1",
                 "--projection", "tsne", "--out", "out", *extra)
    assert result.rc == 0, result.stderr
    assert (tmp_path / "out" / "assign-model.safetensors").is_file()


def test_assign_writes_each_input_row_then_its_cluster_name_confidence_and_place(cli, tmp_path):
    from corpora import topic_frame

    _run_for_assign(cli, tmp_path)
    new = topic_frame(6, seed=7).rename(columns={"label": "topic"})
    new["source"] = "desk"
    new.loc[3, "text"] = ""  # a row without text stays, unassigned
    new.to_csv(tmp_path / "new.csv", index=False)
    result = cli("assign", "--model", "out", "--data", "new.csv", "--out", "assigned.csv")
    assert result.rc == 0, result.stderr
    assert "assigned 17 texts to 3 clusters" in result.stderr and "1 rows without text" in result.stderr
    table = pd.read_csv(tmp_path / "assigned.csv")
    assert list(table.columns) == ["text", "topic", "source", "cluster", "cluster_name", "confidence", "x", "y"]
    assert len(table) == 18 and table["cluster"].isna().tolist() == [i == 3 for i in range(18)]
    known = table.dropna(subset=["cluster"])
    run_table = pd.read_csv(tmp_path / "out" / "assignments.csv")
    cluster_of_topic = run_table.groupby("label")["cluster"].agg(lambda c: c.mode()[0])
    assert (known["cluster"].astype(int) == known["topic"].map(cluster_of_topic)).mean() >= 0.9
    names = dict(zip(run_table["cluster"], run_table["cluster_name"]))
    assert (known["cluster_name"] == known["cluster"].astype(int).map(names)).all()
    assert known["confidence"].between(0, 1).all() and np.isfinite(known[["x", "y"]].to_numpy()).all()
    # the run's map did not move: its x, y lie where the placed points are
    assert known["x"].between(run_table["x"].min() - 1, run_table["x"].max() + 1).all()


def _model_file(tmp_path):
    return (tmp_path / "out" / "assign-model.safetensors")


def _refingerprinted(blob: bytes) -> bytes:
    from dataclasses import replace

    from core.clustering.assign_file import model_bytes, read_model_bytes

    return model_bytes(replace(read_model_bytes(blob, "m"), fingerprint="0123456789abcdef"))


def _newer(blob: bytes) -> bytes:
    import json

    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    header["__metadata__"]["format_version"] = "99"
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + blob[8 + n:]


BAD_MODELS = {
    "truncated": (lambda b: b[: len(b) // 3], "damaged or truncated"),
    "damaged": (lambda b: b[:-64] + bytes(64), "damaged or truncated"),
    "another model": (_refingerprinted, "another sentence model.*fingerprint 0123456789abcdef"),
    "newer": (_newer, "newer ClusterLens"),
}


@pytest.mark.parametrize("case", BAD_MODELS)
def test_assign_with_a_bad_model_file_is_one_error_line(cli, tmp_path, case):
    _run_for_assign(cli, tmp_path)
    change, pattern = BAD_MODELS[case]
    _model_file(tmp_path).write_bytes(change(_model_file(tmp_path).read_bytes()))
    topic_csv(tmp_path, 3, name="new.csv")
    result = cli("assign", "--model", "out", "--data", "new.csv", "--out", "assigned.csv")
    assert_one_error_line(result, pattern)
    assert not (tmp_path / "assigned.csv").exists()


def test_assign_with_no_model_is_one_error_line(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    topic_csv(tmp_path, 3, name="new.csv")
    assert_one_error_line(cli("assign", "--model", "empty", "--data", "new.csv", "--out", "a.csv"),
                          "holds no assign-model.safetensors")
    assert_one_error_line(cli("assign", "--model", "nowhere", "--data", "new.csv", "--out", "a.csv"),
                          "model not found: nowhere")


# -- projects -------------------------------------------------------------------------------------------
def _make_project() -> str:
    """A project in the test's cache folder, made as the app makes one (k=4 on the demo, a cluster renamed)."""
    from core.config import ClusterConfig, DataConfig, EncoderConfig, ProjectConfig, RunConfig
    from core.session.session import Session, Workbench
    from core.session.view import DataSource
    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    session = Session(Workbench(load_embedder=lambda model, backend: fake, precompute=False))
    cfg = RunConfig(data=DataConfig(source="demo", fraction=1.0), encoder=EncoderConfig(epochs=2),
                    cluster=ClusterConfig(k=4), project=ProjectConfig("none"), seed=0)
    view = session.view(DataSource("demo", "demo", "Demo corpus", is_demo=True, kind="demo"), cfg)
    session.rename(view, 1, "Sport")
    return session.project.id


def test_project_list_export_and_import_into_another_cache_folder(cli, tmp_path):
    pid = _make_project()
    listed = cli("project", "list")
    assert listed.rc == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["id", "name", "source", "texts", "k", "last", "opened"]
    assert row.startswith(pid) and "Demo corpus" in row and " 320 " in row and " 4 " in row
    exported = cli("project", "export", "Demo corpus", "--out", "demo.clusterlens")
    assert exported.rc == 0, exported.stderr
    assert "exported project 'Demo corpus' (1 version" in exported.stderr

    other = {"CLUSTERLENS_CACHE_DIR": str(tmp_path / "other")}
    imported = cli("project", "import", "demo.clusterlens", env=other)
    assert imported.rc == 0, imported.stderr
    assert "as project" in imported.stderr and "'Demo corpus'" in imported.stderr
    again = cli("project", "list", env=other).stdout.splitlines()
    assert len(again) == 2 and "Demo corpus" in again[1] and not again[1].startswith(pid)
    assigned = cli("assign", "--model", "demo.clusterlens", "--data", topic_csv(tmp_path, 2), "--out", "a.csv")
    assert assigned.rc == 0, assigned.stderr
    assert len(pd.read_csv(tmp_path / "a.csv")) == 6


def _manifest_changed(path, **changes) -> None:
    import io
    import json
    import zipfile

    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    members["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    path.write_bytes(out.getvalue())


@pytest.mark.parametrize("case, pattern, fake", [
    ("truncated", "damaged or truncated", True),
    ("newer", "newer ClusterLens", True),
    ("not installed", "made with the sentence model 'no-such-model', which is not installed here", False),
])
def test_project_import_of_a_bad_file_is_one_error_line_and_imports_nothing(cli, tmp_path, case, pattern, fake):
    _make_project()
    assert cli("project", "export", "Demo corpus", "--out", "p.clusterlens").rc == 0
    path = tmp_path / "p.clusterlens"
    if case == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif case == "newer":
        _manifest_changed(path, format_version=99)
    else:
        _manifest_changed(path, model="no-such-model")
    other = {"CLUSTERLENS_CACHE_DIR": str(tmp_path / "other")}
    assert_one_error_line(cli("project", "import", "p.clusterlens", env=other, fake=fake), pattern)
    assert cli("project", "list", env=other).stdout.splitlines()[1:] == []


def test_project_export_of_an_unknown_project_is_one_error_line(cli, tmp_path):
    assert_one_error_line(cli("project", "export", "nothing here", "--out", "p.clusterlens"),
                          "there is no project 'nothing here'")


# -- --out checked before any work; a bad argument is one line ----------------------------------------
def test_out_that_is_a_file_fails_before_any_work(cli, tmp_path):
    import os
    from pathlib import Path

    (tmp_path / "taken").write_text("a file")
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", "taken")
    assert_one_error_line(result, "--out taken is a file, not a folder")
    assert not (Path(os.environ["CLUSTERLENS_CACHE_DIR"]) / "embeddings.sqlite").exists()  # nothing embedded
    assert (tmp_path / "taken").read_text() == "a file"


def test_out_below_a_file_or_unwritable_fails_before_any_work(cli, tmp_path):
    import os
    from pathlib import Path

    from faultkit import AS_ROOT

    (tmp_path / "taken").write_text("a file")
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", "taken/results")
    assert_one_error_line(result, "cannot write --out taken/results: taken is a file")
    if AS_ROOT:  # modes do not stop root; /proc refuses new files to everyone
        unwritable = "/proc/clusterlens-out"
    else:
        (tmp_path / "locked").mkdir(mode=0o555)
        unwritable = "locked/out"
    result = cli("run", "--data", topic_csv(tmp_path), "--k", "3", *FAST, "--out", unwritable)
    assert_one_error_line(result, "cannot write --out .* is not writable")
    assert not (Path(os.environ["CLUSTERLENS_CACHE_DIR"]) / "embeddings.sqlite").exists()


def test_embed_out_that_is_a_folder_fails_before_any_work(cli, tmp_path):
    (tmp_path / "folder").mkdir()
    result = cli("embed", "--data", topic_csv(tmp_path), "--out", "folder")
    assert_one_error_line(result, "--out folder is a folder")


@pytest.mark.parametrize("args, pattern", [(["run", "--k", "abc"], "argument --k: invalid int value: 'abc'"),
                                           (["run", "--fraction", "half"], "argument --fraction: invalid float"),
                                           (["nope"], "invalid choice: 'nope'"),
                                           (["run", "--no-such-flag"], "unrecognized arguments: --no-such-flag")])
def test_a_bad_argument_is_one_line_not_the_usage_block(cli, args, pattern):
    assert_one_error_line(cli(*args), pattern)


def test_bench_reads_the_team_corpora_from_the_folder_the_environment_names(monkeypatch, tmp_path):
    from core.cli import build_parser

    monkeypatch.setenv("CLUSTERLENS_SHARED_DATA", str(tmp_path))
    assert build_parser().parse_args(["bench", "quality"]).data == str(tmp_path / "ag_news_test.csv")


def test_a_run_clusters_the_raw_embeddings_once(tmp_path, monkeypatch):
    """The co-view starts from raw K-Means, which is also the baseline: one K-Means, not two (a million
    points: minutes)."""
    import core.clustering.cluster_stage as stages
    import core.embedding.embed as embed
    import core.pipeline as pipeline
    from core.cli import main
    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    monkeypatch.setattr(pipeline, "get_embedder", lambda *a, **k: fake)
    monkeypatch.setattr(embed, "get_embedder", lambda *a, **k: fake)
    calls = []
    real = stages.cluster_and_score
    monkeypatch.setattr(stages, "cluster_and_score", lambda *a, **k: calls.append(1) or real(*a, **k))
    for cache in ([], ["--no-cache"]):
        calls.clear()
        out = tmp_path / f"out{len(cache)}"
        assert main(["run", "--data", str(topic_csv(tmp_path)), "--k", "3", "--out", str(out), *cache, *FAST]) == 0
        assert len(calls) == 1 and (out / "metrics.json").is_file()
