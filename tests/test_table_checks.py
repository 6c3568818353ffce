"""Checks on a table as read (core.tables.table_checks, through core.tables.data.read_table and the CLI): a repeated
CSV header, nested or boolean cells, UTF-16 text, hub addresses that climb out of the dataset."""
import io
import logging

import pandas as pd
import pytest

from clikit import FAST, assert_one_error_line


@pytest.mark.parametrize("source", ["hf://datasets/../../etc/passwd", "hf://datasets/owner/name/../../x.csv",
                                    "hf://datasets/owner/name//x.csv"])
def test_a_hub_path_that_climbs_out_is_a_clear_error(cli, tmp_path, source):
    assert_one_error_line(cli("run", "--data", source, *FAST, "--out", "out"), "bad hub address.*'\\.\\.'")


@pytest.mark.parametrize("header", ["text,text", "text,label,text", " text ,text"])
def test_a_repeated_header_is_found(cli, tmp_path, header):
    n = header.count(",") + 1
    (tmp_path / "dup.csv").write_text(header + "\n" + "".join(",".join([f"row {i}"] * n) + "\n" for i in range(10)))
    result = cli("run", "--data", "dup.csv", "--k", "2", *FAST, "--out", "out")
    assert_one_error_line(result, "more than one column named 'text'")


def test_nested_and_boolean_jsonl_cells_are_read_as_json_with_a_warning(caplog):
    from core.tables.data import read_table

    lines = ['{"text": "plain words", "label": "a"}', '{"text": {"title": "x", "n": 1}, "label": "a"}',
             '{"text": ["one", "two"], "label": "b"}', '{"text": true, "label": "b"}']
    with caplog.at_level(logging.WARNING, logger="core.tables.data"):
        frame = read_table("\n".join(lines).encode(), "cells.jsonl")
    assert frame["text"].tolist() == ["plain words", '{"title": "x", "n": 1}', '["one", "two"]', "true"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.tables.data"]
    assert len(warnings) == 1 and "3 cells of column 'text'" in warnings[0], warnings


def test_list_and_boolean_parquet_cells_are_read_as_json_with_a_warning(caplog):
    from core.tables.data import read_table

    buffer = io.BytesIO()
    pd.DataFrame({"text": [["a", "b"], ["c"]], "flag": [True, False], "label": ["x", "y"]}).to_parquet(buffer)
    with caplog.at_level(logging.WARNING, logger="core.tables.data"):
        frame = read_table(buffer.getvalue(), "cells.parquet")
    assert frame["text"].tolist() == ['["a", "b"]', '["c"]'] and frame["flag"].tolist() == ["true", "false"]
    assert frame["label"].tolist() == ["x", "y"]
    assert len([r for r in caplog.records if r.name == "core.tables.data"]) == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(cli, tmp_path, encoding):
    (tmp_path / "wide.csv").write_bytes("text\nhello there\nanother one\n".encode(encoding))
    result = cli("run", "--data", "wide.csv", "--k", "2", *FAST, "--out", "out")
    assert_one_error_line(result, r"wide.csv is not UTF-8 \(UTF-16\?\)")
