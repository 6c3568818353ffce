"""Topics over time (core.clustering.timeline): which columns are dates, the bin a span gets, shares per bin, selections."""
import numpy as np
import pandas as pd
import pytest

from core.clustering.timeline import choose_bin, parse_dates, rows_between, selection_rows, timeline


@pytest.mark.parametrize("values", [
    ["2024-03-05", "2024-03-06", "2024-04-01", None],
    ["5 March 2024", "6 March 2024", "1 April 2024", ""],
    ["2024-03-05T10:00:00Z", "2024-03-06T11:30:00+01:00", "2024-04-01T00:00:00Z", "2024-04-02T00:00:00Z"],
])
def test_dates_are_read_in_common_forms(values):
    dates = parse_dates(pd.Series(values))
    assert dates is not None and dates.iloc[0] == pd.Timestamp("2024-03-05 10:00" if "T" in values[0] else "2024-03-05")
    assert dates.dt.tz is None
    assert dates.isna().sum() == sum(1 for v in values if not v)


@pytest.mark.parametrize("values", [
    ["2019", "2020", "2021", "2022"],                 # years as numbers: a number column
    ["17", "3", "45", "12"],
    ["May", "June", "July", "May"],                   # no year
    ["sports", "world", "business", "sports"],
    ["2024-03-05", "soon", "later", "never"],         # one date among words
    ["2024-03-05", None, None, None, None],           # most rows have no value
    ["Posted in 2024 by Ann", "Posted in 2023 by Bob", "Posted in 2022 by Cy", "in 2021"],
])
def test_columns_that_are_not_dates_are_not_detected(values):
    assert parse_dates(pd.Series(values, dtype=object)) is None


@pytest.mark.parametrize("span, period", [
    (("2024-03-01", "2024-03-07"), "D"),        # a week: by day
    (("2024-01-01", "2024-02-29"), "D"),        # 60 days
    (("2024-01-01", "2024-03-15"), "W"),        # 75 days: by week
    (("2024-01-01", "2025-01-01"), "W"),        # a year: 53 weeks
    (("2020-01-01", "2024-06-30"), "M"),        # four years and a half: 54 months
    (("2000-01-01", "2024-12-31"), "Y"),        # 25 years
    (("1800-01-01", "2024-12-31"), "Y"),        # more years than MAX_BINS: still by year
])
def test_the_bin_is_the_finest_with_at_most_60_bins(span, period):
    start, end = map(pd.Timestamp, span)
    assert choose_bin(start, end) == period


def corpus():
    rng = np.random.default_rng(0)
    dates = pd.Series(pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, 300), unit="D"))
    dates[rng.choice(300, 20, replace=False)] = pd.NaT
    labels = rng.choice([0, 2, 5], 300)
    return dates, labels


def test_shares_sum_to_one_in_every_bin_with_texts_and_counts_add_up():
    dates, labels = corpus()
    line = timeline(dates, labels, [0, 2, 5])
    assert line.period == "W" and line.counts.shape == (len(line.starts), 3)
    assert line.counts.sum() == dates.notna().sum()  # every dated text once
    with_texts = line.totals > 0
    np.testing.assert_allclose(line.shares[with_texts].sum(axis=1), 1.0)
    assert (line.shares[~with_texts] == 0).all()
    assert (np.diff(line.starts.values).astype("timedelta64[D]").astype(int) == 7).all()  # consecutive weeks
    in_first = (dates >= line.starts[0]) & (dates < line.end(0))
    assert line.counts[0, 1] == int((in_first & (labels == 2)).sum())
    kept = timeline(dates, labels, [0, 2, 5], keep=labels != 5)
    assert kept.counts[:, 2].sum() == 0 and kept.counts.sum() == int((dates.notna() & (labels != 5)).sum())
    assert timeline(pd.Series([pd.NaT] * 3), np.zeros(3, int), [0]) is None


def test_a_brush_selects_the_texts_of_its_span_and_a_click_a_clusters_texts_of_one_bin():
    dates, labels = corpus()
    line = timeline(dates, labels, [0, 2, 5])
    rows, focus = selection_rows({"box": [{"x": ["2024-02-01 00:00:00", "2024-01-15"]}]}, line, dates, labels)
    expected = np.flatnonzero(((dates >= "2024-01-15") & (dates < "2024-02-02")).to_numpy())
    assert focus is None and rows.tolist() == expected.tolist() and len(rows) > 0
    assert rows.tolist() == rows_between(dates, "2024-01-15", "2024-02-01").tolist()

    point = {"curve_number": 2, "x": str(line.starts[3].date()), "y": 0.4}
    rows, focus = selection_rows({"points": [point]}, line, dates, labels)
    assert focus == 5 and len(rows) == line.counts[3, 2] > 0
    assert set(labels[rows]) == {5} and (dates[rows] >= line.starts[3]).all() and (dates[rows] < line.end(3)).all()

    keep = np.arange(len(labels)) % 2 == 0
    rows, _ = selection_rows({"points": [point]}, line, dates, labels, keep)
    assert keep[rows].all()
    assert selection_rows({}, line, dates, labels)[0].tolist() == []
    assert selection_rows({"points": [{"curve_number": 9, "x": "2024-01-01"}]}, line, dates, labels)[1] is None
