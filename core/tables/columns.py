"""Which columns of a table hold the text and the labels: named ones, or detected by common names."""
from __future__ import annotations

import pandas as pd

from core.errors import UserError

# Common column names, most specific first. A title-like column and a body-like one are joined
# ("title. body"), except that a column called "text" is taken alone (a title then only labels it).
BODY_NAMES = ("text", "body", "content", "description", "article", "document", "abstract", "summary", "review",
              "sentence", "question", "message", "comment", "tweet", "utterance", "query", "snippet", "excerpt")
TITLE_NAMES = ("title", "headline", "subject", "heading")
LABEL_NAMES = ("label", "labels", "category", "class", "topic", "intent", "target", "sentiment", "tag")


def _named(cols: list[str], names: tuple[str, ...], exclude: set[str] = frozenset()) -> str | None:
    """The first column whose (case-, space- and underscore-insensitive) name is one of ``names``."""
    canon = {str(c).strip().lower().replace("_", " "): c for c in reversed(cols) if c not in exclude}
    return next((canon[n] for n in names if n in canon), None)


def _wordiest(frame: pd.DataFrame, exclude: set[str]) -> str | None:
    """A column that reads as text (on average 3+ words per value in its first 200 rows), the wordiest."""
    best, best_words = None, 3.0
    for col in frame.columns:
        if col in exclude:
            continue
        values = frame[col].head(200).dropna()
        values = values[values.map(lambda v: isinstance(v, str))]
        if len(values) == 0:
            continue
        words = float(values.str.split().str.len().mean())
        if words >= best_words:
            best, best_words = col, words
    return best


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Columns joined row by row with ". ", skipping empty parts (a row with no title keeps its body)."""
    parts = [as_str(frame[c]).str.strip() for c in columns]
    out = parts[0]
    for part in parts[1:]:
        out = out.where(part == "", out.where(out == "", out + ". ") + part)
    return out


def _text_columns(text_col: str | list[str] | tuple[str, ...] | None, cols: list[str], listed: str
                  ) -> list[str]:
    """The columns named by ``text_col`` (one name, several, or ``"a+b"`` from a command line)."""
    if isinstance(text_col, str):
        names = [text_col] if text_col in cols or "+" not in text_col else [p.strip() for p in text_col.split("+")]
    else:
        names = list(text_col)
    missing = [n for n in names if n not in cols]
    if missing:
        raise UserError(f"no column {missing[0]!r}; the columns are: {listed}")
    return names


def pick_columns(frame: pd.DataFrame, text_col: str | list[str] | tuple[str, ...] | None, label_col: str | None
                 ) -> tuple[pd.Series, pd.Series | None, str, str | None]:
    """Choose the text and label columns -> (text, label or None, text's name, label's name or None).

    ``text_col`` may name several columns (a list, or ``"headline+body"``): they are joined. Without
    it, common names are tried (``text``; else a title-like column joined with a body-like one, such
    as ``title`` + ``description`` or ``headline`` + ``body``; else either alone; else the wordiest
    column). The label is ``label_col``, else a column with a common label name (``label``,
    ``category``, ``intent`` ...). The text's name says what was picked, e.g. ``"headline + body"``.
    """
    cols = list(frame.columns)
    listed = ", ".join(map(str, cols[:30])) + (" ..." if len(cols) > 30 else "")
    if text_col:
        chosen = _text_columns(text_col, cols, listed)
    else:
        body, title = _named(cols, BODY_NAMES), _named(cols, TITLE_NAMES)
        if body is not None and str(body).strip().lower() == "text":
            chosen = [body]
        else:
            chosen = [c for c in (title, body) if c is not None]
        if not chosen:
            guess = _wordiest(frame, {c for c in cols if c == label_col or _named([c], LABEL_NAMES)})
            chosen = [guess] if guess is not None else []
        if not chosen:
            raise UserError(
                f"no text column found: name one with --text-col (or a column called 'text', 'body', 'headline', "
                f"...); the columns are: {listed}",
                app=f"No text column found: choose one or more in the sidebar's 'Text column' picker (or name a "
                    f"column 'text', 'body', 'headline', ...). The columns are: {listed}")
    text = frame[chosen[0]] if len(chosen) == 1 else _joined(frame, chosen)
    text_name = " + ".join(map(str, chosen))
    if label_col:
        if label_col not in cols:
            raise UserError(f"no label column {label_col!r}; the columns are: {listed}")
        label_name = label_col
    else:
        label_name = _named(cols, LABEL_NAMES, exclude=set(chosen))
    label = frame[label_name] if label_name is not None else None
    return text, label, text_name, label_name


def title_column(frame: pd.DataFrame, text_name: str) -> str | None:
    """A title-like column to show as each text's headline, unless it is the whole text."""
    title = _named(list(frame.columns), TITLE_NAMES)
    return title if title is not None and str(title) != text_name else None


def as_str(series: pd.Series) -> pd.Series:
    """The column as pandas strings, missing values as "" (for joining and cleaning)."""
    return series.astype("string").fillna("")
