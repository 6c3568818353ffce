"""The CLI's ``assign``: each input row with its cluster, name, confidence and place, and one ``error:``
line for a bad or missing model."""

import numpy as np
import pandas as pd
import pytest

from clikit import assert_one_error_line, topic_csv


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
