"""Projects: a user's analyses kept on disk as they change, reopened later, listed, renamed, copied.

A project is a folder under ``cache_dir()/projects/<id>/``:

- ``project.json``: its name, times, data source, current view and versions (below), and a
  ``revision`` that every write raises;
- ``source.gz``: an uploaded file's bytes (gzip), so that reopening needs no new upload;
- ``labels/<sha>.npy``: cluster-id arrays, immutable and named by their content, written before the
  ``project.json`` that names them.

A **version** is one clustering of the project's data: its settings (every section of the run's
config but the map's, which is a view setting) name it, so a change of k makes a new version and
going back to the earlier settings finds the earlier one with its edits. It holds the clusters as
computed (``base``), the edited clusters (``labels``; none until the user splits or merges), the
user's names and notes by cluster id, and one line per edit.

Every change is one read-modify-write of ``project.json`` under an exclusive lock on the project's
folder, written atomically (a temporary file, fsync, rename): a crash or ``kill -9`` loses at most
the change in flight, and two tabs editing one project each apply their change to the other's last
state (nothing is silently lost; :attr:`Saved.others` tells a tab that another one wrote between
its reads). Plain Python: no Streamlit.
"""
from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from core.storage.atomic import atomic_write_bytes
from core.config import (ClusterConfig, DataConfig, EmbedConfig, EncoderConfig, ProjectConfig, RefineConfig, RunConfig,
                     cache_dir)
from core.errors import UserError

log = logging.getLogger(__name__)

#: The version of ``project.json``'s layout this code writes; a newer one is refused, not misread.
FORMAT = 1
PROJECT_FILE = "project.json"
SOURCE_FILE = "source.gz"
MAX_NAME = 80
MAX_NOTE = 2_000
PROJECT_ID = _ID = re.compile(r"^[a-z0-9]{8,32}$")  # a project's id (its folder's name)


def now() -> str:
    """The current time, as ISO 8601 in UTC to the second (what ``project.json`` stores)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def projects_dir() -> Path:
    return cache_dir() / "projects"


def check_project_name(name: str) -> str:
    """A project's name, stripped; one clear line if it is empty or too long."""
    name = " ".join(str(name).split())
    if not name:
        raise UserError("type a name for the project")
    if len(name) > MAX_NAME:
        raise UserError(f"a project name can have at most {MAX_NAME} characters; this one has {len(name):,}")
    return name


def check_note(note: str) -> str:
    note = str(note).strip()
    if len(note) > MAX_NOTE:
        raise UserError(f"a note can have at most {MAX_NOTE:,} characters; this one has {len(note):,}")
    return note


def version_settings(cfg: RunConfig) -> dict[str, Any]:
    """The settings that name a version: the whole config but the map's projection (a view setting)."""
    settings = cfg.to_dict()
    settings.pop("project", None)
    return settings


