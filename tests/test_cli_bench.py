"""The CLI's ``bench``: its parts checked before any work, the quality table with its supervised
references, and the team corpora read from the folder the environment names."""
import re

import numpy as np
import pytest

from clikit import assert_one_error_line, topic_csv


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


def test_bench_reads_the_team_corpora_from_the_folder_the_environment_names(monkeypatch, tmp_path):
    from core.cli import build_parser

    monkeypatch.setenv("CLUSTERLENS_SHARED_DATA", str(tmp_path))
    assert build_parser().parse_args(["bench", "quality"]).data == str(tmp_path / "ag_news_test.csv")
