"""A view's settings as a link: a URL's query parameters <-> validated settings, and back.

Plain Python (the app's ``pages/_link.py`` reads and writes ``st.query_params`` with it). A link
holds only what can be shared: the data source by name (``demo`` or ``hub``; an upload only by its
file name, so the page can ask for it again; never a file's contents or a server path), the
method's settings (the embedder only when not the default), the page's view (colour-by, focused
cluster, search query), and the project it belongs to by id (``project``: opened on the same
server; elsewhere the other settings apply). Anything unknown or out of range is dropped with a
one-line notice naming the parameter: a link never breaks the app.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any, Callable, Mapping

from core.clustering import cluster_stage
from core.projection import project as projections
from core.session.background import K_RANGE
from core.config import DEFAULT_SOURCE, DEMO_SOURCE, ProjectConfig, RefineConfig, RunConfig
from core.embedding.embedders import DEFAULT_EMBEDDER, EMBEDDERS, embedder_for_model
from core.training.objectives import OBJECTIVES
from core.storage.projects import PROJECT_ID

#: The sidebar's ranges (tests/test_view_link.py checks they match the app's widgets).
FRACTION_RANGE = (0.01, 1.0)
LATENT_RANGE = (2, 128)
HIDDEN_CHOICES = (32, 64, 128, 256, 512)
EPOCHS_RANGE = (1, 500)
SEED_RANGE = (0, 2**31 - 1)
MAX_FOCUS = 10_000
MAX_TEXT = 1_000          # a search query or a colour-by name longer than this is not a link's
UPLOAD_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")
HUB = "hub"
SOURCES = {DEMO_SOURCE: DEMO_SOURCE, HUB: DEFAULT_SOURCE, DEFAULT_SOURCE: DEFAULT_SOURCE}

#: The parameters, in the order a link lists them.
ORDER = ("project", "data", "upload", "fraction", "k", "method", "objective", "hidden", "latent", "epochs", "seed",
         "projection", "embedder", "colour", "focus", "q")


class Bad(ValueError):
    """A parameter's value that cannot be used; the message says what it should be."""


