"""core.storage.projects: projects saved atomically as they change, listed, renamed, copied, deleted; damaged,
newer or deleted projects are one clear message; a killed writer never leaves a half-written project."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from core.errors import UserError
from core.storage.projects import FORMAT, PROJECT_FILE, Project, ProjectGone, ProjectStore, Source, Version, now

SOURCE = Source("demo", "Demo corpus", "demo")


@pytest.fixture
def store(tmp_path):
    return ProjectStore(tmp_path / "projects")


def version(vid="v1", **kw):
    stamp = now()
    return Version(vid, {"cluster": {"k": 4}}, stamp, stamp, **kw)


def test_create_get_list_rename_duplicate_delete(store):
    a = store.create("News", SOURCE)
    b = store.create(store.unique_name("News"), SOURCE)
    assert b.name == "News (2)" and a.id != b.id
    assert store.get(a.id).name == "News" and store.get(a.id).source == SOURCE
    assert {p.id for p in store.list()} == {a.id, b.id}
    assert store.rename(a.id, "  Markets   week 1 ").name == "Markets week 1"
    with pytest.raises(UserError, match="type a name"):
        store.rename(a.id, "  ")
    assert store.get(a.id).name == "Markets week 1"  # a bad rename changed nothing
    store.update(a.id, lambda p: p.with_version(version(names={3: "Oil"})))
    copy = store.duplicate(a.id)
    assert copy.name == "Markets week 1 (copy)" and copy.versions[0].names == {3: "Oil"}
    store.delete(a.id)
    with pytest.raises(ProjectGone):
        store.get(a.id)
    assert {p.id for p in store.list()} == {b.id, copy.id}
    with pytest.raises(ProjectGone):
        store.get("../../etc")  # not an id: never a path outside the folder


def test_an_upload_is_kept_compressed_with_its_project(store):
    data = b"title,text\n" + b"a,some repeated words here\n" * 2000
    project = store.create("Upload", Source("upload", "news.csv", "upload:abc:news.csv"), data=data)
    assert store.source_bytes(project.id) == data
    assert (store.folder(project.id) / "source.gz").stat().st_size < len(data) / 10


def test_labels_are_immutable_files_named_by_content(store):
    project = store.create("P", SOURCE)
    labels = np.array([0, 1, 1, 2])
    name = store.put_labels(project.id, labels)
    assert store.put_labels(project.id, labels.copy()) == name
    back = store.labels(project.id, name)
    assert back.tolist() == [0, 1, 1, 2] and not back.flags.writeable


def test_updates_from_two_writers_are_both_kept_and_the_later_one_is_told(store):
    project = store.create("P", SOURCE)
    seen = project.revision
    store.update(project.id, lambda p: p.with_version(version("a")), seen=seen)  # tab 1
    saved = store.update(project.id, lambda p: p.with_version(version("b")), seen=seen)  # tab 2, stale
    assert saved.others
    assert {v.id for v in saved.project.versions} == {"a", "b"}  # nothing lost


def test_concurrent_updates_lose_nothing(store):
    project = store.create("P", SOURCE)

    def add(i: int) -> None:
        store.update(project.id, lambda p: p.with_version(version(f"v{i}")))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.get(project.id).versions) == 16


def test_damaged_newer_and_deleted_projects_are_one_clear_message(store):
    project = store.create("P", SOURCE)
    path = store.folder(project.id) / PROJECT_FILE
    path.write_text(json.dumps(project.as_json() | {"format": FORMAT + 1}))
    with pytest.raises(UserError, match="newer ClusterLens"):
        store.get(project.id)
    path.write_text('{"format": 1, "id": "x"')  # truncated
    with pytest.raises(UserError, match="damaged"):
        store.get(project.id)
    assert store.list() == []  # a damaged project is skipped, not a crash
    other = store.create("Q", SOURCE)
    store.delete(other.id)
    with pytest.raises(ProjectGone, match="deleted"):
        store.update(other.id, lambda p: p)


def test_a_full_disk_refuses_a_write_and_keeps_the_project_as_it_was(store, monkeypatch):
    import errno

    import core.storage.projects as projects

    project = store.create("P", SOURCE)

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(projects, "atomic_write_bytes", full)
        with pytest.raises(OSError):
            store.update(project.id, lambda p: p.with_version(version()))
    assert store.get(project.id).versions == () and store.get(project.id).revision == project.revision


def test_a_writer_killed_mid_save_leaves_a_readable_project(store, tmp_path):
    """kill -9 a process that saves as fast as it can: the project reads back whole, at some revision,
    and every labels file it names exists."""
    project = store.create("P", SOURCE)
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(os.getcwd())!r})
        from dataclasses import replace
        from core.storage.projects import ProjectStore, Version, now
        store = ProjectStore({str(store.root)!r})
        i = 0
        while True:
            i += 1
            name = store.put_labels({project.id!r}, np.arange(2000) % (i % 7 + 2))
            stamp = now()
            v = Version("v", {{"k": i}}, stamp, stamp, n=2000, base=name, names={{0: "x" * (i % 500)}})
            store.update({project.id!r}, lambda p: p.with_version(v))
            if i == 5:
                print("saving", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=os.getcwd())
    assert proc.stdout.readline().strip() == b"saving"  # it is saving now
    for _ in range(200):  # let it write some more, then kill it wherever it is
        if store.get(project.id).revision > 20:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = store.get(project.id)
    assert after.revision > 5 and len(after.versions) == 1
    assert store.labels(project.id, after.versions[0].base).shape == (2000,)
    # and the project can be written again (its lock died with the writer)
    assert store.update(project.id, lambda p: p).project.revision == after.revision + 1


def test_project_json_round_trips():
    stamp = now()
    v = Version("v", {"a": 1}, stamp, stamp, n=3, base="b.npy", labels=None, names={2: "x"}, notes={0: "n"},
                history=("renamed",))
    p = Project("abcdef123456", "P", Source("upload", "f.csv", "k", text_col=("a", "b")), stamp, stamp, stamp, 4,
                (v,), {"version": "v"})
    assert Project.from_json(json.loads(json.dumps(p.as_json()))) == p


def test_a_project_is_untouched_until_the_user_changes_something(store):
    from core.storage.projects import untouched

    fresh = store.create(store.unique_name("Demo corpus"), SOURCE)
    second = store.create(store.unique_name("Demo corpus"), SOURCE)
    assert second.name == "Demo corpus (2)" and untouched(fresh) and untouched(second)
    assert untouched(store.update(fresh.id, lambda p: p.with_version(version())).project)  # a new k: no work
    assert not untouched(store.update(fresh.id, lambda p: p.with_version(version(notes={0: "x"}))).project)
    assert not untouched(store.rename(second.id, "My study"))
    named = store.create("Demo corpus (3)", SOURCE)
    assert not untouched(store.update(named.id, lambda p: p.with_version(version(name="for the report"))).project)


def test_stored_settings_give_back_their_config():
    from core.config import RunConfig
    from core.storage.projects import settings_config, version_settings

    cfg = RunConfig().with_(data={"text_col": ("title", "body"), "fraction": 0.5}, cluster={"k": 7},
                            project={"method": "umap"}, refine={"enabled": True}, seed=3)
    stored = json.loads(json.dumps(cfg.to_dict()))  # as project.json holds them: lists, not tuples
    assert settings_config(stored) == cfg
    assert settings_config(version_settings(cfg), {"method": "umap"}) == cfg  # a version's, with the map's
    assert settings_config(version_settings(cfg)).project.method == "tsne"
    with pytest.raises(UserError, match="stored settings cannot be read"):
        settings_config({"cluster": {"k": 4, "clusters": "many"}})