def version_id(settings: dict[str, Any]) -> str:
    """A version's id: a short hash of its settings (the same settings always name the same version)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def settings_config(settings: dict[str, Any], map_settings: dict[str, Any] | None = None) -> RunConfig:
    """The RunConfig a version's (or a view's) stored settings describe; ``map_settings``: the map's
    section (a version's settings leave it out), else the stored one or the default. A UserError when
    they cannot be read (a project written by another ClusterLens)."""
    sections = {"data": DataConfig, "embed": EmbedConfig, "encoder": EncoderConfig, "cluster": ClusterConfig,
                "project": ProjectConfig, "refine": RefineConfig}
    given = dict(settings) | ({"project": map_settings} if map_settings is not None else {})
    try:
        built = {name: kind(**dict(given.get(name) or {})) for name, kind in sections.items()}
        data = built["data"]
        if isinstance(data.text_col, list):  # JSON has no tuples
            built["data"] = replace(data, text_col=tuple(data.text_col))
        return RunConfig(**built, seed=int(given.get("seed", RunConfig.seed)))
    except (TypeError, ValueError) as exc:
        raise UserError(f"the project's stored settings cannot be read ({exc})") from None


@dataclass(frozen=True)
class Source:
    """Where a project's texts come from. ``kind``: ``demo``, ``hub``, ``upload`` (its bytes in the
    project's ``source.gz``) or ``path`` (a file on the server); ``key`` names the data for the
    pipeline's caches (for an upload, its content)."""

    kind: str
    name: str
    key: str
    text_col: str | tuple[str, ...] | None = None
    label_col: str | None = None
    sha256: str | None = None  # of an upload's bytes

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        if isinstance(self.text_col, tuple):
            out["text_col"] = list(self.text_col)
        return out

    @staticmethod
    def from_json(doc: dict[str, Any]) -> "Source":
        text_col = doc.get("text_col")
        return Source(kind=str(doc["kind"]), name=str(doc["name"]), key=str(doc["key"]),
                      text_col=tuple(text_col) if isinstance(text_col, list) else text_col,
                      label_col=doc.get("label_col"), sha256=doc.get("sha256"))


@dataclass(frozen=True)
class Version:
    """One clustering of the project's data (see the module's docstring). ``base`` and ``labels`` name
    files under ``labels/``; ``names`` and ``notes`` are keyed by cluster id."""

    id: str
    settings: dict[str, Any]
    created: str
    updated: str
    n: int = 0                                   # texts clustered
    base: str | None = None                      # the clusters as computed
    labels: str | None = None                    # the edited clusters (None: not split or merged)
    names: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    name: str = ""                               # the user's name for it ('' : described by its settings)

    @property
    def edited(self) -> bool:
        return self.labels is not None or bool(self.names) or bool(self.notes)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["names"] = {str(k): v for k, v in self.names.items()}
        out["notes"] = {str(k): v for k, v in self.notes.items()}
        out["history"] = list(self.history)
        return out

    @staticmethod
    def from_json(doc: dict[str, Any]) -> "Version":
        return Version(id=str(doc["id"]), settings=dict(doc["settings"]), created=str(doc["created"]),
                       updated=str(doc.get("updated", doc["created"])), n=int(doc.get("n", 0)),
                       base=doc.get("base"), labels=doc.get("labels"),
                       names={int(k): str(v) for k, v in (doc.get("names") or {}).items()},
                       notes={int(k): str(v) for k, v in (doc.get("notes") or {}).items()},
                       history=tuple(doc.get("history") or ()), name=str(doc.get("name") or ""))


@dataclass(frozen=True)
class Project:
    """A project as ``project.json`` holds it. ``view``: the settings of the screen last shown (the
    current version's id, the map's projection, ...)."""

    id: str
    name: str
    source: Source
    created: str
    opened: str
    updated: str
    revision: int = 0
    versions: tuple[Version, ...] = ()
    view: dict[str, Any] = field(default_factory=dict)

    def version(self, vid: str | None) -> Version | None:
        return next((v for v in self.versions if v.id == vid), None)

    @property
    def current(self) -> Version | None:
        return self.version(self.view.get("version"))

    def with_version(self, version: Version) -> "Project":
        """The project with ``version`` added, or replacing the one with its id."""
        others = tuple(v for v in self.versions if v.id != version.id)
        return replace(self, versions=others + (version,))

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "id": self.id, "name": self.name, "source": self.source.as_json(),
                "created": self.created, "opened": self.opened, "updated": self.updated,
                "revision": self.revision, "view": self.view, "versions": [v.as_json() for v in self.versions]}

    @staticmethod
    def from_json(doc: dict[str, Any]) -> "Project":
        fmt = doc.get("format")
        if not isinstance(fmt, int):
            raise ValueError("no format number")
        if fmt > FORMAT:
            raise UserError(f"this project was saved by a newer ClusterLens (format {fmt}; this one reads up to "
                            f"{FORMAT}); update ClusterLens to open it")
        return Project(id=str(doc["id"]), name=str(doc["name"]), source=Source.from_json(doc["source"]),
                       created=str(doc["created"]), opened=str(doc.get("opened", doc["created"])),
                       updated=str(doc.get("updated", doc["created"])), revision=int(doc.get("revision", 0)),
                       versions=tuple(Version.from_json(v) for v in doc.get("versions") or ()),
                       view=dict(doc.get("view") or {}))


@dataclass(frozen=True)
class Saved:
    """The outcome of a change: the project as written, and whether another writer (a second tab)
    had changed it since the caller's ``revision``."""

    project: Project
    others: bool = False


def default_name(source: Source) -> str:
    """The name the app gives a new project of ``source`` (before ``ProjectStore.unique_name``)."""
    return check_project_name(source.name[:MAX_NAME - 5] or "project")


def untouched(project: Project) -> bool:
    """Whether the user changed nothing in ``project``: no version edited (names, notes, splits,
    merges) or named, and the name the app gave it. Such a project holds nothing that the settings
    in the sidebar would not make again, so the next visit of the same data reuses it
    (``core.session.session``) instead of adding another to the list."""
    if any(v.edited or v.name for v in project.versions):
        return False
    return re.fullmatch(re.escape(default_name(project.source)) + r"( \(\d+\))?", project.name) is not None


class ProjectGone(UserError):
    """The project was deleted (in another tab or window) or never existed."""


