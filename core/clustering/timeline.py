"""Topics over time: each cluster's share of the texts of each day, week, month or year of a date column.

:func:`parse_dates` reads a column as dates when most of its rows are dates (ISO "2024-03-05", or any
form pandas reads that holds a four-digit year, such as "5 March 2024" or "03/05/2024"); numbers alone
("2024", "17") are not dates. :func:`choose_bin` picks the finest of day, week, month and year that
gives at most ``MAX_BINS`` bins over the dates' span (so a week of news is by day and ten years by
year; a span needing more than ``MAX_BINS`` years is still by year). :func:`timeline` counts each
cluster's texts per bin and their share of the bin (each bin's shares sum to 1), as BERTopic's
``topics_over_time`` does with its global frequencies. :func:`selection_rows` turns what a chart of it
sends back (a brush over the time axis, a click on a cluster's curve) into the texts it stands for.
Plain Python: no Streamlit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The bins offered, finest first: (pandas period, a name for it).
BINS = (("D", "day"), ("W", "week"), ("M", "month"), ("Y", "year"))
MAX_BINS = 60
MOST = 0.95      # of a column's present values must read as dates
PRESENT = 0.5    # of its rows must have a value
_YEAR = re.compile(r"(?<!\d)(?:1[6-9]|2\d)\d\d(?!\d)")
_NUMBER = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?\s*$")


def parse_dates(series: pd.Series) -> pd.Series | None:
    """(n,) timestamps (tz-naive, NaT where a row has none) when most rows of ``series`` are dates, else None."""
    if pd.api.types.is_datetime64_any_dtype(series):
        dates = pd.to_datetime(series)
    else:
        text = series.astype("string").str.strip()
        present = text[text.notna() & (text != "")]
        if len(present) < max(PRESENT * len(series), 2):
            return None
        if present.str.match(_NUMBER.pattern).mean() > 1 - MOST or not (present.str.contains(_YEAR.pattern)).mean() >= MOST:
            return None  # numbers, or values without a year: counts, ids, "May"
        iso = present.str.match(r"^\d{4}-\d{2}(-\d{2})?").all()
        dates = pd.to_datetime(text, errors="coerce", format="ISO8601" if iso else "mixed", utc=True)
        if dates[present.index].notna().mean() < MOST:
            return None
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    return dates if dates.notna().sum() >= 2 else None


def choose_bin(start: pd.Timestamp, end: pd.Timestamp, most: int = MAX_BINS) -> str:
    """The finest period of :data:`BINS` with at most ``most`` bins from ``start`` to ``end``."""
    for period, _ in BINS:
        if _count(start, end, period) <= most:
            return period
    return BINS[-1][0]


def _count(start: pd.Timestamp, end: pd.Timestamp, period: str) -> int:
    return int((pd.Period(end, period) - pd.Period(start, period)).n) + 1


def bin_name(period: str) -> str:
    return dict(BINS)[period]


@dataclass(frozen=True)
class Timeline:
    """Each cluster's texts per bin: ``starts`` (b,) the bins' first days, ``counts`` (b, k) texts of
    cluster ``ids[j]`` in bin i (every bin from the first date to the last, empty ones included),
    ``period`` the bins' length (a :data:`BINS` code)."""

    starts: pd.DatetimeIndex
    ids: tuple[int, ...]
    counts: np.ndarray
    period: str

    @property
    def totals(self) -> np.ndarray:
        """(b,) texts per bin."""
        return self.counts.sum(axis=1)

    @property
    def shares(self) -> np.ndarray:
        """(b, k) each cluster's share of its bin's texts (a row sums to 1; 0 in a bin without texts)."""
        return self.counts / np.maximum(self.totals, 1)[:, None]

    def end(self, i: int) -> pd.Timestamp:
        """The first moment after bin i."""
        return (pd.Period(self.starts[i], self.period) + 1).start_time


def timeline(dates: pd.Series, labels: np.ndarray, ids: list[int], keep: np.ndarray | None = None,
             period: str | None = None) -> Timeline | None:
    """The clusters ``ids`` of the (n,) ``labels`` counted per bin of the (n,) ``dates`` (rows without a
    date, or outside the (n,) bool ``keep``, are left out); ``period`` None: :func:`choose_bin`. None
    when fewer than two texts have a date."""
    when = pd.to_datetime(pd.Series(np.asarray(dates)))
    use = when.notna().to_numpy() & (np.ones(len(when), bool) if keep is None else np.asarray(keep, bool))
    if use.sum() < 2:
        return None
    when, labels = when[use], np.asarray(labels)[use]
    period = period or choose_bin(when.min(), when.max())
    first = pd.Period(when.min(), period)
    bins = when.dt.to_period(period).array.asi8 - first.ordinal  # (m,) each text's bin
    n_bins = int(bins.max()) + 1
    column = {int(c): j for j, c in enumerate(ids)}
    counts = np.zeros((n_bins, len(ids)), dtype=np.int64)
    np.add.at(counts, (bins, np.array([column[int(c)] for c in labels], dtype=np.int64)), 1)
    starts = pd.DatetimeIndex([(first + i).start_time for i in range(n_bins)])
    return Timeline(starts, tuple(int(c) for c in ids), counts, period)


def rows_between(dates: pd.Series, start, end) -> np.ndarray:
    """Positions of the rows whose date lies in [start, end] (either order; a day's "2024-03-05" is the whole day)."""
    low, high = sorted((pd.Timestamp(start), pd.Timestamp(end)))
    if high == high.normalize():
        high = high + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    when = pd.to_datetime(pd.Series(np.asarray(dates)))
    return np.flatnonzero(((when >= low) & (when <= high)).to_numpy())


def selection_rows(selection: dict, line: Timeline, dates: pd.Series, labels: np.ndarray,
                   keep: np.ndarray | None = None) -> tuple[np.ndarray, int | None]:
    """(row positions, a cluster to focus or None) for what a chart of ``line`` sends back: a brush
    (``selection["box"]``: [{"x": [from, to]}, ...]) selects the texts dated in its span, whatever their
    cluster; clicked points (``selection["points"]``: [{"curve_number": j, "x": a bin's start}, ...],
    one trace per cluster in ``line.ids``' order) select that cluster's texts of that bin and focus
    the cluster. Rows outside ``keep`` are never selected."""
    allowed = np.ones(len(labels), bool) if keep is None else np.asarray(keep, bool)
    rows: set[int] = set()
    focus = None
    for box in selection.get("box") or []:
        x = box.get("x") or []
        if len(x) >= 2:
            rows.update(rows_between(dates, x[0], x[-1]).tolist())
    when = pd.to_datetime(pd.Series(np.asarray(dates)))
    for point in selection.get("points") or []:
        j = point.get("curve_number")
        if not isinstance(j, int) or not 0 <= j < len(line.ids) or point.get("x") is None:
            continue
        start = pd.Timestamp(pd.Period(pd.Timestamp(point["x"]), line.period).start_time)
        end = (pd.Period(start, line.period) + 1).start_time
        cluster = line.ids[j]
        focus = cluster if focus is None else focus
        inside = ((when >= start) & (when < end)).to_numpy() & (np.asarray(labels) == cluster)
        rows.update(np.flatnonzero(inside).tolist())
    picked = np.array(sorted(r for r in rows if allowed[r]), dtype=np.int64)
    return picked, focus
