"""Sources -> a table of texts (+ labels); text-column detection; cleaning; nested sampling.

A source is ``hf://datasets/<owner>/<name>/<file>`` (the Hugging Face hub), a local
``.csv``/``.tsv``/``.parquet``/``.jsonl`` file, ``demo`` (the bundled demo corpus) or a DataFrame.
"""
from __future__ import annotations

import html
import io
import logging
import math
import re
import socket
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from core.config import DEMO_SOURCE
from core.tables.columns import as_str as _as_str
from core.tables.column_groups import EXTRA
from core.tables.columns import pick_columns, title_column
from core.errors import UserError
from core.limits import Limits
from core.tables.table_checks import check_hub_parts, csv_header, looks_utf16, scalar_cells

log = logging.getLogger(__name__)

READERS = (".csv", ".tsv", ".parquet", ".jsonl")
DEMO_PATH = Path(__file__).resolve().parents[1] / "demo" / "demo_news.csv"
MAX_EXTRA = 30  # other columns kept (to colour and filter the map by)
MAX_TEXT_CHARS = 20_000  # longer texts are cut: the model reads only the first 256 tokens anyway


@dataclass(frozen=True)
class Corpus:
    """Cleaned texts of one source.

    ``frame`` has columns ``id`` (row number in the source), ``text``, ``title`` (a headline for
    display: the title column, else the text's start), when known ``label`` (strings), and the
    file's other columns as ``extra:<name>`` (as read; see ``core.tables.column_groups``).
    """

    frame: pd.DataFrame
    source: str
    text_col: str
    label_col: str | None
    n_dropped: int
    n_rows: int = 0      # rows in the source (before dropping empty texts and sampling)
    n_repaired: int = 0  # of the source's texts, those whose HTML entities or tags were repaired

    @cached_property
    def texts(self) -> list[str]:
        """The (n,) texts, built once per corpus (every rerun of the app asks for them)."""
        return self.frame["text"].tolist()

    @cached_property
    def labels(self) -> np.ndarray | None:
        """(n,) read-only object array of label strings, ``None`` where a row has no label."""
        if not self.label_col:
            return None
        column = self.frame["label"].astype(object)
        labels = column.where(column.notna(), None).to_numpy()
        labels.setflags(write=False)
        return labels

    def __len__(self) -> int:
        return len(self.frame)


# -- reading ----------------------------------------------------------------------------------------
def read_table(data: bytes | str | Path, name: str, *, limits: Limits | None = None) -> pd.DataFrame:
    """Read a table from a path or from bytes (an upload). ``name`` gives the format by its suffix.

    With ``limits`` (an upload), a Parquet file's row count is checked from its footer before any row
    is read: a file of a few kilobytes can hold millions of dictionary-encoded rows (gigabytes once
    read), so counting the rows read would come too late."""
    suffix = Path(name).suffix.lower()
    if suffix not in READERS:
        raise UserError(f"unsupported file type {suffix or '(none)'!r} for {name}: use one of {', '.join(READERS)}")
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise UserError(f"file not found: {path}")
        if not path.is_file():
            raise UserError(f"not a file: {path}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data or not data.strip():
        raise UserError(f"{name} is empty")
    try:
        if suffix == ".parquet":
            if limits is not None:
                limits.check_upload(parquet_rows(data), name)
            # as Python objects, binary cells decoded: bad UTF-8 (a damaged file, a binary column)
            # fails here, not later in the cleaning
            frame = pd.read_parquet(io.BytesIO(data)).astype(object)
            frame = frame.map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)
        elif suffix == ".jsonl":
            frame = pd.read_json(io.StringIO(_decode(data, name)), lines=True)
        else:
            sep = "\t" if suffix == ".tsv" else ","
            text = _decode(data, name)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str,
                                keep_default_na=False, na_values=[""], on_bad_lines="error")
            frame.columns = csv_header(text, sep, list(frame.columns))
    except UserError:
        raise
    except Exception as exc:  # pandas/pyarrow raise many types for damaged files
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot read {name} as {suffix[1:]}: {detail}") from None
    if frame.empty:
        raise UserError(f"{name} has no data rows" + (" (only a header)" if len(frame.columns) else ""))
    frame.columns = [str(c).strip() for c in frame.columns]
    twice = sorted(set(frame.columns[frame.columns.duplicated()]))
    if twice:  # e.g. "text" and " text ": frame["text"] would be a table, not a column
        raise UserError(f"{name} has more than one column named {', '.join(map(repr, twice))} "
                        "(after trimming spaces); rename or remove the extra ones")
    if suffix in (".jsonl", ".parquet"):
        frame = scalar_cells(frame, name)
    return frame


