"""core.storage.project_file: a project exported as one file opens in another cache folder with the same view
(same version ids, clusters, names, notes, map) without embedding its texts or training or projecting
again; its own vectors never enter the shared embedding store; a damaged, truncated, newer or
other-model file is one clear message and writes nothing."""
import hashlib
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from core import pipeline
from core.config import ClusterConfig, DataConfig, EncoderConfig, RunConfig
from core.tables.data import DEMO_PATH
from core.embedding.embed import default_store, store_key
from core.errors import UserError
from core.storage.project_file import FORMAT_VERSION, cluster_model, read_project_file
from core.storage.projects import ProjectStore
from core.session.session import Session, Workbench
from core.storage.store import text_key
from core.session.view import DataSource
from fakes import FakeEmbedder

DEMO = DataSource("demo", "demo", "Demo corpus", is_demo=True, kind="demo")


def cfg(k: int = 4, fraction: float = 1.0) -> RunConfig:
    return RunConfig(data=DataConfig(source="demo", fraction=fraction), encoder=EncoderConfig(epochs=2),
                     cluster=ClusterConfig(k=k), seed=0)


def bench_of(fake: FakeEmbedder) -> Workbench:
    return Workbench(load_embedder=lambda model, backend: fake, precompute=False)


def upload(bench: Workbench) -> DataSource:
    """The demo corpus as an uploaded file with columns of its own (a date and a source)."""
    frame = pd.read_csv(DEMO_PATH)
    frame["date"] = [f"2024-01-{1 + i % 28:02d}" for i in range(len(frame))]
    frame["wire"] = ["AP" if i % 3 else "Reuters" for i in range(len(frame))]
    data = frame.to_csv(index=False).encode()
    digest, table = bench.upload_table(data, "news.csv")
    named = table.copy(deep=False)
    named.attrs["name"] = "news.csv"
    return DataSource(f"upload:{digest}:news.csv", named, "news.csv", n_rows=len(table), kind="upload", data=data)


def edited_project(session: Session, source: DataSource):
    """A project with two versions (k=4 edited: renamed, noted, split; k=5 as computed), k=4 shown."""
    session.view(source, cfg(5))
    view = session.view(source, cfg(4))
    session.rename(view, 2, "Markets")
    session.note(view, 1, "check the sports texts")
    view = session.view(source, cfg(4))
    session.accept_split(view, session.split_preview(view, 0, 2))
    return session.view(source, cfg(4))


def elsewhere(monkeypatch, tmp_path, name: str = "other") -> None:
    """Another ClusterLens: an empty cache folder."""
    folder = tmp_path / name
    folder.mkdir()
    monkeypatch.setenv("CLUSTERLENS_CACHE_DIR", str(folder))


def test_an_imported_project_shows_the_same_view_without_embedding_or_training(monkeypatch, tmp_path):
    session = Session(bench_of(FakeEmbedder()))
    before = edited_project(session, upload(session.bench))
    data = session.export_project()

    elsewhere(monkeypatch, tmp_path)
    fake = FakeEmbedder()
    other = Session(bench_of(fake))

    def never(*args, **kwargs):
        raise AssertionError("an imported project must not be trained or projected again")

    monkeypatch.setattr(pipeline, "train", never)
    monkeypatch.setattr(pipeline, "project", never)
    project = other.import_project(data)
    assert project.id != session.project.id and project.name == session.project.name
    assert [v.id for v in project.versions] == [v.id for v in session.project.versions]
    source = other.source_of(project)
    after = other.view(source, RunConfig.from_dict(project.view["settings"]))
    assert fake.texts_encoded == 0  # the texts' vectors came with the file (names' phrases are embedded)
    np.testing.assert_array_equal(after.labels, before.labels)
    np.testing.assert_allclose(after.xy, before.xy)
    assert after.names() == before.names() and after.notes == before.notes and after.history == before.history
    assert after.version.id == before.version.id and after.edited
    # the file's vectors stay with the project: the store holds only the model's own (the phrases)
    store = default_store()
    assert store.count() == store.count(store_key(fake))
    assert not store.get(store_key(fake), _keys(after.corpus.texts))
    other_k = other.view(source, cfg(5))  # the other version too
    assert other_k.k == 5 and fake.texts_encoded == 0


def _keys(texts):
    return [text_key(t) for t in texts]


def test_the_file_holds_texts_with_their_own_columns_assignments_vectors_and_encoders(tmp_path):
    session = Session(bench_of(FakeEmbedder()))
    view = edited_project(session, upload(session.bench))
    pf = read_project_file(session.export_project())
    members = set(pf.members)
    vid = view.version.id
    assert {"project.json", "source.gz", "texts.parquet", "vectors.parquet", f"versions/{vid}/assignments.parquet",
            f"versions/{vid}/encoder.safetensors", f"versions/{vid}/latent.npy", f"versions/{vid}/map.npy",
            f"versions/{vid}/metrics.json"} <= members
    assert pf.manifest["format_version"] == FORMAT_VERSION and pf.manifest["fingerprint"] == "fake-v1"
    texts = pd.read_parquet(io.BytesIO(pf.members["texts.parquet"]))
    assert {"id", "title", "text", "label", "date", "wire"} <= set(texts.columns) and len(texts) == 320
    table = pd.read_parquet(io.BytesIO(pf.members[f"versions/{vid}/assignments.parquet"]))
    assert {"cluster", "cluster_name", "date", "wire", "cluster_as_computed"} <= set(table.columns)
    assert (table["cluster_name"] == table["cluster"].map(view.names())).all()
    metrics = json.loads(pf.members[f"versions/{vid}/metrics.json"])
    assert metrics["edits"]["edited"] and "split cluster 0 into 2 parts" in metrics["edits"]["history"]
    assert metrics["edits"]["names"] == {"2": "Markets"}
    assert len(pf.manifest["versions"]) == 2 and pf.project.current.id == vid


