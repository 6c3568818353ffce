"""The one door into core for the app and the CLI: a session over a project.

:class:`Workbench` is what every session of a process shares: the stage cache, the embedding store
and the projects of the current cache folder, the model loader. :class:`Session` is one user's work:
a project (``core.storage.projects``), the run for the settings in use, the version those settings name,
and the edits, names and notes of that version, each written to the project as it is made.

The pages read a :class:`core.session.view.View` from :meth:`Session.view`, lay out widgets, and call the
session back (:meth:`Session.rename`, :meth:`Session.merge`, ...); they never build a stage key or
touch a cache. The session keeps the project in memory too: when the disk refuses a write (full,
read-only) or the project was deleted elsewhere, the work goes on in memory and :attr:`Session.problem`
says what could not be saved. Plain Python: no Streamlit.

Parts of the door live beside it and are reached through it: ``session_data`` (uploads, the sample, the
limits and k's range: a Workbench's), ``session_refine`` (a session's Refine jobs), ``session_compare``
(versions side by side), ``session_turn`` (one heavy job per session) and ``session_app`` (the app's
script: each run's setting, sources given by name).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import uuid
import weakref
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.session import background
from core.clustering.assign import Assigned, ClusterModel, text_columns, texts_of, with_assignments
from core.embedding.backends import backend_for
from core.storage.cache import DiskCache, MemoryCache, StageCache
from core.clustering.cluster_stage import ClusterStage, baseline_key, baseline_stage
from core.config import RunConfig, cache_dir
from core.tables.data import clean_text
from core.naming.describe import ClusterSummary, Terms
from core.clustering.edits import accept_split, check_name, describe_parts, edited_stage, merge, split
from core.embedding.embed import default_results, default_store, embed_texts, get_embedder
from core.embedding.embed_file import read_embeddings
from core.errors import UserError
from core.embedding.kept_vectors import KEPT_FILE, KeptVectors
from core.plots.map_points import drawn_rows, hover_titles
from core.session.provisional import FirstLook, first_look
from core.clustering.k_choice import Suggestion, k_max, quick_suggestion
from core.tables.column_groups import EXTRA, extra_columns
from core.clustering.hierarchy import Tree, build, inner_groups, link
from core.clustering.timeline import TimeChart, parse_dates, timeline
from core.clustering.hierarchy import centres as cluster_centres
from core.naming.naming import PhraseEmbedder, group_keywords, phrases_stage
from core.pipeline import Embedded, EmbeddedHook, EmbedderLoader, RunResult, StageProgress, read_stage, run
from core.storage.projects import (Project, ProjectGone, ProjectStore, Source, Version, check_note, now, version_id,
                       version_settings)
from core.storage.results import array_key, stage_key
from core.storage.store import EmbeddingStore
from core.session.view import DataSource, View
from core.storage.projects import check_project_name, settings_config, untouched  # the Projects and Compare pages
from core.storage.project_list import ProjectRow, project_row
from core.session.session_app import app_run, hub_path, named_source  # noqa: F401  the app's script and sidebar
from core.session.session_data import DataInputs
from core.session.session_compare import compare_views, moved_between, version_titles
from core.session.full_model import FullModel
from core.session.session_refine import Refine
from core.naming.search import Hits, find
from core.session.session_turn import Turn, holding  # noqa: F401  handed out: a session's turn for its heavy work (pages hold it)

log = logging.getLogger(__name__)
#: Every live Session of this process: a project one of them has open is not another visit's to reuse.
_SESSIONS: "weakref.WeakSet[Session]" = weakref.WeakSet()
_SESSIONS_LOCK = threading.Lock()

#: Stage results every session shares, by stage: how many of each are kept in memory.
MEMORY_SIZES = {"upload": 4, "read": 4, "sample": 8, "terms": 8, "embed": 4, "train": 8, "cluster": 64,
                "baseline": 48, "project": 8, "edited": 32, "labels": 64, "tree": 16}
#: Bumped whenever the tree or its names change for the same partition (``Workbench.tree``).
HIERARCHY_RECIPE = 1


class _FolderDisk:
    """The disk cache under the cache folder as it is now (tests point it elsewhere per test): one
    ``ResultCache`` per folder, so its warn-once state holds across runs."""

    def __init__(self) -> None:
        self.by_folder: dict[str, DiskCache] = {}
        self.lock = threading.Lock()

    def fetch(self, stage: str, key: str, compute: Callable[[], Any], codec=None) -> Any:
        folder = str(cache_dir())
        with self.lock:
            disk = self.by_folder.get(folder) or self.by_folder.setdefault(folder, DiskCache(default_results()))
        return disk.fetch(stage, key, compute, codec)


class Workbench(DataInputs):
    """What every session of one process shares. ``load_embedder(model, backend)`` gives the shared
    model (the app hands in its server-wide one); ``precompute``: cluster every k of the slider in the
    background after a run (``core.session.background``)."""

    def __init__(self, cache: StageCache | None = None, *, load_embedder: EmbedderLoader | None = None,
                 precompute: bool = True, background_loader: EmbedderLoader | None = None) -> None:
        self.cache = cache or self.new_cache()
        self.load_embedder = load_embedder or get_embedder
        #: loads models in a background job's thread (the app's shared loader may serve its sessions only)
        self.background_loader = background_loader or get_embedder
        self.precompute = precompute
        self._lock = threading.Lock()
        self._stores: dict[str, EmbeddingStore] = {}

    @staticmethod
    def new_cache() -> StageCache:
        """A stage cache as a workbench makes by default: memory (``MEMORY_SIZES``) over the disk cache
        of the cache folder in use (an app keeps one for all its sessions)."""
        return MemoryCache(MEMORY_SIZES, _FolderDisk())

    def store(self) -> EmbeddingStore:
        """The embedding store of the current cache folder, opened once (its warn-once state holds)."""
        folder = str(cache_dir())
        with self._lock:
            if folder not in self._stores:
                self._stores[folder] = default_store()
            return self._stores[folder]

    def projects(self) -> ProjectStore:
        """The projects of the current cache folder."""
        return ProjectStore()

    def embedder(self, model: str, backend: str):
        return self.load_embedder(model, backend)

    def first_look(self, so_far: Embedded) -> tuple[FirstLook, np.ndarray, list[str]]:
        """The provisional map of a run whose encoder trains (``core.session.provisional``): the look, the (m,)
        rows drawn and their hover titles."""
        look = first_look(so_far, self.cache)
        rows = drawn_rows(look.labels, so_far.config.seed)
        return look, rows, hover_titles(so_far.corpus.frame["title"].to_numpy()[rows])

    # -- the run -------------------------------------------------------------------------------------
    def run(self, source: DataSource, cfg: RunConfig, *, progress: StageProgress | None = None,
            on_embedded: EmbeddedHook | None = None, cache: StageCache | None = None) -> RunResult:
        """The pipeline for ``cfg`` on ``source`` through the shared caches (the raw-embedding baseline
        is left to :meth:`baseline`, which the cards fill in when it is ready); ``cache``: another
        cache over them (an export notes what the run reads)."""
        return run(cfg, **self.run_inputs(source, cfg, progress=progress, on_embedded=on_embedded, cache=cache))

    def run_inputs(self, source: DataSource, cfg: RunConfig, *, progress: StageProgress | None = None,
                   on_embedded: EmbeddedHook | None = None, cache: StageCache | None = None) -> dict[str, Any]:
        """The keyword arguments of ``core.pipeline.run`` for :meth:`run`: the data, the caches, where the
        vectors come from."""
        # an imported project's own vectors never pass through the store (core.embedding.kept_vectors); they serve
        # only runs of the model that made them (another embedder embeds the texts itself)
        kept = source.kept if source.embeddings is None and kept_serves(source, cfg) else None
        return dict(source=source.value, key=source.key, cache=cache or self.cache, embedder=source.embeddings or kept,
                    load_embedder=self.load_embedder, store=None if kept is not None else self.store(),
                    progress=progress, baseline=False, on_embedded=on_embedded)

    def baseline(self, result: RunResult) -> ClusterStage:
        """K-Means on the raw embeddings with this k and seed: the cards' yardstick."""
        cfg = result.config
        return baseline_stage(_base_key(result), result.keys["sample"], result.base_vectors, result.corpus.labels,
                              cfg.cluster, cfg.seed, self.cache)[1]

    def baseline_if_ready(self, result: RunResult) -> ClusterStage | None:
        cfg = result.config
        peek = getattr(self.cache, "peek", None)
        if peek is None:
            return None
        return peek("baseline", baseline_key(_base_key(result), result.keys["sample"], cfg.cluster, cfg.seed,
                                             len(result.corpus.texts)))

    def k_sweep(self, result: RunResult, ks=range(2, 13)) -> dict[str, list]:
        return background.k_sweep(result.keys, result.latent, result.embeddings.vectors, result.corpus.texts,
                                  result.corpus.labels, result.terms, result.config, self.cache, ks=ks,
                                  base=result.base_vectors)

    def k_sweep_steps(self, result: RunResult, ks):
        """(k, scores) for each k of ``ks``, one clustering at a time (``core.session.background.k_sweep_steps``)."""
        return background.k_sweep_steps(result.keys, result.latent, result.embeddings.vectors, result.corpus.texts,
                                        result.corpus.labels, result.terms, result.config, self.cache, ks,
                                        result.base_vectors)

    def k_suggestion(self, result: RunResult) -> Suggestion:
        """A k for this run's data (``core.clustering.k_choice.quick_suggestion`` on the base model's vectors), once
        per sample and embeddings."""
        key = stage_key("suggest k", _base_key(result), result.keys["sample"], result.config.seed)
        return self.cache.fetch("suggest_k", key, lambda: quick_suggestion(
            result.base_vectors, result.config.seed, k_max(len(result.corpus))))

    def start_precompute(self, result: RunResult) -> None:
        """Every other k of the slider, clustered ahead of the user (see ``core.session.background``)."""
        if self.precompute:
            background.precompute_ks(result.keys, result.latent, result.embeddings.vectors, result.corpus.texts,
                                     result.corpus.labels, result.terms, result.config, self.cache,
                                     result.base_vectors)

    def phrase_embedder(self, result: RunResult, source: DataSource) -> PhraseEmbedder | None:
        """Embeds candidate phrases for names with the model the texts were embedded with (through the
        store); None for a file of vectors, which cannot embed new text."""
        if source.embeddings is not None:
            return None
        cfg = result.config.embed
        backend = backend_for(cfg.backend, len(result.corpus))
        model = self.load_embedder(cfg.model, backend)
        batch = 1 if backend != cfg.backend else cfg.batch_size  # as the embed stage chose
        store = self.store()
        return lambda phrases: embed_texts(phrases, model, store=store, batch_size=batch).vectors

    def phrases(self, result: RunResult) -> Terms:
        return phrases_stage(result.keys["sample"], result.corpus.texts, self.cache)

    def kept_vectors(self, projects: ProjectStore, pid: str) -> KeptVectors | None:
        """An imported project's own vectors as the embedder of its runs (read once per file), or None."""
        path = projects.folder(pid) / KEPT_FILE
        try:
            stat = path.stat()
        except OSError:
            return None
        key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
        return self.cache.fetch("kept", key, lambda: KeptVectors(read_embeddings(str(path)),
                                                                 load=self.load_embedder, store=self.store()))

    def labels(self, projects: ProjectStore, pid: str, name: str) -> np.ndarray:
        """A project's stored cluster ids, read once (their file is named by its content)."""
        return self.cache.fetch("labels", f"{pid}/{name}", lambda: projects.labels(pid, name))

    def edited(self, result: RunResult, source: DataSource, labels: np.ndarray) -> ClusterStage:
        """The clusters ``labels`` (n,) of this run, described and scored as the pipeline's are."""
        key = stage_key("edited", result.keys["cluster"], array_key(np.asarray(labels, dtype=np.int64)))
        cfg = result.config
        return self.cache.fetch("edited", key, lambda: edited_stage(
            result.latent, result.embeddings.vectors, np.asarray(labels, dtype=np.int64), result.corpus.labels,
            self.phrases(result), self.phrase_embedder(result, source), cfg.cluster, cfg.seed))

    def tree(self, result: RunResult, source: DataSource, labels: np.ndarray, ids: list[int], sizes: list[int],
             leaf_names: dict[int, str], *, named: bool = True) -> Tree:
        """The clusters ``ids`` of the (n,) ``labels`` joined into a tree (``core.clustering.hierarchy``: a linkage of
        200 centres takes milliseconds), its inner nodes named by ``core.naming.naming.group_keywords`` (once per
        partition: it embeds candidate phrases) unless not ``named`` (the map's colours need no names)."""
        labels = np.asarray(labels, dtype=np.int64)
        X = result.embeddings.vectors
        key = stage_key("tree", HIERARCHY_RECIPE, result.keys["cluster"], result.keys["embed"], array_key(labels))
        Z = self.cache.fetch("linkage", key, lambda: link(cluster_centres(X, labels, ids)))  # the map's every run
        groups = inner_groups(ids, Z)
        if not named or not groups:
            return build(ids, sizes, Z, leaf_names, [])

        def compute() -> list[list[str]]:
            code = {int(c): i for i, c in enumerate(ids)}
            codes = np.array([code[int(c)] for c in labels], dtype=np.int64)
            # phrases are ranked in the space the phrase embedder embeds in: the base model's (as the clusters'
            # own names are), not Refine's
            return group_keywords(self.phrases(result), codes, len(ids), result.base_vectors,
                                  self.phrase_embedder(result, source), [np.array([code[c] for c in g]) for g in groups])

        return build(ids, sizes, Z, leaf_names, self.cache.fetch("tree", key, compute))


