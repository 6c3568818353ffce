"""CSV exports that a spreadsheet opens as data, never as formulas.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is run as a formula by Excel, LibreOffice and Google Sheets; a text
from an uploaded file could then fetch a URL or run a command on the analyst's machine. Such text
cells get a leading apostrophe, OWASP's advice: the spreadsheet shows the text, and the apostrophe
tells a reader that it was neutralised. Numbers (numeric columns, and text cells such as a label
``-1`` that are a plain number) are written as they are.
"""
from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # "-1" is a number, not a formula


def neutralise(value: object) -> object:
    """``value`` with an apostrophe in front when it is a string a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def safe_csv(frame: pd.DataFrame) -> str:
    """``frame.to_csv(index=False)`` with every text cell (and header) neutralised (see the module)."""
    out = frame.copy()
    for name in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[name]) or pd.api.types.is_bool_dtype(out[name])):
            out[name] = out[name].map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) for c in out.columns]
    return out.to_csv(index=False)