def parquet_rows(data: bytes) -> int:
    """The rows a Parquet file holds, from its footer (no row is read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows


def _decode(data: bytes, name: str) -> str:
    if looks_utf16(data[:8192]):
        raise UserError(f"{name} is not UTF-8 (UTF-16?); save it as UTF-8 and try again")
    if b"\x00" in data[:8192]:
        raise UserError(f"{name} looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not UTF-8 text (bad byte at position {exc.start}); "
                        "save it as UTF-8 and try again") from None


def hub_download(source: str) -> Path:
    """Fetch ``hf://datasets/<owner>/<name>/<file>`` once through huggingface_hub (reused from its cache)."""
    match = re.fullmatch(r"hf://datasets/([^/]+)/([^/]+)/(.+)", source)
    if not match:
        raise UserError(f"bad hub address {source!r}: expected hf://datasets/<owner>/<name>/<file>")
    owner, name, filename = match.groups()
    check_hub_parts(source, owner, name, filename)
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import (EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError)

    kwargs = {"repo_id": f"{owner}/{name}", "filename": filename, "repo_type": "dataset"}
    try:  # downloaded once: a cached copy is used without touching the network
        return Path(hf_hub_download(**kwargs, local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    if not _reachable(constants.ENDPOINT):
        raise UserError(f"the Hugging Face hub ({constants.ENDPOINT}) is unreachable and {source} is not "
                        "cached; use a local file or the demo corpus (--data demo)",
                        app=f"the Hugging Face hub ({constants.ENDPOINT}) is unreachable and {source} is not "
                            "cached; upload a file or pick the demo corpus under Data in the sidebar")
    try:  # one HEAD without retries: hf_hub_download retries a failing hub for about 25 s before giving up
        get_hf_file_metadata(hf_hub_url(**kwargs), timeout=10)
    except (EntryNotFoundError, RepositoryNotFoundError):
        raise UserError(f"the hub has no file {filename!r} in dataset {owner}/{name}") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "an error"
        raise UserError(f"the Hugging Face hub ({constants.ENDPOINT}) answered HTTP {status} for {source}; "
                        "try again later, or use a local file or the demo corpus (--data demo)",
                        app=f"the Hugging Face hub ({constants.ENDPOINT}) answered HTTP {status} for {source}; "
                            "try again later, or upload a file or pick the demo corpus under Data in the sidebar"
                        ) from None
    except Exception:  # timeouts and dropped connections: hf_hub_download below says what it can
        pass
    try:
        return Path(hf_hub_download(**kwargs, etag_timeout=10))
    except LocalEntryNotFoundError:  # a subclass of EntryNotFoundError: test it first
        raise UserError(f"the Hugging Face hub is unreachable and {source} is not cached; "
                        "use a local file or the demo corpus (--data demo)",
                        app=f"the Hugging Face hub is unreachable and {source} is not cached; "
                            "upload a file or pick the demo corpus under Data in the sidebar") from None
    except (EntryNotFoundError, RepositoryNotFoundError):
        raise UserError(f"the hub has no file {filename!r} in dataset {owner}/{name}") from None
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"could not download {source} from the hub: {first}") from None


def _reachable(url: str, timeout: float = 5.0) -> bool:
    """Can a TCP connection to ``url``'s host be opened? (Saves the hub client's minute of retries.)"""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def read_source(source: str | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A raw DataFrame and a display name for any kind of source."""
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise UserError("the table has no data rows")
        return source, "uploaded table"
    source = str(source)
    if source == DEMO_SOURCE:
        return read_table(DEMO_PATH, DEMO_PATH.name), "demo corpus"
    if source.startswith("hf://"):
        path = hub_download(source)
        return read_table(path, source), source
    return read_table(source, source), source


# -- columns and cleaning -----------------------------------------------------------------------------
_ENTITY = re.compile(r"(?<![&\w])(#\d{2,6}|amp|quot|lt|gt|apos|nbsp);")  # a crawl's "&" stripped: "#36;", " amp;"
_APOSTROPHE = re.compile(r"\s#39;(?=[a-z])")  # "Bush #39;s" (a crawl's stripped "&#39;") -> "Bush's"
_GLUED_AMP = re.compile(r"\b([A-Z]{1,4}) &(?=[A-Z])")  # "S &P" (from "S amp;P") -> "S&P", "AT &T" -> "AT&T"
_SPACED_QUOTE = re.compile(r"(?<=[A-Za-z]) ' (?=(?:s|t|re|ve|ll|d|m)\b)|(?<=[a-z]s) '(?= [a-z])")  # "players ' fault"
_TAG = re.compile(r"</?(?:a|abbr|b|big|blockquote|br|code|div|em|font|h[1-6]|hr|i|img|li|ol|p|pre|small|span|"
                  r"strong|sub|sup|table|td|th|tr|tt|u|ul)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
#: What any repair above needs in a text: without it, cleaning only joins whitespace (the fast path).
_DAMAGE = re.compile(r"[\\#&;<]| '|' ")


def clean_text(text: str) -> str:
    """Undo common crawl damage; the text's words are kept.

    ``\\`` line breaks become spaces; HTML entities, whole or with their ``&`` stripped (``#36;``,
    `` amp;``, ``&lt;b&gt;``), are decoded; HTML tags (``<b>``, ``</a>``; not ``<TXN.N>``, a ticker)
    are removed; ``S amp;P`` becomes ``S&P`` and ``players ' fault`` ``players' fault``; runs of
    whitespace become one space. Cut at ``MAX_TEXT_CHARS``.
    """
    # each repair runs only on a text holding what its pattern needs (a substring test is far cheaper
    # than a regular expression's scan); the result is the same
    text = text.replace("\\", " ")
    if "#39;" in text:
        text = _APOSTROPHE.sub("'", text)
    if ";" in text:
        text = _ENTITY.sub(r"&\1;", text)
    text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if " &" in text:
        text = _GLUED_AMP.sub(r"\1&", text)
    if " '" in text:
        text = _SPACED_QUOTE.sub("'", text)
    return " ".join(text.split())[:MAX_TEXT_CHARS]


def clean_texts(raw: list[str]) -> tuple[list[str], int]:
    """(:func:`clean_text` of each of ``raw``, how many were repaired (see :func:`_repaired`)).

    A text with no mark of damage (``_DAMAGE``: most texts) only has its whitespace joined, which is
    what :func:`clean_text` makes of it too, a tenth of the time: a million texts are read in seconds."""
    out: list[str] = []
    repaired = 0
    for text in raw:
        if _damaged(text):
            cleaned = clean_text(text)
            repaired += bool(cleaned) and _repaired(text, cleaned)
        else:
            cleaned = " ".join(text.split())[:MAX_TEXT_CHARS]
        out.append(cleaned)
    return out, repaired


def _damaged(text: str) -> bool:
    """``_DAMAGE.search(text)``, as substring tests (several times faster on a million texts)."""
    return ("\\" in text or "#" in text or "&" in text or ";" in text or "<" in text or " '" in text
            or "' " in text)


def _repaired(raw: str, cleaned: str) -> bool:
    """Did cleaning change more than whitespace (an entity, a tag, a stripped ``&``)?"""
    return _SPACE.sub(" ", raw).strip()[:MAX_TEXT_CHARS] != cleaned


def build_corpus(source: str | pd.DataFrame, *, text_col: str | list[str] | tuple[str, ...] | None = None,
                 label_col: str | None = None) -> Corpus:
    """Read ``source`` and return the cleaned corpus; empty and missing texts are dropped and counted.

    A DataFrame source may carry its display name in ``frame.attrs["name"]`` (an upload's file name).
    """
    raw, name = read_source(source)
    if isinstance(source, pd.DataFrame) and source.attrs.get("name"):
        name = str(source.attrs["name"])
    raw = raw.reset_index(drop=True)
    text, label, text_name, label_name = pick_columns(raw, text_col, label_col)
    raw_texts = _as_str(text)
    cleaned, n_repaired = clean_texts(raw_texts.tolist())
    texts = pd.Series(cleaned, index=raw_texts.index, dtype=raw_texts.dtype)
    keep = texts.str.len() > 0
    if label is not None:
        missing_label = label.isna() | (_as_str(label).str.strip() == "")
        if missing_label[keep].any():
            n_missing = int(missing_label[keep].sum())
            log.warning("%d rows have no label; they are kept, and scores use the labelled rows only", n_missing)
    frame = pd.DataFrame({"id": np.arange(len(raw)), "text": texts})
    title_col = title_column(raw, text_name)
    titles = _as_str(raw[title_col]).map(clean_text) if title_col is not None else texts.str.slice(0, 120)
    frame["title"] = titles.where(titles.str.len() > 0, texts.str.slice(0, 120))
    if label is not None:
        frame["label"] = _as_str(label).str.strip().replace("", pd.NA)
    for column in _other_columns(raw, text_name, label_name, title_col):
        frame[EXTRA + str(column)] = raw[column].to_numpy()
    frame = frame[keep.to_numpy()].reset_index(drop=True)
    if frame.empty:
        raise UserError(f"no usable text in {name}: every text in column {text_name!r} is empty")
    n_dropped = int((~keep).sum())
    if n_dropped:
        log.warning("dropped %d empty or missing texts", n_dropped)
    return Corpus(frame=frame, source=name, text_col=text_name, label_col=label_name, n_dropped=n_dropped,
                  n_rows=len(raw), n_repaired=n_repaired)


def _other_columns(raw: pd.DataFrame, text_name: str, label_name: str | None, title_col: str | None) -> list:
    """The file's columns that are not the text, its title or the label (at most MAX_EXTRA), kept so
    that the map can be coloured and filtered by them."""
    cols = list(raw.columns)
    used = {text_name} if text_name in cols else set(text_name.split(" + "))
    used |= {label_name, title_col}
    other = [c for c in cols if c not in used]
    if len(other) > MAX_EXTRA:
        log.info("keeping the first %d of the file's %d other columns", MAX_EXTRA, len(other))
    return other[:MAX_EXTRA]


# -- sampling ------------------------------------------------------------------------------------------
def sample_size(n: int, fraction: float) -> int:
    """How many rows a fraction keeps (pandas' rule: round(fraction * n), at least 1)."""
    if not (isinstance(fraction, (int, float)) and 0 < fraction <= 1) or math.isnan(fraction):
        raise UserError(f"the sample fraction must be in (0, 1], got {fraction}")
    return max(1, int(round(fraction * n)))


def sample_order(n: int, seed: int) -> np.ndarray:
    """One seeded permutation of ``range(n)``; every sample is a prefix of it, so samples nest."""
    return np.random.RandomState(seed).permutation(n)


def sample(corpus: Corpus, fraction: float, seed: int) -> Corpus:
    """Keep ``fraction`` of the rows: the same rows as ``DataFrame.sample(frac=fraction, random_state=seed)``.

    A smaller fraction's rows are always contained in a larger fraction's with the same seed.
    """
    size = sample_size(len(corpus), fraction)
    rows = sample_order(len(corpus), seed)[:size]
    return replace(corpus, frame=corpus.frame.iloc[rows].reset_index(drop=True))
