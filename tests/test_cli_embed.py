"""The CLI's ``embed``: the vectors it writes, its throughput line, and one ``error:`` line for bad input."""
import re

import numpy as np
import pandas as pd
import pytest

from clikit import assert_one_error_line, topic_csv
from test_cli import TEXTS, write


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


def test_embed_with_the_real_model(cli, tmp_path):
    frame = pd.DataFrame({"text": ["The team won the final.", "Stocks fell on Monday.",
                                   "word " * 20_000, "NASA launched a probe."]})
    frame.to_csv(tmp_path / "four.csv", index=False)
    result = cli("embed", "--data", "four.csv", "--backend", "torch", "--out", "v.npy", fake=False, timeout=300)
    assert result.rc == 0, result.stderr
    assert re.fullmatch(r"embedded 4 texts in [\d.]+ s \([\d.]+ texts/s, backend torch-fp32\)", result.stdout.strip())
    vectors = np.load(tmp_path / "v.npy")
    assert vectors.shape == (4, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)


def test_embed_out_that_is_a_folder_fails_before_any_work(cli, tmp_path):
    (tmp_path / "folder").mkdir()
    result = cli("embed", "--data", topic_csv(tmp_path), "--out", "folder")
    assert_one_error_line(result, "--out folder is a folder")
