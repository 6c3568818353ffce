import io
import numpy as np
import pandas as pd
import pytest

from core.tables.data import build_corpus, clean_text, read_table, sample, sample_order
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
    assert clean_text("a\\b  #36;5 &amp; Bush #39;s <b>bold</b>") == "a b $5 & Bush's bold"  # a crawl's tags go


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


# -- crawl damage (AG News) ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw, clean", [
    ("&lt;b&gt;Apple&lt;/b&gt; shares rise", "Apple shares rise"),             # an escaped tag, then the tag
    ("Texas Instruments Inc. &lt;TXN.N&gt; fell", "Texas Instruments Inc. <TXN.N> fell"),  # a ticker, not a tag
    ("the  #36;10 million prize", "the $10 million prize"),                    # "&" stripped from "&#36;"
    ("the S amp;P 500 rose", "the S&P 500 rose"),
    ("Johnson  amp; Johnson bids", "Johnson & Johnson bids"),
    ("AT amp;T and J amp;J", "AT&T and J&J"),
    ("it was the players ' fault", "it was the players' fault"),
    ("Bush #39;s plan", "Bush's plan"),
    ('<a href="http://x">a link</a> and<br/>more', "a link and more"),
    ("line\\\\break", "line break"),
])
def test_clean_text_repairs_crawl_damage(raw, clean):
    assert clean_text(raw) == clean


def test_stripped_quot_entities_become_quotes():
    assert clean_text("In  quot;helping themselves quot; he").startswith('In "helping themselves')


def test_repaired_share_is_counted(ag_news_path):
    corpus = build_corpus(str(ag_news_path))
    assert not corpus.frame["text"].str.contains("&lt;|&gt;|#36;| amp;|<b>", regex=True).any()
    assert corpus.n_rows == 7600
    raw = pd.read_csv(ag_news_path)
    raw = raw["title"].fillna("") + " " + raw["description"].fillna("")
    damaged = raw.str.contains(r"&[a-z]+;|#\d+;|\\| (?:amp|quot|gt|lt);|<[a-z/]", regex=True)
    assert corpus.n_repaired == int(damaged.sum())  # 3,023 of 7,600: mostly "#39;" and "\\" line breaks
    assert sample(corpus, 0.1, 0).n_repaired == corpus.n_repaired and sample(corpus, 0.1, 0).n_rows == 7600


def test_the_fast_path_cleans_every_text_as_clean_text_does(ag_news_path):
    from core.tables.data import _repaired, clean_texts

    raw = pd.read_csv(ag_news_path)
    texts = (raw["title"].fillna("") + " " + raw["description"].fillna("")).tolist()
    texts += ["  tabs\tand\nnew lines\r ", "\u00a0no-break\u2003spaces ", "x" * 200_000, "it 's", "' quoted '", ""]
    cleaned, repaired = clean_texts(texts)
    assert cleaned == [clean_text(t) for t in texts]
    assert repaired == sum(bool(c) and _repaired(t, c) for t, c in zip(texts, cleaned))


def test_clean_texts_count_as_not_repaired():
    corpus = build_corpus(pd.DataFrame({"text": ["plain words", "  spaced   out ", "a &amp; b"]}))
    assert corpus.n_repaired == 1 and corpus.n_rows == 3


# -- column detection -----------------------------------------------------------------------------------
@pytest.mark.parametrize("columns, picked, label", [
    (["headline", "body", "label"], "headline + body", "label"),
    (["Title", "Content", "Category"], "Title + Content", "Category"),
    (["sentence", "intent"], "sentence", "intent"),
    (["review", "sentiment"], "review", "sentiment"),
    (["text", "title", "label"], "text", "label"),       # a "text" column is taken alone
    (["question", "topic"], "question", "topic"),
    (["headline", "x"], "headline", None),
])
def test_common_column_names_are_detected(columns, picked, label):
    frame = pd.DataFrame({c: [f"{c} words number one", f"{c} words number two"] for c in columns})
    corpus = build_corpus(frame)
    assert corpus.text_col == picked and corpus.label_col == label


def test_the_wordiest_column_is_the_last_resort():
    frame = pd.DataFrame({"id": ["1", "2"], "notes": ["a few words here", "and a few more there"]})
    assert build_corpus(frame).text_col == "notes"


def test_several_text_columns_are_joined(tmp_path):
    path = write(tmp_path, "a.csv", "headline,body,label\nBig news,All the details,a\n,Only a body,b\nOnly a head,,c\n")
    for text_col in (["headline", "body"], ("headline", "body"), "headline+body"):
        corpus = build_corpus(str(path), text_col=text_col)
        assert corpus.texts == ["Big news. All the details", "Only a body", "Only a head"]
        assert corpus.text_col == "headline + body" and corpus.frame["title"].iloc[0] == "Big news"
    with pytest.raises(UserError, match="no column 'nope'"):
        build_corpus(str(path), text_col=["headline", "nope"])


def test_no_text_column_speaks_cli_and_app():
    with pytest.raises(UserError) as caught:
        build_corpus(pd.DataFrame({"a": ["1", "2"], "b": ["3", "4"]}))
    assert "--text-col" in str(caught.value)
    assert "--" not in caught.value.app_message and "'Text column' picker" in caught.value.app_message
    assert "a, b" in caught.value.app_message


def test_an_uploads_name_is_its_source():
    frame = pd.DataFrame({"text": ["one text", "another"]})
    frame.attrs["name"] = "news.csv"
    assert build_corpus(frame).source == "news.csv"
    assert build_corpus(pd.DataFrame({"text": ["x"]})).source == "uploaded table"


def _many_rows_parquet(n_rows: int) -> bytes:
    """A Parquet file of ``n_rows`` rows of one repeated text: a few kilobytes on disk (dictionary and
    run-length encoded), gigabytes of Python strings once read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    indices = pa.array(np.zeros(n_rows, np.int32))
    column = pa.DictionaryArray.from_arrays(indices, pa.array(["the same short text"]))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": column}), buffer)
    return buffer.getvalue()


def test_a_small_parquet_upload_of_too_many_rows_is_refused_from_its_footer_before_reading(monkeypatch):
    """Issue 28: 94 KB of 20 million rows grew to 2.8 GB before the row limit (counted on the table read)
    refused it. The footer's row count is checked first; the rows are never read."""
    from core.limits import Limits

    data = _many_rows_parquet(1_000_000)
    assert len(data) < 100_000
    limits = Limits(max_upload=200_000)

    def no_full_read(*args, **kwargs):
        raise AssertionError("the rows were read")

    with monkeypatch.context() as patch:
        patch.setattr(pd, "read_parquet", no_full_read)
        with pytest.raises(UserError, match=r"^tiny\.parquet has 1,000,000 rows, over this server's limit of "
                                            r"200,000 rows per upload; upload a sample of it$"):
            read_table(data, "tiny.parquet", limits=limits)
    small = _many_rows_parquet(50)
    assert len(read_table(small, "small.parquet", limits=limits)) == 50  # under the limit: read as before
    with pytest.raises(UserError, match=r"cannot read broken\.parquet as parquet"):
        read_table(small[:-20], "broken.parquet", limits=limits)  # a damaged footer: the usual message


def test_the_damage_test_is_the_damage_pattern():
    """The substring test that sends a text down the repair path finds what the pattern finds."""
    from core.tables.data import _DAMAGE, _damaged

    texts = ["plain words", "a\\b", "#1", "x & y", "a;b", "<b>", "it 's", "' quoted", "players' fault", "", "'", "''"]
    assert [_damaged(t) for t in texts] == [bool(_DAMAGE.search(t)) for t in texts]
