import numpy as np
import pandas as pd
import pytest

from core.data import build_corpus, clean_text, read_table, sample, sample_order
from core.errors import UserError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_title_and_description_are_joined_and_cleaned(ag_news_path):
    corpus = build_corpus(str(ag_news_path))
    assert len(corpus) == 7600 and corpus.text_col == "title + description" and corpus.label_col == "label"
    first = corpus.frame.iloc[1]
    assert first["text"].startswith(first["title"] + ". ")
    assert "\\" not in first["text"] and "#36;" not in first["text"] and "$10 million" in first["text"]
    assert sorted(pd.Series(corpus.labels).value_counts().tolist()) == [1900] * 4


def test_text_column_named_or_detected(tmp_path):
    path = write(tmp_path, "a.csv", "body,text,label\nx y,first text,a\nz,second,b\n")
    assert build_corpus(str(path)).texts == ["first text", "second"]
    assert build_corpus(str(path), text_col="body").texts == ["x y", "z"]


def test_no_text_column_lists_the_columns(tmp_path):
    path = write(tmp_path, "a.csv", "foo,bar\n1,2\n")
    with pytest.raises(UserError, match="no text column.*foo, bar"):
        build_corpus(str(path))
    with pytest.raises(UserError, match="no column 'nope'.*foo, bar"):
        build_corpus(str(path), text_col="nope")


def test_empty_and_missing_texts_are_dropped_and_counted(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\nhello,a\n"   ",b\n,c\nworld,d\n')
    corpus = build_corpus(str(path))
    assert corpus.texts == ["hello", "world"] and corpus.n_dropped == 2
    assert corpus.frame["id"].tolist() == [0, 3]


@pytest.mark.parametrize("suffix", [".tsv", ".parquet", ".jsonl"])
def test_other_formats(tmp_path, suffix):
    frame = pd.DataFrame({"text": ["alpha beta", "gamma"], "label": ["x", "y"]})
    path = tmp_path / f"f{suffix}"
    if suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=True)
    corpus = build_corpus(str(path))
    assert corpus.texts == ["alpha beta", "gamma"] and list(corpus.labels) == ["x", "y"]


def test_dataframe_source():
    corpus = build_corpus(pd.DataFrame({"title": ["T"], "description": ["D"]}))
    assert corpus.texts == ["T. D"] and corpus.label_col is None


def test_demo_corpus_is_bundled():
    corpus = build_corpus("demo")
    assert len(corpus) >= 300 and corpus.label_col == "label"
    assert pd.Series(corpus.labels).nunique() == 4


def test_sample_matches_pandas_and_nests(ag_news_path):
    corpus = build_corpus(str(ag_news_path))
    ten = sample(corpus, 0.10, 42)
    twenty = sample(corpus, 0.20, 42)
    expected = corpus.frame.sample(frac=0.10, random_state=42)["id"].tolist()
    assert ten.frame["id"].tolist() == expected  # the paper's df.sample(frac=0.1, random_state=42)
    assert len(ten) == 760 and len(twenty) == 1520
    assert set(ten.frame["id"]) <= set(twenty.frame["id"])
    assert sample(corpus, 0.10, 1).frame["id"].tolist() != expected
    assert np.array_equal(sample_order(100, 3), sample_order(100, 3))


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, float("nan")])
def test_bad_fraction(fraction):
    corpus = build_corpus(pd.DataFrame({"text": ["a", "b"]}))
    with pytest.raises(UserError, match="fraction must be in"):
        sample(corpus, fraction, 0)


def test_clean_text():
    assert clean_text("a\\b  #36;5 &amp; Bush #39;s <b>") == "a b $5 & Bush's <b>"


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"text,label\n", "no data rows"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (b"text\ncaf\xe9\n", "not UTF-8"),
    (b'text,label\na,b\nc,d,e,f\n', "cannot read"),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_table(path, path.name)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        build_corpus(str(tmp_path / "nope.csv"))
    with pytest.raises(UserError, match="unsupported file type"):
        build_corpus(str(write(tmp_path, "a.xlsx", "x")))
