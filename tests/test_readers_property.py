"""Property tests of the file readers: whatever bytes a file holds, reading it gives a Corpus or a UserError.

Any other exception would reach the CLI as "unexpected" (exit 1) and the app as a crash.
"""
import io
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.tables.data import Corpus, build_corpus, read_table
from core.errors import UserError

SUFFIXES = [".csv", ".tsv", ".jsonl", ".parquet"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

header = st.sampled_from(["text", "label", "title", "description", "body", "", " text ", "text\ufeff", "id"])
cell = st.one_of(st.text(max_size=30), st.sampled_from(["", " ", "NA", "null", "\\", "#39;", "&amp;", '"', "\n"]))
csvish_rows = st.lists(st.lists(cell, min_size=0, max_size=4), min_size=0, max_size=6)


@st.composite
def csvish(draw) -> str:
    """Text that looks like a delimited file: a header of likely names, rows of odd cells, stray quotes."""
    sep = draw(st.sampled_from([",", "\t", ";", "|"]))
    cols = draw(st.lists(header, min_size=1, max_size=4))
    lines = [sep.join(cols)] + [sep.join(row) for row in draw(csvish_rows)]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    if draw(st.booleans()):
        text = text.replace("a", '"', 1)
    return text


@st.composite
def jsonish(draw) -> str:
    """JSON lines: records with likely keys and odd values, some lines broken or not objects."""
    value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
                      st.lists(st.integers(), max_size=2))
    records = draw(st.lists(st.dictionaries(header, value, max_size=3), max_size=5))
    lines = [json.dumps(r) for r in records]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["[1, 2]", "3", '"text"', "{", "null", "{\"text\": }"])))
    return "\n".join(lines)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def column(values) -> st.SearchStrategy:
    return st.lists(values, min_size=3, max_size=3)


columns = st.dictionaries(header.filter(bool), st.one_of(
    column(st.one_of(st.none(), st.text(max_size=20))), column(st.integers(-5, 5)),
    column(st.one_of(st.none(), st.floats())), column(st.one_of(st.none(), st.binary(max_size=8))),
    column(st.lists(st.integers(0, 3), max_size=2)), column(st.one_of(st.none(), st.booleans()))), max_size=3)


def check(tmp_path, name: str, content: bytes) -> None:
    """Reading ``content`` as ``name`` (from disk and as an upload) gives a Corpus or a UserError."""
    path = tmp_path / name
    path.write_bytes(content)
    try:
        corpus = build_corpus(str(path))
    except UserError as exc:
        assert str(exc) and "\n" not in str(exc)  # one line for the CLI
    else:
        assert isinstance(corpus, Corpus) and len(corpus) > 0
        assert all(isinstance(t, str) and t.strip() for t in corpus.texts)
    try:
        read_table(content, name)
    except UserError:
        pass


@pytest.mark.parametrize("suffix", SUFFIXES)
@SETTINGS
@given(content=st.binary(max_size=300))
def test_random_bytes(tmp_path, suffix, content):
    check(tmp_path, "random" + suffix, content)


@pytest.mark.parametrize("suffix", SUFFIXES)
@SETTINGS
@given(content=st.text(max_size=200))
def test_random_text(tmp_path, suffix, content):
    check(tmp_path, "text" + suffix, content.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
@SETTINGS
@given(content=csvish())
def test_csv_like_text(tmp_path, suffix, content):
    check(tmp_path, "table" + suffix, content.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(content=jsonish())
def test_json_lines_like_text(tmp_path, content):
    check(tmp_path, "records.jsonl", content.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(data=columns, cut=st.integers(0, 64))
def test_parquet_of_odd_columns_whole_or_truncated(tmp_path, data, cut):
    content = parquet_bytes(pd.DataFrame(data)) if data else b""
    check(tmp_path, "table.parquet", content)
    if len(content) > cut:  # a damaged copy: cut short, or with a byte flipped
        check(tmp_path, "cut.parquet", content[:len(content) - cut - 1])
        flipped = bytearray(content)
        flipped[cut] ^= 0xFF
        check(tmp_path, "flipped.parquet", bytes(flipped))


def test_parquet_with_bad_utf8_in_a_string_column(tmp_path):
    """Parquet does not check UTF-8 when read; pandas failed later, while cleaning (found by the above)."""
    buffer = io.BytesIO()
    pd.DataFrame({"text": ["alpha beta", "gamma delta"]}).to_parquet(buffer, compression=None)
    content = buffer.getvalue().replace(b"alpha beta", b"alpha\xff\xfeeta")
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(UserError, match="cannot read"):
        build_corpus(str(path))


def test_parquet_binary_column_is_text_when_utf8(tmp_path):
    path = tmp_path / "binary.parquet"
    pd.DataFrame({"text": [b"caf\xc3\xa9 au lait", b"tea"]}).to_parquet(path)
    assert build_corpus(str(path)).texts == ["café au lait", "tea"]
    pd.DataFrame({"text": [b"caf\xe9", b"tea"]}).to_parquet(path)  # Latin-1 bytes
    with pytest.raises(UserError, match="cannot read .* as parquet"):
        build_corpus(str(path))
