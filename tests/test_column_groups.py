"""core.tables.column_groups: a file's other columns as colour groups and filters, and label display names."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.tables.column_groups import (EXTRA, MISSING, OTHER, colour_groups, date_text, date_ticks, extra_columns,
                                filter_groups, integer_labels, parse_label_names, shown)
from core.tables.data import build_corpus, sample


def test_a_files_other_columns_are_kept_and_follow_the_sample():
    frame = pd.DataFrame({"title": [f"headline {i}" for i in range(8)], "body": [f"body text {i}" for i in range(8)],
                          "label": list("abababab"), "source": list("xxyyzzxy"), "n": range(8)})
    corpus = build_corpus(frame)
    assert corpus.text_col == "title + body" and extra_columns(corpus.frame) == ["source", "n"]
    part = sample(corpus, 0.5, seed=1)
    ids = part.frame["id"].to_numpy()
    assert part.frame[EXTRA + "source"].tolist() == frame["source"].iloc[ids].tolist()
    text_only = build_corpus(frame[["body", "label"]].rename(columns={"body": "text"}))
    assert extra_columns(text_only.frame) == []


def test_few_values_are_categories_with_missing_last():
    groups = colour_groups(pd.Series(["10", "2", None, "2", " "]))
    assert groups.kind == "categories" and groups.order == ("2", "10", MISSING)  # numbers in numeric order
    assert groups.labels.tolist() == ["10", "2", MISSING, "2", MISSING]


def test_many_numbers_are_a_scale_and_filter_by_quantile_bins():
    values = pd.Series([str(v) for v in np.arange(100) / 10] + [None])
    groups = colour_groups(values)
    assert groups.kind == "numeric" and np.isnan(groups.values[-1]) and groups.values[10] == 1.0
    bins = filter_groups(values)
    assert bins.kind == "categories" and len(bins.order) == 6 and bins.order[-1] == MISSING
    assert shown(bins, [bins.order[0]]).sum() == 20


def test_dates_colour_on_a_time_scale_and_filter_by_month_and_many_words_by_the_top_20():
    days = pd.Series([f"2024-{m:02d}-{d:02d}" for m in (1, 2, 3) for d in range(1, 21)] + [None])
    groups = colour_groups(days)
    assert groups.kind == "time" and groups.values[0] == (pd.Timestamp("2024-01-01") - pd.Timestamp("1970-01-01")).days
    assert np.all(np.diff(groups.values[:20]) == 1) and np.isnan(groups.values[-1])
    assert colour_groups(pd.Series(["2024-01-01", "2024-06-01"] * 5)).kind == "time"  # few dates: still a scale
    assert filter_groups(days).order == ("2024-01", "2024-02", "2024-03", MISSING)  # "Show only": by month
    at, text = date_ticks(groups.values)
    assert at[0] == groups.values[0] and at[-1] == groups.values[-2] and text[0] == "2024-01-01"
    assert list(date_text(groups.values[[0, -1]])) == ["2024-01-01", ""]
    words = pd.Series([f"w{i}" for i in range(40)] + ["common"] * 5)
    top = colour_groups(words)
    assert top.kind == "categories" and len(top.order) == 21 and top.order[0] == "common" and top.order[-1] == OTHER
    assert (top.labels == OTHER).sum() == 40 - 19


def test_label_names_lines_and_their_problems():
    names, problems = parse_label_names("1=World\n\n2 = Sports  news\n3\n9=Nine\n4=", {"1", "2", "3", "4"})
    assert names == {"1": "World", "2": "Sports news"}
    assert problems == ["line 4 is not 'value=name'", "line 5: no label '9'", "line 6 is not 'value=name'"]
    long, _ = parse_label_names("1=" + "x" * 10_000, {"1"})
    assert len(long["1"]) == 100
    assert integer_labels({"1", "2", "-3"}) and not integer_labels({"1", "World"}) and not integer_labels(set())