def _int(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise Bad(f"a whole number from {low:,} to {high:,}") from None
        if not low <= value <= high:
            raise Bad(f"a whole number from {low:,} to {high:,}")
        return value
    return parse


def _fraction(raw: str) -> float:
    low, high = FRACTION_RANGE
    try:
        value = float(raw.strip())
    except ValueError:
        raise Bad(f"a number from {low} to {high}") from None
    if math.isnan(value) or not low <= value <= high:
        raise Bad(f"a number from {low} to {high}")
    return round(value, 2)  # the slider's step


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise Bad("one of " + ", ".join(choices))
        return value
    return parse


def _hidden(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value not in HIDDEN_CHOICES:
        raise Bad("one of " + ", ".join(map(str, HIDDEN_CHOICES)))
    return value


def _data(raw: str) -> str:
    value = raw.strip()
    if value.lower() in SOURCES:
        return SOURCES[value.lower()]
    if value in SOURCES:
        return SOURCES[value]
    raise Bad("'demo' or 'hub' (a link never names a file on the server; upload a file instead)")


def _upload(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 255 or "/" in name or "\\" in name or any(ord(c) < 32 for c in name):
        raise Bad("a file name (no folders), e.g. news.csv")
    if PurePosixPath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise Bad("a file name ending in " + ", ".join(UPLOAD_SUFFIXES))
    return name


def _project(raw: str) -> str:
    value = raw.strip().lower()
    if not PROJECT_ID.match(value):
        raise Bad("a project's id (8 to 32 letters a-z and digits, as the Projects page's links have it)")
    return value


def _text(raw: str) -> str:
    if len(raw) > MAX_TEXT:
        raise Bad(f"at most {MAX_TEXT:,} characters")
    if any(ord(c) < 32 and c not in "\t" for c in raw):
        raise Bad("one line of text")
    return raw


PARSERS: dict[str, Callable[[str], Any]] = {
    "project": _project,
    "data": _data,
    "upload": _upload,
    "fraction": _fraction,
    "k": _int(K_RANGE.start, K_RANGE.stop - 1),
    "method": lambda raw: _choice(cluster_stage.method_names())(raw),  # the registry's, now
    "objective": _choice(tuple(OBJECTIVES)),
    "hidden": _hidden,
    "latent": _int(*LATENT_RANGE),
    "epochs": _int(*EPOCHS_RANGE),
    "seed": _int(*SEED_RANGE),
    "projection": lambda raw: _choice(tuple(p.name for p in projections.drawn()))(raw),  # the registry's, now
    "embedder": _choice(tuple(EMBEDDERS)),
    "colour": _text,
    "focus": _int(0, MAX_FOCUS),
    "q": _text,
}


def _last(value: str | list[str] | tuple[str, ...]) -> str:
    """One value per parameter: the last, as ``st.query_params[name]`` reads a repeated one."""
    if isinstance(value, (list, tuple)):
        return str(value[-1]) if value else ""
    return str(value)


def parse(query: Mapping[str, str | list[str]]) -> tuple[dict[str, Any], list[str]]:
    """A URL's query -> (settings by parameter name, notices).

    Each notice is one line naming an ignored parameter and why. Empty values are ignored
    silently (``?q=`` is no query). ``data`` and ``upload`` exclude each other: ``data`` wins.
    """
    settings: dict[str, Any] = {}
    notices: list[str] = []
    for name, value in query.items():
        raw = _last(value)
        if name not in PARSERS:
            notices.append(f"The link's parameter '{_short(name)}' is not a setting of this app; it was ignored.")
            continue
        if raw.strip() == "":
            continue
        try:
            settings[name] = PARSERS[name](raw)
        except Bad as exc:
            notices.append(f"The link's {name}={_short(raw)!r} was ignored: {name} must be {exc}.")
    if "data" in settings and "upload" in settings:
        notices.append(f"The link names both data={_short(query['data'])!r} and an upload; the upload was ignored.")
        del settings["upload"]
    return settings, notices


def _short(text: object, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link_source(source_key: str | None) -> str | None:
    """The ``data`` value that names a source in a link, or None (an upload, a server path: not shareable)."""
    if source_key == DEMO_SOURCE:
        return DEMO_SOURCE
    if source_key == DEFAULT_SOURCE:
        return HUB
    return None


def clustering_key(source_key: str, cfg: RunConfig) -> str:
    """Names the clustering that a link's settings give for the data ``source_key``: a focused
    cluster is tied to it, and a link carries ``focus`` only with it. Every setting counts but the
    map's projection (it moves points, not clusters) and Refine (a link does not carry it: whoever
    opens the link sees the clusters without it)."""
    settings = replace(cfg, project=ProjectConfig(), refine=RefineConfig())
    return hashlib.sha256(f"{source_key}|{settings!r}".encode()).hexdigest()[:20]


def linked_focus(tied: tuple[str | None, int] | None, key: str | None, k: int) -> int | None:
    """The ``focus`` a link may carry: the cluster ``tied`` = (clustering key it was chosen on, its id)
    when that is ``key``, the clustering of the settings in use, and the id is one of its ``k``
    clusters; a link's own focus (key None) while its data are still awaited (``key`` None)."""
    if tied is None:
        return None
    chosen_on, cluster = tied
    if chosen_on != key or not 0 <= cluster < (k if key is not None else MAX_FOCUS + 1):
        return None
    return cluster


def to_query(cfg: RunConfig, *, data: str | None, upload: str | None = None, colour: str | None = None,
             focus: int | None = None, q: str | None = None, project: str | None = None) -> dict[str, str]:
    """Settings -> a query dict (strings, in :data:`ORDER`) that :func:`parse` reads back to the same settings.

    ``data`` is a :func:`link_source` value (None: the link names no data, so the app opens its
    default); ``upload`` an uploaded file's name (only named, never carried); ``project`` the open
    project's id. The embedder is named only when it is not the default (links made before it was a
    setting open as they did)."""
    embedder = embedder_for_model(cfg.embed.model)
    out = {
        "project": project,
        "data": data, "upload": upload if data is None else None,
        "fraction": f"{cfg.data.fraction:g}", "k": str(cfg.cluster.k), "method": cfg.cluster.method,
        "objective": cfg.encoder.objective, "hidden": str(cfg.encoder.hidden), "latent": str(cfg.encoder.latent),
        "epochs": str(cfg.encoder.epochs), "seed": str(cfg.seed), "projection": cfg.project.method,
        "embedder": embedder if embedder != DEFAULT_EMBEDDER else None,
        "colour": colour, "focus": None if focus is None else str(focus), "q": q or None,
    }
    return {name: out[name] for name in ORDER if out[name] is not None}
