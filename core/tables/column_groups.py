"""Any column of a file as groups: to colour the map by it, to show only some of its values, and
display names for the label column.

``corpus.frame`` keeps a file's other columns as ``extra:<name>`` (see ``core.tables.data``). Dates
(``core.clustering.timeline.parse_dates``: ISO or another form with a year) are coloured on a continuous time
scale ("Show only" offers them by day, month or year, whichever gives few enough groups). Any
other column with few values is categorical; one with many is a continuous number (coloured on a
scale) or text (its most frequent values and "(other)").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.clustering.timeline import parse_dates

EXTRA = "extra:"            # prefix of a file's other columns in corpus.frame
MAX_CATEGORIES = 30         # up to this many distinct values: one colour each
TOP = 20                    # text with more values: the most frequent ones and OTHER
FILTER_BINS = 5             # a continuous number is filtered by quantile bins
MISSING = "(missing)"
OTHER = "(other)"
MAX_NAME = 100              # characters of a label's display name
_PERIODS = (("D", "%Y-%m-%d"), ("M", "%Y-%m"), ("Y", "%Y"))


@dataclass(frozen=True)
class Groups:
    """A column as groups. ``kind`` is "categories" (``labels`` (n,) str, ``order`` the legend's order),
    "numeric" or "time" (``values`` (n,) float with NaN for missing; ``labels`` unused)."""

    kind: str
    labels: np.ndarray | None
    order: tuple[str, ...]
    values: np.ndarray | None = None  # "numeric": the numbers; "time": days since 1970-01-01 (a continuous scale)


def extra_columns(frame: pd.DataFrame) -> list[str]:
    """The names of a file's other columns kept in ``frame`` (without the prefix), in file order."""
    return [str(c)[len(EXTRA):] for c in frame.columns if str(c).startswith(EXTRA)]


def _as_text(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(text.notna() & (text != ""), MISSING).astype(object)


def _numbers(series: pd.Series) -> np.ndarray | None:
    """The column as floats when (nearly) all its present values are numbers, else None."""
    present = series.dropna()
    present = present[present.astype(str).str.strip() != ""]
    if present.empty:
        return None
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().mean() < 0.95:
        return None
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _categories(labels: pd.Series, order: list[str] | None = None) -> Groups:
    values = labels.to_numpy(dtype=object)
    if order is None:
        order = sorted(set(values) - {MISSING, OTHER}, key=natural_key)
    extra = [g for g in (OTHER, MISSING) if g in set(values)]
    return Groups("categories", values, tuple(order) + tuple(extra))


def natural_key(text: str) -> tuple:
    """Numbers in their numeric order ("2" before "10"), then text: every axis and legend of values."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return (1, 0.0, str(text))
    return (0, number, "") if number == number else (1, 0.0, str(text))  # "nan" is text


def _by_period(dates: pd.Series) -> Groups | None:
    """Dates grouped by the finest period (day, month, year) that gives at most MAX_CATEGORIES groups."""
    present = dates.dropna()
    for _, fmt in _PERIODS:
        labels = present.dt.strftime(fmt)
        if labels.nunique() <= MAX_CATEGORIES:
            full = dates.dt.strftime(fmt).astype(object).where(dates.notna(), MISSING)
            return _categories(pd.Series(full), sorted(set(labels)))
    return None


def colour_groups(series: pd.Series) -> Groups:
    """How a column colours the map: dates on a time scale, its categories, a number on a scale, or the
    TOP most frequent text values and OTHER. ``series`` (n,) is row-aligned with the map."""
    dates = parse_dates(series)  # the dates the time chart reads (core.clustering.timeline)
    if dates is not None and dates.nunique() > 1:
        days = (dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return Groups("time", None, (), days.to_numpy(dtype=float))
    text = _as_text(series)
    if text.nunique() <= MAX_CATEGORIES:
        return _categories(text)
    numbers = _numbers(series)
    if numbers is not None:
        return Groups("numeric", None, (), numbers)
    return _top(text)


def date_ticks(days: np.ndarray, count: int = 5) -> tuple[list[float], list[str]]:
    """(positions, labels) of about ``count`` ticks over (n,) ``days`` since 1970 (NaN ignored), labelled
    by year, month or day as the span asks (the colour bar of a date column)."""
    present = days[~np.isnan(days)]
    if not len(present):
        return [], []
    low, high = float(present.min()), float(present.max())
    span = high - low
    fmt = "%Y" if span > 3 * 365 else "%Y-%m" if span > 90 else "%Y-%m-%d"
    at = np.linspace(low, high, count) if span else np.array([low])
    return at.tolist(), [(pd.Timestamp("1970-01-01") + pd.Timedelta(days=float(d))).strftime(fmt) for d in at]


def date_text(days: np.ndarray) -> np.ndarray:
    """(n,) "YYYY-MM-DD" of (n,) days since 1970 ("" where NaN)."""
    stamps = pd.Timestamp("1970-01-01") + pd.to_timedelta(pd.Series(days), unit="D")
    return stamps.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


def _top(text: pd.Series) -> Groups:
    counts = text[text != MISSING].value_counts()
    top = list(counts.index[:TOP])
    return _categories(text.where(text.isin(top) | (text == MISSING), OTHER), top)


def filter_groups(series: pd.Series) -> Groups:
    """The values "Show only" offers for a column: as :func:`colour_groups`, but a continuous number
    falls into FILTER_BINS quantile bins ("[low, high]") to pick from."""
    groups = colour_groups(series)
    if groups.kind == "time":  # dates: by day, month or year
        return _by_period(parse_dates(series)) or _top(_as_text(series))
    if groups.kind != "numeric":
        return groups
    values = pd.Series(groups.values)
    bins = pd.qcut(values, FILTER_BINS, duplicates="drop")
    order = [f"{b.left:.4g} to {b.right:.4g}" for b in bins.cat.categories]
    codes = bins.cat.codes.to_numpy()  # -1 where the value is missing
    labels = pd.Series([order[c] if c >= 0 else MISSING for c in codes], dtype=object)
    return _categories(labels, order)


def present(groups: Groups, picked: list[str]) -> list[str]:
    """The values of ``picked`` that ``groups`` has (a pick kept from another file or sample has none)."""
    return [p for p in picked if p in groups.order]


def shown(groups: Groups, picked: list[str]) -> np.ndarray:
    """(n,) bool: the rows whose group is one of ``picked`` (categories only)."""
    return np.isin(groups.labels.astype(str), list(picked))


def parse_label_names(text: str, values: set[str]) -> tuple[dict[str, str], list[str]]:
    """``value=name`` lines -> ({label value: display name}, problems). Blank lines are skipped; a line
    without "=", an unknown value or an empty name is a problem (one line each) and is not used."""
    names: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        value, sep, name = line.partition("=")
        value, name = value.strip(), " ".join(name.split())
        if not sep or not name:
            problems.append(f"line {number} is not 'value=name'")
        elif value not in values:
            problems.append(f"line {number}: no label {value[:40]!r}")
        else:
            names[value] = name[:MAX_NAME]
    return names, problems


def integer_labels(values: set[str]) -> bool:
    """Are the labels whole numbers (such as AG News' 1-4), so names are worth giving?"""
    return bool(values) and all(v.strip().lstrip("-").isdigit() for v in values)
