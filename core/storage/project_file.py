"""A project as one file to share (a zip), and importing it into another cache folder.

The layout (documented for other tools in docs/project-file.md):

- ``manifest.json``: ``format`` (``clusterlens-project``), ``format_version``, the sentence ``model``,
  its ``fingerprint``, the ``backend`` that embedded the texts and their ``dim``; per exported
  version its stage keys and files; the stage-cache entries; a SHA-256 of every other member;
- ``project.json``: the project as ``core.storage.projects`` keeps it (settings, versions, edits, names,
  notes, the view last shown);
- ``labels/<name>.npy``: the versions' cluster-id arrays, named as in ``project.json``;
- ``source.gz``: the data file's bytes (gzip) unless the source is the bundled demo corpus;
- ``texts.parquet``: the texts as read (``id``: the row in the file, ``title``, ``text``, ``label``)
  with the file's own columns under their own names;
- ``vectors.parquet``: the texts' sentence vectors (``core.embedding.embed_file``'s format: ``row_id``,
  ``text_hash``, ``vector``; the model in the metadata);
- ``versions/<id>/assignments.parquet`` and ``metrics.json``: each version as its exports show it;
  ``encoder.safetensors``, ``latent.npy`` (n, latent) and ``map.npy`` (n, 2): its trained encoder,
  latent vectors and map, so an import neither trains nor projects;
- ``cache/<stage>-<key>.npz``: other stage results the version's run read (cluster names, Refine's
  vectors), as the result cache stores them.

Import writes a new project (its own id; the version ids are the exporting project's, so the same
settings find the same versions), keeps ``vectors.parquet`` in the project's folder (read by
``core.embedding.kept_vectors``, never put in the shared embedding store), and seeds the result cache with the
encoders, latent vectors, maps and other stage results under the keys the pipeline will ask for.
A version's stored clusters are authoritative: the view shows them as exported. Plain Python.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.clustering.assign import ClusterModel
from core.storage.atomic import atomic_write_bytes
from core.tables.data import Corpus
from core.embedding.embed_file import EmbeddingsWriter, read_embeddings, text_hashes
from core.errors import UserError
from core.tables.export import data_stem, own_columns
from core.embedding.kept_vectors import KEPT_FILE
from core.storage.projects import Project, ProjectStore, Source, Version, now
from core.storage.results import ResultCache

log = logging.getLogger(__name__)

FORMAT = "clusterlens-project"
#: The layout this code writes; a file of a newer one is refused, not misread.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUFFIX = ".clusterlens"
#: A project file unpacks to at most this many bytes (a zip bomb is refused before it is read).
MAX_UNPACKED = 4 << 30
#: The stage results an export carries, with the codec that checks them on import.
SEEDED = ("train", "project", "names", "refine")


def _codecs() -> dict[str, Any]:
    from core.naming.naming import NamesCodec
    from core.pipeline import MapCodec, TrainedCodec
    from core.training.refine_stage import RefinedCodec

    return {"train": TrainedCodec, "project": MapCodec, "names": NamesCodec, "refine": RefinedCodec}


def file_name(project: Project) -> str:
    """``"news.clusterlens"``: the project's name as a file name."""
    return data_stem(project.name) + SUFFIX


class Recorder:
    """A stage cache over ``inner`` that notes the results of the stages in ``SEEDED`` it hands out,
    encoded as the disk cache stores them: (stage, key, arrays), in the order asked."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entries: list[tuple[str, str, dict[str, np.ndarray]]] = []

    def fetch(self, stage: str, key: str, compute: Callable[[], Any], codec: Any = None) -> Any:
        value = self.inner.fetch(stage, key, compute, codec)
        if codec is not None and stage in SEEDED and all(k != key for _, k, _ in self.entries):
            self.entries.append((stage, key, codec.encode(value)))
        return value


@dataclass(frozen=True)
class VersionExport:
    """One version as exported: ``view`` its clusters as shown (``core.session.view.View``) and the stage
    results its run read (``Recorder.entries``)."""

    version: Version
    view: Any
    stages: list[tuple[str, str, dict[str, np.ndarray]]] = field(default_factory=list)


@dataclass(frozen=True)
class Model:
    """The sentence model of a project file's vectors."""

    name: str
    fingerprint: str
    backend: str


