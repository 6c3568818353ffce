"""Checks on a table as read, for ``core.tables.data.read_table`` and ``hub_download``: a repeated CSV
header, nested or boolean cells, UTF-16 text, hub addresses that climb out of the dataset."""
from __future__ import annotations

import csv
import io
import json
import logging
import re

import numpy as np
import pandas as pd

from core.errors import UserError

log = logging.getLogger("core.tables.data")  # the reader's warnings, under the reader's name


def csv_header(text: str, sep: str, parsed: list[str]) -> list[str]:
    """The header as written: pandas renames a repeated name (``text,text`` -> ``text``, ``text.1``),
    which would hide the duplicate from the check in ``read_table``."""
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep))
    except (StopIteration, csv.Error):
        return parsed
    return header if len(header) == len(parsed) else parsed


def scalar_cells(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """JSONL and Parquet cells can hold lists, objects and booleans, which would otherwise reach the
    model as Python reprs (``{'a': 1}``, ``True``): write them as JSON text instead, with a warning."""
    def nested(value: object) -> bool:
        return isinstance(value, (dict, list, tuple, np.ndarray, bool, np.bool_))

    def as_json(value: object) -> object:
        if not nested(value):
            return value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return json.dumps(value.item() if isinstance(value, np.bool_) else value, ensure_ascii=False, default=str)

    for column in frame.columns:
        if frame[column].dtype != object and not pd.api.types.is_bool_dtype(frame[column]):
            continue
        mask = frame[column].map(nested)
        if mask.any():
            log.warning("%s: %d cell%s of column %r hold lists, objects or true/false; read as JSON text",
                        name, int(mask.sum()), "" if mask.sum() == 1 else "s", column)
            frame[column] = frame[column].astype(object).map(as_json)
    return frame


def looks_utf16(head: bytes) -> bool:
    """A UTF-16 byte-order mark, or text whose every other byte is zero (UTF-16 without one)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if len(head) < 4:
        return False
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return max(even, odd) >= 0.9 * (len(head) // 2) and min(even, odd) == 0


_HUB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # the hub's rule for user and repository names


def check_hub_parts(source: str, owner: str, name: str, filename: str) -> None:
    """Refuse ``..``, ``.`` and empty path parts (``hf://datasets/../../etc/passwd``) with one clear line."""
    parts = [owner, name, *filename.split("/")]
    if any(p in ("", ".", "..") for p in parts) or not all(_HUB_NAME.fullmatch(p) for p in (owner, name)):
        raise UserError(f"bad hub address {source!r}: owner, dataset and file names may not be empty, "
                        "'.' or '..' (expected hf://datasets/<owner>/<name>/<file>)")
