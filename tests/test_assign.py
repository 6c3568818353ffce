"""core.clustering.assign and core.clustering.assign_file: new texts take the cluster their neighbours got, a confidence
that drops for texts of no cluster, a place on the map among their cluster's points; the model file
round-trips in float16 and refuses a damaged, truncated, newer or foreign file with one clear line."""
import json

import numpy as np
import pandas as pd
import pytest

from core.clustering.assign import Assigned, ClusterModel, candidates, reference_rows, text_columns, texts_of, with_assignments
from core.clustering.assign_file import FORMAT_VERSION, model_bytes, read_model_bytes
from core.errors import UserError

DIM = 32


def blob(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float = 0.15) -> np.ndarray:
    X = centre + spread * rng.normal(size=(n, len(centre)))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def world():
    """Three directions; cluster 0 is two of them merged (a merge's shape), clusters 5 and 7 one each
    (ids with gaps, as after edits). Each blob has its own place on the map."""
    rng = np.random.default_rng(0)
    axes = np.eye(DIM, dtype=np.float32)
    parts = [(axes[0], 0, (0, 0)), (axes[1], 0, (0, 40)), (axes[2], 5, (40, 0)), (axes[3], 7, (40, 40))]
    X, labels, xy = [], [], []
    for axis, cluster, (x, y) in parts:
        X.append(blob(rng, axis, 60))
        labels += [cluster] * 60
        xy.append(np.array([x, y]) + rng.normal(size=(60, 2)))
    model = ClusterModel(np.concatenate(X), np.array(labels), {0: "0: merged", 5: "5: five", 7: "7: Seven"},
                         np.concatenate(xy).astype(np.float32), "m", "fp-1", "torch-fp32", "title + description")
    return model, axes, rng


def test_a_new_text_takes_the_cluster_its_neighbours_got_and_lands_among_them(world):
    model, axes, rng = world
    new = np.concatenate([blob(rng, axes[1], 5), blob(rng, axes[2], 5), blob(rng, axes[3], 5)])
    got = model.assign(new)
    # the second half of the merged cluster is far from the merged cluster's centre, not from its texts
    assert got.clusters.tolist() == [0] * 5 + [5] * 5 + [7] * 5
    assert got.names[:1] == ["0: merged"] and got.names[-1] == "7: Seven"
    assert (got.confidence > 0.8).all()
    near = [(0, 40)] * 5 + [(40, 0)] * 5 + [(40, 40)] * 5  # each blob's region of the map
    assert (np.abs(got.xy - np.array(near)).max(axis=1) < 5).all()


def test_a_text_identical_to_a_run_text_lands_on_its_point(world):
    model, _, _ = world
    got = model.assign(model.vectors[[3, 130]])
    assert got.clusters.tolist() == [0, 5]
    np.testing.assert_allclose(got.xy, model.xy[[3, 130]], atol=1e-3)


def test_a_text_of_no_cluster_has_a_low_confidence_and_is_a_candidate_new_cluster(world):
    model, axes, rng = world
    between = (axes[2] + axes[3]) / np.sqrt(2)  # half one cluster, half another
    elsewhere = blob(rng, axes[9], 3)            # a topic the run never saw
    known = blob(rng, axes[3], 3)
    got = model.assign(np.concatenate([known, between[None, :], elsewhere]))
    assert got.confidence[:3].min() > 0.8 and got.confidence[3:].max() < 0.6
    assert candidates(got, 0.6).tolist() == [3, 4, 5, 6] and got.candidates(0).tolist() == []
    assert (0 <= got.confidence).all() and (got.confidence <= 1).all()
    with pytest.raises(UserError, match="between 0 and 1"):
        got.candidates(1.5)


def test_vectors_of_another_width_are_refused(world):
    model, _, _ = world
    with pytest.raises(UserError, match="not embedded by the same model"):
        model.assign(np.ones((2, DIM + 1), np.float32))
    assert len(model.assign(np.zeros((0, DIM), np.float32))) == 0


def test_the_model_file_round_trips_in_half_precision(world):
    model, axes, rng = world
    blob_bytes = model_bytes(model)
    again = read_model_bytes(blob_bytes, "m.safetensors")
    assert again.vectors.dtype == np.float32 and again.names == model.names and again.text_col == model.text_col
    assert (again.model, again.fingerprint, again.backend) == ("m", "fp-1", "torch-fp32")
    assert again.typical == pytest.approx(model.typical)
    new = blob(rng, axes[2], 20)
    np.testing.assert_array_equal(again.assign(new).clusters, model.assign(new).clusters)
    from safetensors.numpy import load

    assert load(blob_bytes)["vectors"].dtype == np.float16  # half the size of float32


def _with_meta(data: bytes, **changes) -> bytes:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["__metadata__"].update(changes)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + data[8 + n:]


@pytest.mark.parametrize("change, pattern", [
    (lambda b: b[: len(b) // 2], "damaged or truncated"),
    (lambda b: b[:-40] + bytes(40), "damaged or truncated"),                 # zeroed vectors: the checksum
    (lambda b: b[:5], "damaged or truncated"),
    (lambda b: _with_meta(b, format_version=str(FORMAT_VERSION + 1)), "newer ClusterLens"),
    (lambda b: _with_meta(b, format="something else"), "not a ClusterLens model file"),
    (lambda b: b"\x10\x00\x00\x00\x00\x00\x00\x00{}" + b" " * 14, "not a ClusterLens model file|damaged"),
])
def test_a_bad_model_file_is_one_clear_error(world, change, pattern):
    model, _, _ = world
    with pytest.raises(UserError, match=pattern):
        read_model_bytes(change(model_bytes(model)), "m.safetensors")


def test_a_big_run_keeps_a_sample_of_every_cluster():
    labels = np.array([0] * 9_000 + [1] * 900 + [2] * 100)
    rows = reference_rows(labels, seed=0, limit=1_000)
    counts = np.bincount(labels[rows])
    assert counts[2] == 100 and counts[1] == 200 and 800 <= counts[0] <= 950  # all of a small cluster, the least
    np.testing.assert_array_equal(rows, reference_rows(labels, seed=0, limit=1_000))  # seeded
    assert len(reference_rows(labels[:500], seed=0, limit=1_000)) == 500


def test_a_new_file_keeps_its_columns_and_rows_without_text_stay_empty():
    table = pd.DataFrame({"title": ["Oil", "", "Cup"], "description": ["prices rise", None, "final won"],
                          "date": ["2024-01-01", "2024-01-02", "2024-01-03"], "cluster": [9, 9, 9]})
    rows, texts = texts_of(table, text_columns("title + description", list(table.columns)))
    assert rows.tolist() == [0, 2] and texts == ["Oil. prices rise", "Cup. final won"]
    assigned = Assigned(np.array([5, 7]), ["5: five", "7: Seven"], np.array([0.9, 0.4]),
                        np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    out = with_assignments(table, rows, assigned)
    assert list(out.columns) == ["title", "description", "date", "cluster", "cluster_name", "confidence", "x", "y"]
    assert out["cluster"].tolist()[0] == 5 and out["cluster"].isna().tolist() == [False, True, False]
    assert [None if pd.isna(v) else v for v in out["cluster_name"]] == ["5: five", None, "7: Seven"]
    assert out["date"].tolist() == table["date"].tolist() and out["confidence"].isna().tolist() == [False, True, False]
    assert text_columns("body", ["text"]) is None and text_columns("text", ["text"]) == "text"