def kept_serves(source: DataSource, cfg: RunConfig) -> bool:
    """Whether ``source``'s kept vectors (an imported project's) are the vectors ``cfg`` asks for: the
    same model's, so a run with another embedder never clusters them under its name."""
    return source.kept is not None and source.kept.name.strip().lower() == cfg.embed.model.strip().lower()


def _base_key(result: RunResult) -> str:
    """The base model's embed key (the baseline's parent; the same as ``embed`` unless refined)."""
    return result.keys.get("base_embed", result.keys["embed"])


@dataclass(frozen=True)
class SplitPreview:
    """A split shown but not yet accepted: ``parts`` (m,) part ids of ``cluster``'s texts, in row order."""

    version: str
    cluster: int
    parts: np.ndarray
    summaries: list[ClusterSummary]  # per part; ``examples`` index the cluster's rows


def project_source(source: DataSource) -> Source:
    return Source(kind=source.kind, name=source.label, key=source.key, text_col=source.text_col,
                  label_col=source.label_col,
                  sha256=hashlib.sha256(source.data).hexdigest() if source.data is not None else None)


class Session:
    """One user's door into core: a project and the view of the settings in use.

    ``project`` is the project as last read or written (None until a view was made or a project
    opened); ``problem`` says why the last change could not be saved (it is kept in memory meanwhile);
    ``notices`` are one-line messages for the user, taken by :meth:`take_notices`."""

    def __init__(self, bench: Workbench) -> None:
        self.bench = bench
        self.project: Project | None = None
        self.problem: str | None = None
        self.notices: list[str] = []
        self._mine: set[int] = set()  # revisions this session wrote
        self._memory_only = False
        self._upload_bytes: bytes | None = None  # the upload of a project kept in memory only
        self.last: View | None = None  # the view made last
        self.id = uuid.uuid4().hex  # this session's name among a shared job's holders
        with _SESSIONS_LOCK:
            _SESSIONS.add(self)

    @property
    def refine(self) -> Refine:
        """This session's Refine jobs: start, status, cancel, the scores before (``core.session.session_refine``)."""
        return Refine(self.bench, self.id)

    @property
    def full_model(self) -> FullModel:
        """This session's side of the full model's background runs over big corpora (a static first look
        until they are done: ``core.session.full_model``)."""
        return FullModel(self.bench, self.id)

    # -- projects ------------------------------------------------------------------------------------
    @property
    def store(self) -> ProjectStore:
        return self.bench.projects()

    def open(self, pid: str) -> Project:
        """Make ``pid`` this session's project (raises ProjectGone or a UserError for a damaged one)."""
        project = self.store.get(pid)
        self.project, self.problem, self._memory_only = project, None, False
        self._mine = set()
        self._save(lambda p: p, touch=False)  # its "last opened" time
        return self.project

    def close(self) -> None:
        """Leave the project (the next view makes or opens another)."""
        self.project, self.problem, self._memory_only = None, None, False

    def source_of(self, project: Project) -> DataSource:
        """The project's data as a source the pipeline reads (an upload from the project's own copy)."""
        src = project.source
        if src.kind == "upload":
            data = self.store.source_bytes(project.id)
            _, table = self.bench.upload_table(data, src.name)
            named = table.copy(deep=False)
            named.attrs["name"] = src.name
            return DataSource(src.key, named, src.name, src.text_col, src.label_col, n_rows=len(table),
                              kind="upload", data=data, kept=self._kept(project))
        return DataSource(src.key, src.key if src.kind != "path" else src.name, src.name, src.text_col,
                          src.label_col, is_demo=src.kind == "demo", kind=src.kind, kept=self._kept(project))

    def _kept(self, project: Project) -> KeptVectors | None:
        try:
            return self.bench.kept_vectors(self.store, project.id)
        except ProjectGone:  # a project kept in memory only has no folder
            return None
        except UserError as exc:  # its texts are embedded again instead
            self.notices.append(f"The project's own vectors could not be read ({exc}); its texts are embedded again.")
            return None

    def _ensure_project(self, source: DataSource, cfg: RunConfig) -> Project:
        """This session's project for ``source``: the open one if it holds this data, else a new one."""
        if self.project is not None and self.project.source.key == source.key:
            return self.project
        if self._reuse_untouched(source) is not None:
            return self.project
        view = {"settings": cfg.to_dict()}
        try:
            store = self.store
            project = store.create(store.unique_name(source.label), project_source(source), data=source.data,
                                   view=view)
            self._memory_only, self.problem = False, None
        except OSError as exc:
            stamp = now()
            project = Project("unsaved" + hashlib.sha256(source.key.encode()).hexdigest()[:10], source.label,
                              project_source(source), stamp, stamp, stamp, 0, (), view)
            self._cannot_save(exc)
            self._memory_only = True
        self.project, self._mine = project, {project.revision}
        return project

    def _cannot_save(self, exc: BaseException) -> None:
        reason = getattr(exc, "strerror", None) or str(exc)
        self.problem = (f"The project could not be saved ({reason}); the app keeps working and your changes "
                        "are kept for this session only.")
        log.warning("project not saved: %s", reason)

    def _save(self, change: Callable[[Project], Project], *, touch: bool = True) -> Project:
        """Apply ``change`` to the project and write it; kept in memory when it cannot be written."""
        assert self.project is not None
        if self._memory_only:
            self.project = change(self.project)
            return self.project
        try:
            saved = self.store.update(self.project.id, change, seen=self.project.revision, touch=touch)
        except ProjectGone:
            self.project = change(self.project)
            self._memory_only = True
            self.problem = ("This project was deleted (perhaps in another tab): your changes are kept for this "
                            "session only. Save them as a new project on the Projects page.")
            return self.project
        except OSError as exc:
            self.project = change(self.project)
            self._cannot_save(exc)
            self._memory_only = True  # until the user saves again (see save_again)
            return self.project
        if saved.others:
            self.notices.append("This project was also changed in another tab or window; your change was added to "
                                "its latest state.")
        self.project, self.problem = saved.project, None
        self._mine.add(saved.project.revision)
        return self.project

    def _refresh(self) -> None:
        """Take the project's latest state from disk when another tab changed it (with a notice)."""
        if self.project is None or self._memory_only:
            return
        try:
            latest = self.store.get(self.project.id)
        except ProjectGone:
            self._memory_only = True
            self.problem = ("This project was deleted (perhaps in another tab): what you do now is kept for this "
                            "session only. Save it as a new project on the Projects page.")
            return
        except (UserError, OSError) as exc:
            log.warning("cannot re-read project %s: %s", self.project.id, exc)
            return
        if latest.revision != self.project.revision and latest.revision not in self._mine:
            self.notices.append("This project was changed in another tab or window; it shows the latest state.")
        self.project = latest

    def save_as_new(self, name: str | None = None) -> Project:
        """Write the in-memory project (one that could not be saved) as a new project."""
        if self.project is None:
            raise UserError("there is no project to save yet")
        memory = self.project
        store = self.store
        data = None
        if memory.source.kind == "upload":
            try:
                data = store.source_bytes(memory.id)
            except UserError:
                data = self._upload_bytes
        created = store.create(store.unique_name(name or memory.name), memory.source, data=data, view=memory.view)

        def moved(label_name: str | None) -> str | None:
            if label_name is None:
                return None
            return store.put_labels(created.id, self.bench.labels(store, memory.id, label_name))

        versions = tuple(replace(v, base=moved(v.base), labels=moved(v.labels)) for v in memory.versions)
        self.project, self._memory_only, self.problem = created, False, None
        self._mine = {created.revision}
        return self._save(lambda p: replace(p, versions=versions))

    def save_again(self) -> Project:
        """Write the session's copy of the project over the saved one (after a failed save, once the
        disk takes writes again); a UserError or OSError if it still cannot."""
        if self.project is None:
            raise UserError("there is no project to save yet")
        memory = self.project
        saved = self.store.update(memory.id, lambda p: replace(memory, revision=p.revision))
        self.project, self._memory_only, self.problem = saved.project, False, None
        self._mine.add(saved.project.revision)
        return self.project

    def take_notices(self) -> list[str]:
        out, self.notices = self.notices, []
        return out

    # -- the Projects page ---------------------------------------------------------------------------
    def projects(self) -> list[Project]:
        """Every project of this cache folder, the most recently opened first."""
        return self.store.list()

    def _reuse_untouched(self, source: DataSource) -> Project | None:
        """Open an untouched project of ``source``'s data that no other live session has open (see
        ``core.storage.projects.untouched``): a visit that changes nothing adds no project to the list."""
        with _SESSIONS_LOCK:
            held = {s.project.id for s in _SESSIONS if s is not self and s.project is not None}
        try:
            candidates = [p for p in self.store.list() if p.source.key == source.key and p.id not in held
                          and untouched(p)]
        except OSError as exc:
            log.warning("cannot list the projects: %s", exc)
            return None
        for project in candidates:
            try:
                return self.open(project.id)
            except UserError:  # deleted or damaged meanwhile
                self.project = None
        return None

    def project_rows(self) -> list[ProjectRow]:
        """:meth:`projects` as the Projects page lists them (name, data, versions, when opened)."""
        return [project_row(p) for p in self.projects()]

    @staticmethod
    def project_file_name(project: Project | None = None) -> str:
        """The file name :meth:`export_project` writes for ``project`` (None: its suffix only)."""
        from core.storage.project_file import SUFFIX, file_name

        return SUFFIX if project is None else file_name(project)

    def rename_project(self, pid: str, name: str) -> Project:
        """Give project ``pid`` a new name (a UserError for a bad one changes nothing)."""
        project = self.store.rename(pid, check_project_name(name))
        if self.project is not None and self.project.id == pid and not self._memory_only:
            self.project = project
            self._mine.add(project.revision)
        return project

    def duplicate_project(self, pid: str) -> Project:
        """A copy of project ``pid`` (its data, versions and edits) under a new id, named "... (copy)"."""
        original = self.store.get(pid)
        return self.store.duplicate(pid, self.store.unique_name(original.name + " (copy)"))

    def delete_project(self, pid: str) -> None:
        """Delete project ``pid`` for good; this session leaves it first when it is the open one."""
        if self.project is not None and self.project.id == pid:
            self.close()
        self.store.delete(pid)

    @property
    def project_gone(self) -> bool:
        """Whether the open project was deleted (another tab): only "save as a new project" can keep it."""
        if self.project is None or not self._memory_only:
            return False
        try:
            self.store.get(self.project.id)
        except ProjectGone:
            return True
        except (UserError, OSError):
            return False
        return False

    # -- versions (the Compare page) -------------------------------------------------------------------
    def name_version(self, vid: str, name: str) -> Version:
        """Give the project's version ``vid`` a name ('' : described by its settings again)."""
        name = " ".join(str(name).split())
        name = check_project_name(name) if name else ""
        version = self._version(vid)
        self._save(lambda p: p.with_version(replace(p.version(vid) or version, name=name)))
        return self._version(vid)

    def snapshot(self, vid: str, name: str) -> Version:
        """Keep version ``vid`` as it is now (its clusters, names and notes) as a named copy: later
        edits go on in ``vid``, and Compare can show the copy against it ("before and after")."""
        name = check_project_name(name)
        version = self._version(vid)
        stamp = now()
        copy = replace(version, id=f"{vid[:16]}-{secrets.token_hex(4)}", name=name, created=stamp, updated=stamp)
        self._save(lambda p: p.with_version(copy))
        return copy

    def _version(self, vid: str) -> Version:
        version = self.project.version(vid) if self.project is not None else None
        if version is None:
            raise UserError("there is no such version in this project; pick one from the list")
        return version

    def version_view(self, source: DataSource, vid: str, *, edited: bool = True,
                     progress: StageProgress | None = None) -> View:
        """The view of the project's version ``vid``, as edited or as computed (without its edits,
        names and notes), made without changing the project's current view. Its run comes from the
        caches where they hold it, else it is computed again (with ``progress``)."""
        version = self._version(vid)
        if version.settings.get("data", {}).get("source") != source.key:
            raise UserError("this version is of other data than the project's; open its project first")
        vectors = version.settings.get("vectors")
        if vectors is not None and (source.embeddings is None or source.embeddings.cache_key != vectors):
            raise UserError("this version was made with an uploaded embeddings file: add that file under "
                            "Embeddings in the sidebar to compare it")
        shown = (self.project.view.get("settings") or {}).get("project") if self.project else None
        cfg = settings_config({k: v for k, v in version.settings.items() if k != "vectors"}, shown)
        result = self.bench.run(source, cfg, progress=progress)
        if not edited:
            version = replace(version, labels=None, names={}, notes={})
        return self._view_of(source, result, version)

    def version_titles(self) -> dict[str, str]:
        """{version id: its title} of the project's versions, oldest first (the one shown now marked)."""
        return version_titles(self.project)

    compare = staticmethod(compare_views)  # (view a, view b, title a, title b) -> core.clustering.compare.Comparison
    moved_texts = staticmethod(moved_between)  # (comparison, view a, view b, query) -> the texts that moved

    @staticmethod
    def project_settings(project: Project) -> RunConfig:
        """The settings of ``project``'s last view (a UserError for another ClusterLens's)."""
        return settings_config(project.view.get("settings") or {})

    # -- the view ------------------------------------------------------------------------------------
    def view(self, source: DataSource, cfg: RunConfig, *, progress: StageProgress | None = None,
             on_embedded: EmbeddedHook | None = None, requested: RunConfig | None = None) -> View:
        """The view for ``cfg`` on ``source``: the run (from the caches where they hold it), in the
        project's version for these settings (made now if new: its clusters as computed are stored),
        with that version's edits, names and notes. ``requested``: the settings the user asked for when
        ``cfg`` stands in for them for now (a static first look, ``core.session.full_model``); the
        project remembers those, so that it reopens on them."""
        # the pipeline itself, called here: the route from a setting to its stage is the door and the pipeline
        result = run(cfg, **self.bench.run_inputs(source, cfg, progress=progress, on_embedded=on_embedded))
        self.bench.start_precompute(result)
        self._upload_bytes = source.data
        self._refresh()
        project = self._ensure_project(source, cfg)
        vid = version_id(self._settings(source, cfg))
        version = project.version(vid)
        if version is None:
            version = self._new_version(vid, cfg, result, source)
        settings = (requested or cfg).to_dict()
        if project.view.get("version") != vid or project.view.get("settings") != settings:
            self._save(lambda p: replace(p, view=p.view | {"version": vid, "settings": settings}), touch=False)
        version = self.project.version(vid) or version
        self.last = self._view_of(source, result, version)
        return self.last

    @staticmethod
    def _settings(source: DataSource, cfg: RunConfig) -> dict[str, Any]:
        """What names a version: the settings, and where the vectors came from (a file of them, or the model)."""
        vectors = {"vectors": source.embeddings.cache_key} if source.embeddings is not None else {}
        return version_settings(cfg) | vectors

    def _new_version(self, vid: str, cfg: RunConfig, result: RunResult, source: DataSource) -> Version:
        labels = result.clusters.clustering.labels
        stamp = now()
        version = Version(vid, self._settings(source, cfg), stamp, stamp, n=len(labels))
        if not self._memory_only:
            try:
                version = replace(version, base=self.store.put_labels(self.project.id, labels))
            except (OSError, ProjectGone) as exc:
                self._cannot_save(exc)
        if version.base is None:  # kept in memory with the session
            version = replace(version, base="memory:" + array_key(labels))
            self.bench.cache.fetch("labels", f"{self.project.id}/{version.base}", lambda: labels)
        self._save(lambda p: p.with_version(version))
        return version

    def _labels(self, name: str) -> np.ndarray:
        assert self.project is not None
        return self.bench.labels(self.store, self.project.id, name)

    def _view_of(self, source: DataSource, result: RunResult, version: Version) -> View:
        stage = result.clusters
        try:
            base = self._labels(version.base) if version.base else None
            if base is not None and (len(base) != len(stage.clustering.labels)):
                raise UserError("the stored clusters do not match the texts")
            if version.labels is not None:
                stage = self.bench.edited(result, source, self._labels(version.labels))
            elif base is not None and not np.array_equal(base, stage.clustering.labels):
                stage = self.bench.edited(result, source, base)  # the version as it was first computed
        except UserError as exc:
            self.notices.append(f"{exc}; the clusters are shown as computed now.")
        ids = {s.cluster for s in stage.summaries}
        return View(source, result, stage, version,
                    user_names={c: n for c, n in version.names.items() if c in ids},
                    notes={c: n for c, n in version.notes.items() if c in ids},
                    baseline_of=lambda: self.bench.baseline(result),
                    baseline_ready=lambda: self.bench.baseline_if_ready(result))

    # -- edits ---------------------------------------------------------------------------------------
    def _edit(self, view: View, change: Callable[[Version], Version]) -> None:
        """Apply ``change`` to the version ``view`` shows, in the project's latest state."""
        if view.version is None or self.project is None:
            raise UserError("there is nothing to edit yet")
        vid = view.version.id

        def apply(project: Project) -> Project:
            current = project.version(vid) or view.version
            return project.with_version(replace(change(current), updated=now()))

        self._save(apply)

    def _store_labels(self, labels: np.ndarray) -> str:
        assert self.project is not None
        if not self._memory_only:
            try:
                return self.store.put_labels(self.project.id, labels)
            except (OSError, ProjectGone) as exc:
                self._cannot_save(exc)
                self._memory_only = True
        name = "memory:" + array_key(np.asarray(labels, dtype=np.int64))
        self.bench.cache.fetch("labels", f"{self.project.id}/{name}", lambda: labels)
        return name

    def rename(self, view: View, cluster: int, name: str) -> str:
        """Give ``cluster`` a name; returns it (cleaned). A UserError for a bad name or cluster changes nothing."""
        if cluster not in view.ids:
            raise UserError(f"there is no cluster {cluster}")
        name = check_name(name)
        self._edit(view, lambda v: replace(v, names=v.names | {int(cluster): name},
                                           history=v.history + (f"renamed cluster {cluster} to '{name}'",)))
        return name

    def note(self, view: View, cluster: int, text: str) -> None:
        """Keep a free-text note on ``cluster`` (an empty text removes it)."""
        if cluster not in view.ids:
            raise UserError(f"there is no cluster {cluster}")
        text = check_note(text)

        def change(v: Version) -> Version:
            notes = {c: n for c, n in v.notes.items() if c != cluster}
            return replace(v, notes=notes | ({int(cluster): text} if text else {}))

        self._edit(view, change)

    def split_preview(self, view: View, cluster: int, parts: int) -> SplitPreview:
        """``cluster`` split into ``parts`` (K-Means on its texts' embeddings), described, not applied."""
        sub = split(view.embedded.vectors, view.labels, view.corpus.texts, cluster, parts, seed=view.cfg.seed)
        rows = np.flatnonzero(view.labels == cluster)
        phrases = self.bench.phrases(view.result)
        within = Terms(phrases.counts[rows], phrases.words)
        summaries = describe_parts(view.latent[rows], view.embedded.vectors[rows], sub, within,
                                   self.bench.phrase_embedder(view.result, view.source))
        return SplitPreview(view.version.id if view.version else "", cluster, sub, summaries)

    def accept_split(self, view: View, preview: SplitPreview) -> str:
        """Apply a previewed split: part 1 keeps the cluster's id, the others take new ids."""
        labels = accept_split(view.labels, preview.cluster, preview.parts)
        name = self._store_labels(labels)
        what = f"split cluster {preview.cluster} into {len(preview.summaries)} parts"
        self._edit(view, lambda v: replace(v, labels=name, history=v.history + (what,)))
        return what

    def merge(self, view: View, clusters: list[int]) -> str:
        """Merge ``clusters`` into the smallest of their ids (the others' names and notes go with them)."""
        labels, target = merge(view.labels, clusters)
        gone = {int(c) for c in clusters} - {target}
        name = self._store_labels(labels)
        what = "merged clusters " + ", ".join(map(str, sorted({int(c) for c in clusters})))

        def change(v: Version) -> Version:
            return replace(v, labels=name, names={c: n for c, n in v.names.items() if c not in gone},
                           notes={c: n for c, n in v.notes.items() if c not in gone}, history=v.history + (what,))

        self._edit(view, change)
        return what

    def undo_edits(self, view: View) -> None:
        """Back to the clusters as computed, without names or notes."""
        self._edit(view, lambda v: replace(v, labels=None, names={}, notes={},
                                           history=v.history + ("undid all edits",)))

    # -- around the view -----------------------------------------------------------------------------
    def dates(self, view: View) -> dict[str, pd.Series]:
        """{column: (n,) timestamps} of the file's other columns that are dates (``core.clustering.timeline``), read
        once per sample."""
        frame = view.corpus.frame

        def compute() -> dict[str, pd.Series]:
            found = {name: parse_dates(frame[EXTRA + name]) for name in extra_columns(frame)}
            return {name: dates.reset_index(drop=True) for name, dates in found.items() if dates is not None}

        return self.bench.cache.fetch("dates", stage_key("dates", view.keys["sample"]), compute)

    def hierarchy(self, view: View, *, named: bool = True) -> Tree:
        """The clusters ``view`` shows (after edits) joined into a tree (``core.clustering.hierarchy``), its groups
        named unless not ``named``."""
        return self.bench.tree(view.result, view.source, view.labels, view.ids, [s.size for s in view.summaries],
                               view.names(), named=named)

    def k_sweep(self, view: View, ks=range(2, 13)) -> dict[str, list]:
        return self.bench.k_sweep(view.result, ks)

    def k_sweep_steps(self, view: View, ks):
        """The sweep one k at a time: (k, scores) as each clustering is done or read from the cache."""
        return self.bench.k_sweep_steps(view.result, ks)

    def k_suggestion(self, view: View) -> Suggestion:
        """A k for the view's data and why (where a new data source starts)."""
        return self.bench.k_suggestion(view.result)

    def search_embedder(self, view: View):
        """The model that embeds a search query: the one the texts were embedded with, on the backend the
        embed stage chose for this sample (``backend_for``: ``auto`` on a small sample is torch, not the
        ONNX export a query would otherwise wait for), loaded once."""
        cfg = view.cfg.embed
        return self.bench.embedder(cfg.model, backend_for(cfg.backend, len(view.corpus)))

    # -- new texts and sharing -----------------------------------------------------------------------
    def cluster_model(self, view: View) -> ClusterModel:
        """The clusters ``view`` shows (after edits, with the user's names) as a model that assigns new
        texts (``core.clustering.assign``), made once per clustering, names and map."""
        if view.source.embeddings is not None:
            raise UserError("these clusters were made from an uploaded embeddings file, which cannot embed new "
                            "texts; run them from the texts (without the embeddings file) to add texts")
        cfg = view.cfg.embed
        embedder = self.bench.embedder(cfg.model, backend_for(cfg.backend, len(view.corpus)))
        labels = np.asarray(view.labels, dtype=np.int64)
        names = view.names()
        key = stage_key("assign", view.keys.get("base_embed", view.keys["embed"]), view.keys.get("project"),
                        array_key(labels), sorted(names.items()), embedder.fingerprint, embedder.backend)
        return self.bench.cache.fetch("assign", key, lambda: ClusterModel.of(
            view.result, labels, names, fingerprint=embedder.fingerprint, backend=embedder.backend))

    def assign(self, view: View, texts: list[str]) -> Assigned:
        """New texts given the clusters ``view`` shows: each its cluster id and name, a confidence in
        [0, 1] and a place on the view's map (the old points do not move); see ``core.clustering.assign``.
        ``Assigned.candidates(threshold)`` lists those that fit no cluster. The texts are cleaned as a
        corpus's are and embedded by the run's model through the store. A UserError for an empty text,
        or for clusters made from an uploaded embeddings file (which cannot embed new texts)."""
        model = self.cluster_model(view)
        cleaned = [clean_text(str(t)) for t in texts]
        empty = next((i for i, t in enumerate(cleaned) if not t), None)
        if empty is not None:
            raise UserError(f"new text {empty + 1} is empty; leave it out")
        embed = self.bench.phrase_embedder(view.result, view.source)  # the run's model, through the store
        assert embed is not None  # only a file of vectors has none, refused above
        return model.assign(embed(cleaned))

    def assign_table(self, view: View, table: pd.DataFrame, text_col: str | tuple[str, ...] | None = None
                     ) -> tuple[pd.DataFrame, Assigned, np.ndarray]:
        """A new file's rows assigned (what ``python -m core assign`` writes): the table's columns, then
        ``cluster, cluster_name, confidence, x, y`` (empty for a row without text); with the
        :class:`Assigned` texts and their (m,) rows in the table. ``text_col``: the column(s) of the texts
        (default: the run's, else detected)."""
        model = self.cluster_model(view)
        rows, texts = texts_of(table, text_col or text_columns(model.text_col, list(map(str, table.columns))))
        assigned = self.assign(view, texts)
        return with_assignments(table, rows, assigned), assigned, rows

    @staticmethod
    def assigned_file(table: pd.DataFrame, source_name: str, k: int) -> tuple[str, str]:
        """(CSV text, file name) of new texts with their clusters (:meth:`assign_table`'s table), every
        text cell neutralised for spreadsheets (``core.tables.csv_export``)."""
        from core.tables.csv_export import safe_csv
        from core.tables.export import export_name

        return safe_csv(table), export_name(source_name, k, "assigned", "csv")

    def export_project(self, *, progress: StageProgress | None = None) -> bytes:
        """The open project as one file to share (``core.storage.project_file``): its settings, versions, edits,
        names and notes, its data, and for every version that can be run here its clusters as shown,
        vectors, encoder and map (computed again, with ``progress``, where the caches lost them)."""
        from core.storage.project_file import Model, Recorder, VersionExport, write_project_file

        if self.project is None:
            raise UserError("there is no project to export yet; open one or make a map first")
        self._refresh()
        project = self.project
        last = self.last
        source = last.source if last is not None and last.source.key == project.source.key else \
            self.source_of(project)
        shown = project.view.get("settings") or {}
        current = project.current
        order = sorted(project.versions, key=lambda v: v.id != (current.id if current else None))  # current first
        model_name = RunConfig.from_dict(current.settings).embed.model if current else None
        runs, model, corpus = [], None, None
        for version in order:
            cfg = RunConfig.from_dict(version.settings | {"project": shown.get("project") or {}})
            if "vectors" in version.settings or cfg.embed.model != model_name:
                # an uploaded embeddings file's version would need that file to open elsewhere
                log.info("version %s is exported without its vectors (another model or an embeddings file)", version.id)
                continue
            use = replace(source, embeddings=None)
            recorder = Recorder(self.bench.cache)
            result = self.bench.run(use, cfg, progress=progress, cache=recorder)
            runs.append(VersionExport(version, self._view_of(use, result, version), recorder.entries))
            if model is None:
                model = Model(cfg.embed.model, *self._vectors_model(use, result))
                corpus = read_stage(use.key, use.value, cfg.data, self.bench.cache)[1]
        labels = {name: self._labels(name) for v in project.versions for name in (v.base, v.labels) if name}
        return write_project_file(project, model=model or Model("", "", ""), labels=labels, runs=runs,
                                  corpus=corpus, source_bytes=self._source_bytes(project))

    def _vectors_model(self, source: DataSource, result: RunResult) -> tuple[str, str]:
        """(fingerprint, backend) of the model that made a run's (base) vectors."""
        if source.kept is not None and kept_serves(source, result.config):
            return source.kept.fingerprint, source.kept.file.backend
        cfg = result.config.embed
        embedder = self.bench.embedder(cfg.model, backend_for(cfg.backend, len(result.corpus)))
        return embedder.fingerprint, embedder.backend

    def _source_bytes(self, project: Project) -> bytes | None:
        """The project's data file as bytes (None for the bundled demo corpus)."""
        src = project.source
        if src.kind == "demo":
            return None
        if src.kind == "upload":
            try:
                return self.store.source_bytes(project.id)
            except (UserError, ProjectGone):
                if self._upload_bytes is None:
                    raise
                return self._upload_bytes
        from core.tables.data import hub_download

        path = hub_download(src.key) if src.kind == "hub" else Path(src.name)
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read the project's data file {path} ({exc.strerror or exc})") from None

    def import_project(self, data: bytes, *, name: str = "the project file") -> Project:
        """Import a project file (``core.storage.project_file``) as a new project of this cache folder and open
        it; its view then appears without embedding or training again. One clear UserError (and nothing
        written) for a file that is damaged or truncated, from a newer ClusterLens, or made with a
        sentence model that is not installed here."""
        from core.storage.project_file import import_project

        project = import_project(data, projects=self.store, results=default_results(), label=name,
                                 fingerprint_of=lambda model, backend: self.bench.embedder(model, backend).fingerprint)
        return self.open(project.id)

    # -- what the display pages ask of a view (the Map page's search and time chart) ----------------
    def search(self, view: View, query: str | None, words: str, *, n: int, keep: np.ndarray) -> Hits | None:
        """The Map page's search of ``view``'s texts among the (n,) bool ``keep``: the ``n`` nearest in
        meaning to ``query`` (embedded by :meth:`search_embedder`, only when there is one), narrowed to
        the texts with all of ``words``; None for neither (``core.naming.search.find``)."""
        return find(view.embedded.vectors, view.corpus.texts, query, words, n, keep=keep,
                    embedder=lambda: self.search_embedder(view))

    def timeline(self, view: View, column: str, keep: np.ndarray) -> TimeChart | None:
        """Each cluster's share of the texts (those of the (n,) bool ``keep``) per bin of the date
        ``column`` (one of :meth:`dates`), named by a key of its column, sample, bins, clusters and
        texts; None when fewer than two of them have a date."""
        dates = self.dates(view)[column]
        line = timeline(dates, view.labels, view.ids, keep)
        if line is None:
            return None
        key = stage_key(column, view.keys["sample"], line.period, array_key(view.labels), array_key(keep))
        return TimeChart(column, dates, line, key, view.labels, keep)