def test_a_larger_sample_after_import_embeds_only_the_texts_the_file_lacks(monkeypatch, tmp_path):
    session = Session(bench_of(FakeEmbedder()))
    session.view(DEMO, cfg(4, fraction=0.5))
    data = session.export_project()
    elsewhere(monkeypatch, tmp_path)
    fake = FakeEmbedder()
    other = Session(bench_of(fake))
    project = other.import_project(data)
    view = other.view(other.source_of(project), cfg(4, fraction=1.0))
    assert len(view.corpus) == 320 and fake.texts_encoded == 160


def test_a_project_file_assigns_new_texts_as_its_current_version(tmp_path):
    session = Session(bench_of(FakeEmbedder()))
    view = edited_project(session, DEMO)
    model = cluster_model(session.export_project(), "p.clusterlens")
    assert model.names == view.names() and model.fingerprint == "fake-v1"
    got = model.assign(np.asarray(view.result.base_vectors[:40]))
    np.testing.assert_array_equal(got.clusters, view.labels[:40])


def _rewrite(data: bytes, change) -> bytes:
    """The file with its manifest changed by ``change(manifest)`` (members and their checksums kept)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return out.getvalue()


def _damage_member(data: bytes) -> bytes:
    """One member's bytes changed, its zip entry rewritten so that only the manifest's checksum tells."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    name = next(n for n in members if n.endswith("latent.npy"))
    members[name] = members[name][:-8] + b"\x00" * 8
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for n, raw in members.items():
            zf.writestr(n, raw)
    return out.getvalue()


BAD = {
    "truncated": (lambda d: d[: len(d) // 2], "damaged or truncated"),
    "cut to its first bytes": (lambda d: d[:100], "damaged or truncated"),
    "a changed byte": (lambda d: _damage_member(d), "damaged or truncated"),
    "newer": (lambda d: _rewrite(d, lambda m: m.update(format_version=FORMAT_VERSION + 1)), "newer ClusterLens"),
    "not a project file": (lambda d: b"title,text\na,b\n", "not a ClusterLens project file"),
    "another model": (lambda d: _rewrite(d, lambda m: m.update(fingerprint="0123456789abcdef")),
                      "another version of the sentence model"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_project_file_is_one_clear_message_and_writes_nothing(monkeypatch, tmp_path, case):
    session = Session(bench_of(FakeEmbedder()))
    session.view(DEMO, cfg(4))
    data = session.export_project()
    elsewhere(monkeypatch, tmp_path)
    other = Session(bench_of(FakeEmbedder()))
    change, pattern = BAD[case]
    with pytest.raises(UserError, match=pattern):
        other.import_project(change(data), name="p.clusterlens")
    assert ProjectStore().list() == [] and other.project is None
    assert not (tmp_path / "other" / "results").exists() or not any((tmp_path / "other" / "results").iterdir())


def test_a_model_that_is_not_installed_is_named(monkeypatch, tmp_path):
    session = Session(bench_of(FakeEmbedder()))
    session.view(DEMO, cfg(4))
    data = session.export_project()
    elsewhere(monkeypatch, tmp_path)

    def missing(model, backend):
        raise UserError(f"model {model!r} is not available offline")

    other = Session(Workbench(load_embedder=missing, precompute=False))
    with pytest.raises(UserError, match="made with the sentence model 'all-MiniLM-L6-v2', which is not installed"):
        other.import_project(data)
    assert ProjectStore().list() == []


def test_an_imported_project_exports_again_with_the_same_content(monkeypatch, tmp_path):
    session = Session(bench_of(FakeEmbedder()))
    edited_project(session, upload(session.bench))
    first = read_project_file(session.export_project())
    elsewhere(monkeypatch, tmp_path)
    other = Session(bench_of(FakeEmbedder()))
    project = other.import_project(session.export_project())
    other.view(other.source_of(project), RunConfig.from_dict(project.view["settings"]))
    second = read_project_file(other.export_project())
    assert second.model == first.model  # the kept vectors' model and backend, not "kept (...)"
    for name in ("vectors.parquet", "source.gz", "texts.parquet"):
        assert hashlib.sha256(second.members[name]).digest() == hashlib.sha256(first.members[name]).digest(), name


def test_a_file_of_the_server_comes_as_its_bytes_and_opens_as_an_upload(monkeypatch, tmp_path):
    from core.pipeline import source_key

    path = tmp_path / "server" / "news.csv"
    path.parent.mkdir()
    path.write_bytes(DEMO_PATH.read_bytes())
    session = Session(bench_of(FakeEmbedder()))
    before = session.view(DataSource(source_key(str(path)), str(path), str(path), kind="path"), cfg(4))
    data = session.export_project()
    path.unlink()  # the other server does not have it
    elsewhere(monkeypatch, tmp_path)
    fake = FakeEmbedder()
    other = Session(bench_of(fake))
    project = other.import_project(data)
    assert (project.source.kind, project.source.name) == ("upload", "news.csv")
    after = other.view(other.source_of(project), cfg(4))
    np.testing.assert_array_equal(after.labels, before.labels)
    assert after.version.id == before.version.id and fake.texts_encoded == 0