class ProjectStore:
    """The projects under one folder. Every method is safe across threads and processes."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else projects_dir()

    # -- paths and locking ---------------------------------------------------------------------------
    def folder(self, pid: str) -> Path:
        if not _ID.match(str(pid)):
            raise ProjectGone(f"there is no project {str(pid)[:40]!r}")
        return self.root / pid

    @contextlib.contextmanager
    def _locked(self, pid: str) -> Iterator[Path]:
        folder = self.folder(pid)
        if not (folder / PROJECT_FILE).is_file():
            raise ProjectGone("this project no longer exists (it was deleted, perhaps in another tab)")
        with open(folder / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield folder
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- reading -------------------------------------------------------------------------------------
    def get(self, pid: str) -> Project:
        """The project ``pid``; :class:`ProjectGone` if there is none, a UserError if it is damaged."""
        path = self.folder(pid) / PROJECT_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ProjectGone("this project no longer exists (it was deleted, perhaps in another tab)") from None
        except OSError as exc:
            raise UserError(f"cannot read the project ({exc.strerror or exc})") from None
        try:
            return Project.from_json(json.loads(raw))
        except UserError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"the project file {path} is damaged ({type(exc).__name__}); "
                            "open or import another project") from None

    def list(self) -> list[Project]:
        """Every readable project, the most recently opened first (damaged ones are skipped with a log line)."""
        out = []
        if not self.root.is_dir():
            return out
        for folder in self.root.iterdir():
            if not (folder / PROJECT_FILE).is_file():
                continue
            try:
                out.append(self.get(folder.name))
            except UserError as exc:
                log.warning("skipping project %s: %s", folder.name, exc)
        return sorted(out, key=lambda p: (p.opened, p.updated), reverse=True)

    def labels(self, pid: str, name: str | None) -> np.ndarray | None:
        """A stored (n,) cluster-id array (read-only), or None for no name."""
        if name is None:
            return None
        path = self.folder(pid) / "labels" / name
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise UserError(f"the project's stored clusters ({name}) are missing or damaged ({type(exc).__name__})") \
                from None
        array.setflags(write=False)
        return array

    def source_bytes(self, pid: str) -> bytes:
        """An upload's bytes as the project keeps them."""
        try:
            return gzip.decompress((self.folder(pid) / SOURCE_FILE).read_bytes())
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise UserError(f"the project's copy of its data file is missing or damaged ({type(exc).__name__}); "
                            "upload the file again") from None

    # -- writing -------------------------------------------------------------------------------------
    def create(self, name: str, source: Source, *, data: bytes | None = None,
               view: dict[str, Any] | None = None) -> Project:
        """A new project (an upload's ``data`` kept with it, gzip-compressed)."""
        pid = secrets.token_hex(6)
        folder = self.root / pid
        folder.mkdir(parents=True, exist_ok=False)
        try:
            if data is not None:
                atomic_write_bytes(folder / SOURCE_FILE, gzip.compress(data, compresslevel=6, mtime=0))
            stamp = now()
            project = Project(pid, check_project_name(name), source, stamp, stamp, stamp, 1, (), dict(view or {}))
            atomic_write_bytes(folder / PROJECT_FILE, _encode(project))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return project

    def put_labels(self, pid: str, labels: np.ndarray) -> str:
        """Write an (n,) cluster-id array once (named by its content) and return its name."""
        array = np.ascontiguousarray(labels, dtype=np.int32)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        data = buffer.getvalue()
        name = hashlib.sha256(data).hexdigest()[:24] + ".npy"
        path = self.folder(pid) / "labels" / name
        if not path.is_file():
            atomic_write_bytes(path, data)
        return name

    def update(self, pid: str, change: Callable[[Project], Project], *, seen: int | None = None,
               touch: bool = True) -> Saved:
        """Apply ``change`` to the project's latest state and write it, under the project's lock.

        ``seen``: the revision the caller last read; ``Saved.others`` is True when another writer
        changed the project since. ``touch``: mark the project updated (a pure view change does not)."""
        with self._locked(pid) as folder:
            current = self.get(pid)
            changed = change(current)
            stamp = now()
            written = replace(changed, revision=current.revision + 1, opened=stamp,
                              updated=stamp if touch else changed.updated)
            atomic_write_bytes(folder / PROJECT_FILE, _encode(written))
        return Saved(written, seen is not None and current.revision != seen)

    def rename(self, pid: str, name: str) -> Project:
        name = check_project_name(name)
        return self.update(pid, lambda p: replace(p, name=name)).project

    def duplicate(self, pid: str, name: str | None = None) -> Project:
        """A copy of the project (its data, versions and edits) under a new id."""
        with self._locked(pid) as folder:
            original = self.get(pid)
            new_id = secrets.token_hex(6)
            target = self.root / new_id
            shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".lock", ".*.tmp"))
        stamp = now()
        copy = replace(original, id=new_id, name=check_project_name(name or _copy_name(original.name)),
                       created=stamp, opened=stamp, updated=stamp, revision=1)
        atomic_write_bytes(target / PROJECT_FILE, _encode(copy))
        return copy

    def delete(self, pid: str) -> None:
        """Remove the project's folder (its lock is taken first, so no write is half done)."""
        with self._locked(pid) as folder:
            trash = folder.with_name(f".deleted-{folder.name}-{int(time.time())}")
            os.replace(folder, trash)  # gone for readers at once; removed below
        shutil.rmtree(trash, ignore_errors=True)

    def unique_name(self, wanted: str) -> str:
        """``wanted``, or ``wanted (2)``, ``(3)`` ... if a project already has that name."""
        wanted = check_project_name(wanted[:MAX_NAME - 5])
        taken = {p.name for p in self.list()}
        if wanted not in taken:
            return wanted
        n = 2
        while f"{wanted} ({n})" in taken:
            n += 1
        return f"{wanted} ({n})"


def _copy_name(name: str) -> str:
    return (name[:MAX_NAME - 7] + " (copy)") if not name.endswith("(copy)") else name


def _encode(project: Project) -> bytes:
    return json.dumps(project.as_json(), indent=1, ensure_ascii=False, sort_keys=False).encode("utf-8")