# -- writing ---------------------------------------------------------------------------------------------
def write_project_file(project: Project, *, model: Model, labels: dict[str, np.ndarray],
                       runs: list[VersionExport], corpus: Corpus | None, source_bytes: bytes | None) -> bytes:
    """The project file's bytes (see the module's docstring). ``labels``: every array the versions
    name; ``runs``: the versions that could be run here (the others keep their clusters, names and
    notes, without vectors); ``corpus``: the current version's texts as read, whole."""
    members: dict[str, bytes] = {}
    renamed = {name: _labels_member(array) for name, array in labels.items()}
    for name, (member, data) in renamed.items():
        members[member] = data

    def file_of(name: str | None) -> str | None:
        return None if name is None else PurePosixPath(renamed[name][0]).name

    versions = tuple(replace(v, base=file_of(v.base), labels=file_of(v.labels)) for v in project.versions)
    doc = replace(project, versions=versions).as_json()
    members["project.json"] = json.dumps(doc, indent=1, ensure_ascii=False).encode()
    if source_bytes is not None:
        members["source.gz"] = gzip.compress(source_bytes, compresslevel=6, mtime=0)
    if corpus is not None:
        members["texts.parquet"] = _parquet(_texts_table(corpus))
    vectors: dict[str, tuple[int, np.ndarray]] = {}
    described: dict[str, Any] = {}
    stages: list[dict[str, str]] = []
    codecs = _codecs()
    for run in runs:
        vid, view = run.version.id, run.view
        folder = f"versions/{vid}"
        members[f"{folder}/assignments.parquet"] = _parquet(view.assignments())
        members[f"{folder}/metrics.json"] = json.dumps(view.metrics(), indent=1, ensure_ascii=False).encode()
        entry: dict[str, Any] = {"n": len(view.corpus), "k": view.k, "edited": view.edited}
        for stage, key, arrays in run.stages:
            if stage == "train" and "train" not in entry:
                members[f"{folder}/encoder.safetensors"] = arrays["encoder"].tobytes()
                members[f"{folder}/latent.npy"] = _npy(arrays["latent"])
                entry["train"] = key
            elif stage == "project" and "project" not in entry:
                members[f"{folder}/map.npy"] = _npy(arrays["xy"])
                entry["project"] = key
            elif stage in codecs:
                member = f"cache/{stage}-{key}.npz"
                if member not in members:
                    members[member] = _npz(arrays)
                    stages.append({"stage": stage, "key": key, "member": member})
        described[vid] = entry
        ids = view.corpus.frame["id"].to_numpy()
        for text, row, vector in zip(view.corpus.texts, ids, view.result.base_vectors):
            vectors.setdefault(text, (int(row), vector))
    if vectors:
        members["vectors.parquet"] = _vectors_file(vectors, model)
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "written": now(),
                "model": model.name, "fingerprint": model.fingerprint, "backend": model.backend,
                "dim": int(next(iter(vectors.values()))[1].shape[0]) if vectors else None,
                "source": {"kind": project.source.kind, "name": project.source.name,
                           "file": "source.gz" if source_bytes is not None else None},
                "versions": described, "stages": stages,
                "members": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False), zipfile.ZIP_DEFLATED)
        for name, data in members.items():
            packed = name.endswith((".gz", ".parquet", ".npz"))  # already compressed
            zf.writestr(name, data, zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _labels_member(array: np.ndarray) -> tuple[str, bytes]:
    """(member name, .npy bytes) of a cluster-id array, named by its content as ``core.storage.projects`` names it."""
    data = _npy(np.ascontiguousarray(array, dtype=np.int32))
    return f"labels/{hashlib.sha256(data).hexdigest()[:24]}.npy", data


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _texts_table(corpus: Corpus) -> pd.DataFrame:
    """``id, title, text[, label]`` and the file's own columns under their own names."""
    frame = corpus.frame
    table = frame[[c for c in ("id", "title", "text", "label") if c in frame.columns]].copy()
    for column in own_columns(frame):
        name = column.split(":", 1)[1]
        table[f"file:{name}" if name in table.columns else name] = frame[column].to_numpy()
    return table


def _parquet(frame: pd.DataFrame) -> bytes:
    """A table as Parquet; a column of mixed Python types (a JSON Lines file's) is written as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {}
    for name in frame.columns:
        values = frame[name]
        try:
            columns[str(name)] = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            columns[str(name)] = pa.array(values.map(lambda v: None if pd.isna(v) else str(v)), type=pa.string())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def _vectors_file(vectors: dict[str, tuple[int, np.ndarray]], model: Model) -> bytes:
    """``core.embedding.embed_file``'s format for the texts' vectors (row ids: the texts' rows in the file)."""
    texts = list(vectors)
    rows = np.array([vectors[t][0] for t in texts], dtype=np.int64)
    matrix = np.stack([vectors[t][1] for t in texts]).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "vectors.parquet")
        writer = EmbeddingsWriter(path, model=model.name)
        writer.write(rows, text_hashes(texts), matrix, fingerprint=model.fingerprint, backend=model.backend)
        writer.close()
        return Path(path).read_bytes()


# -- reading ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectFile:
    """A project file read and checked: its manifest, its project (as exported) and its members' bytes."""

    manifest: dict[str, Any]
    project: Project
    members: dict[str, bytes]

    @property
    def model(self) -> Model:
        m = self.manifest
        return Model(str(m["model"]), str(m["fingerprint"]), str(m["backend"]))


def read_project_file(data: bytes, label: str = "the project file") -> ProjectFile:
    """Open and check a project file: one clear UserError if it is not one, is damaged or truncated,
    or was written by a newer ClusterLens. Nothing is written."""
    damaged = f"{label} is damaged or truncated (export the project again)"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        if data[:4] == b"PK\x03\x04":
            raise UserError(damaged) from None
        raise UserError(f"{label} is not a ClusterLens project file (export one with Export project or "
                        "`python -m core project export`)") from None
    with zf:
        names = zf.namelist()
        if MANIFEST not in names:
            raise UserError(f"{label} is not a ClusterLens project file: it has no {MANIFEST}")
        if sum(i.file_size for i in zf.infolist()) > MAX_UNPACKED:
            raise UserError(f"{label} unpacks to more than {MAX_UNPACKED >> 30} GB; it is not a project file "
                            "this ClusterLens opens")
        try:
            manifest = json.loads(zf.read(MANIFEST))
            members = {name: zf.read(name) for name in names if name != MANIFEST}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
            raise UserError(damaged) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(f"{label} is not a ClusterLens project file (its manifest names another format)")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise UserError(damaged)
    if version > FORMAT_VERSION:
        raise UserError(f"{label} was written by a newer ClusterLens (project file format {version}; this one "
                        f"reads up to {FORMAT_VERSION}); update ClusterLens to import it")
    listed = manifest.get("members")
    if not isinstance(listed, dict) or set(listed) != set(members):
        raise UserError(damaged)
    if any(hashlib.sha256(members[name]).hexdigest() != digest for name, digest in listed.items()):
        raise UserError(damaged)
    try:
        project = Project.from_json(json.loads(members["project.json"]))
        for key in ("model", "fingerprint", "backend"):
            str(manifest[key])
    except UserError:
        raise
    except (KeyError, ValueError, TypeError):
        raise UserError(damaged) from None
    return ProjectFile(manifest, project, members)


def cluster_model(data: bytes, label: str) -> ClusterModel:
    """The clusters of a project file's current version (as shown when it was exported) as a model
    that assigns new texts (``core.clustering.assign``)."""
    pf = read_project_file(data, label)
    vid = pf.project.view.get("version")
    described = pf.manifest.get("versions") or {}
    if vid not in described:
        vid = next(iter(described), None)
    if vid is None or "vectors.parquet" not in pf.members:
        raise UserError(f"{label} holds no clustering with its vectors (its versions were made from an uploaded "
                        "embeddings file); export the project from a run of the model")
    try:
        table = pd.read_parquet(io.BytesIO(pf.members[f"versions/{vid}/assignments.parquet"]))
        kept = read_embeddings(pf.members["vectors.parquet"], name=label)
        vectors = kept.lookup(table["text"].astype(str).tolist())
        names = dict(zip(table["cluster"].astype(int), table["cluster_name"].astype(str)))
        xy = table[["x", "y"]].to_numpy(dtype=np.float32)
        xy = None if np.isnan(xy).all() else xy
        text_col = json.loads(pf.members.get(f"versions/{vid}/metrics.json", b"{}")).get("text_col")
        m = pf.model
        return ClusterModel(vectors, table["cluster"].to_numpy(dtype=np.int64), names, xy, m.name, m.fingerprint,
                            m.backend, text_col if isinstance(text_col, str) else None)
    except UserError:
        raise
    except (KeyError, ValueError, TypeError, OSError):
        raise UserError(f"{label} is damaged or truncated (export the project again)") from None


# -- importing -------------------------------------------------------------------------------------------
#: fingerprint_of(model, backend) -> the fingerprint of that model here (raises UserError when it is not installed).
FingerprintOf = Callable[[str, str], str]


def import_project(data: bytes, *, projects: ProjectStore, results: ResultCache, fingerprint_of: FingerprintOf,
                   label: str = "the project file") -> Project:
    """Import a project file as a new project of ``projects`` (see the module's docstring); returns it.

    Everything is checked before anything is written (a bad file changes nothing); a failure while
    writing removes the half-made project."""
    pf = read_project_file(data, label)
    model = pf.model
    if "vectors.parquet" in pf.members:
        _check_model(model, fingerprint_of, label)
    labels = _labels(pf, label)
    kept = pf.members.get("vectors.parquet")
    if kept is not None:
        read_embeddings(kept, name=label)  # a file that does not read is refused now
    seeds = _seeds(pf, label)
    source, source_bytes = _source(pf, label)
    store = projects
    project = pf.project
    created = store.create(store.unique_name(project.name), source, data=source_bytes, view=project.view)
    try:
        names = {member: store.put_labels(created.id, array) for member, array in labels.items()}

        def named(name: str | None) -> str | None:
            return None if name is None else names[f"labels/{name}"]

        versions = tuple(replace(v, base=named(v.base), labels=named(v.labels)) for v in project.versions)
        if kept is not None:
            atomic_write_bytes(store.folder(created.id) / KEPT_FILE, kept)
        imported = store.update(created.id, lambda p: replace(p, versions=versions)).project
    except BaseException:
        store.delete(created.id)
        raise
    for key, arrays in seeds:
        results.put(key, arrays)
    log.info("imported project %s as %s (%d versions, %d stage results)", project.id, imported.id,
             len(imported.versions), len(seeds))
    return imported


def _check_model(model: Model, fingerprint_of: FingerprintOf, label: str) -> None:
    try:
        here = fingerprint_of(model.name, model.backend)
    except UserError as exc:
        raise UserError(f"{label} was made with the sentence model {model.name!r}, which is not installed here "
                        f"({exc}); install that model to import it") from None
    if here != model.fingerprint:
        raise UserError(f"{label} was made with another version of the sentence model {model.name!r} (fingerprint "
                        f"{model.fingerprint}; the one installed here is {here}); install the model it was made "
                        "with to import it")


def _labels(pf: ProjectFile, label: str) -> dict[str, np.ndarray]:
    """Every cluster-id array the versions name, read (a missing or unreadable one refuses the file)."""
    out = {}
    for version in pf.project.versions:
        for name in (version.base, version.labels):
            if name is None or f"labels/{name}" in out:
                continue
            try:
                array = np.load(io.BytesIO(pf.members[f"labels/{name}"]), allow_pickle=False)
                if array.ndim != 1 or array.dtype.kind not in "iu":
                    raise ValueError("not cluster ids")
            except (KeyError, ValueError, OSError, EOFError):
                raise UserError(f"{label} is damaged or truncated (the clusters {name} do not read)") from None
            out[f"labels/{name}"] = array
    return out


def _seeds(pf: ProjectFile, label: str) -> list[tuple[str, dict[str, np.ndarray]]]:
    """(key, arrays) for the result cache: each version's encoder, latent vectors and map, and the other
    stage results, each checked by its stage's codec."""
    codecs = _codecs()
    out = []
    try:
        for vid, entry in (pf.manifest.get("versions") or {}).items():
            folder = f"versions/{vid}"
            if "train" in entry:
                arrays = {"encoder": np.frombuffer(pf.members[f"{folder}/encoder.safetensors"], np.uint8),
                          "latent": np.load(io.BytesIO(pf.members[f"{folder}/latent.npy"]), allow_pickle=False)}
                codecs["train"].decode(arrays)
                out.append((str(entry["train"]), arrays))
            if "project" in entry:
                arrays = {"xy": np.load(io.BytesIO(pf.members[f"{folder}/map.npy"]), allow_pickle=False)}
                codecs["project"].decode(arrays)
                out.append((str(entry["project"]), arrays))
        for item in pf.manifest.get("stages") or []:
            stage = str(item["stage"])
            if stage not in codecs:
                continue  # a stage this version does not know: it is computed instead
            with np.load(io.BytesIO(pf.members[str(item["member"])]), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            codecs[stage].decode(arrays)
            out.append((str(item["key"]), arrays))
    except (KeyError, ValueError, TypeError, OSError, EOFError, zipfile.BadZipFile):
        raise UserError(f"{label} is damaged or truncated (a version's encoder or map does not read)") from None
    return out


def _source(pf: ProjectFile, label: str) -> tuple[Source, bytes | None]:
    """The imported project's source: the demo corpus, or an upload of the file's own bytes (a file on
    the exporting server or from the hub comes as its bytes), keyed as the exporting project keyed it."""
    src = pf.project.source
    if "source.gz" not in pf.members:
        if src.kind != "demo":
            raise UserError(f"{label} is damaged or truncated (it lacks the data file)")
        return src, None
    try:
        data = gzip.decompress(pf.members["source.gz"])
    except (OSError, EOFError):
        raise UserError(f"{label} is damaged or truncated (its data file does not unpack)") from None
    # a file of the exporting server (its name is its path) or of the hub (its key is its address)
    name = src.name if src.kind == "upload" else PurePosixPath(src.name if src.kind == "path" else src.key).name
    return replace(src, kind="upload", name=name, sha256=hashlib.sha256(data).hexdigest()), data

