"""core.session.session: the one door. A view belongs to a project version named by its settings; edits, names
and notes are written to the project as they are made and survive a change of k, a new session (a
server restart) and a second tab; cluster numbers are a function of the clustering; a disk that
refuses writes or a project deleted elsewhere costs a message, never the work."""
import errno

import numpy as np
import pytest

from core.config import ClusterConfig, DataConfig, EncoderConfig, RunConfig
from core.errors import UserError
from core.storage.projects import ProjectStore
from core.session.session import Session, Workbench
from core.session.view import DataSource
from fakes import FakeEmbedder

DEMO = DataSource("demo", "demo", "Demo corpus", is_demo=True, kind="demo")


@pytest.fixture
def bench():
    fake = FakeEmbedder()
    return Workbench(load_embedder=lambda model, backend: fake, precompute=False)


def cfg(k: int = 4, seed: int = 0) -> RunConfig:
    return RunConfig(data=DataConfig(source="demo", fraction=1.0), encoder=EncoderConfig(epochs=2),
                     cluster=ClusterConfig(k=k), seed=seed)


def test_edits_live_in_the_version_of_their_settings_and_survive_a_new_session(bench):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    pid = session.project.id
    assert view.ids == [0, 1, 2, 3] and not view.edited
    session.rename(view, 2, "Markets")
    session.note(view, 1, "check the sports texts")
    view = session.view(DEMO, cfg(4))
    session.accept_split(view, session.split_preview(view, 0, 2))
    view = session.view(DEMO, cfg(4))
    assert view.ids == [0, 1, 2, 3, 4] and view.edited and view.name(2) == "2: Markets"
    labels = view.labels.copy()

    other_k = session.view(DEMO, cfg(5))  # a change of k: another version, its own clusters
    assert other_k.k == 5 and not other_k.edited and other_k.user_names == {}
    back = session.view(DEMO, cfg(4))  # back to k=4: the edits are back
    np.testing.assert_array_equal(back.labels, labels)
    assert back.user_names == {2: "Markets"} and back.notes == {1: "check the sports texts"}

    restarted = Session(Workbench(load_embedder=bench.load_embedder, precompute=False))  # a new server process
    restarted.open(pid)
    again = restarted.view(DEMO, cfg(4))
    np.testing.assert_array_equal(again.labels, labels)
    assert again.name(2) == "2: Markets" and again.history == back.history
    assert len(restarted.project.versions) == 2


def test_cluster_numbers_do_not_depend_on_the_path_taken(bench):
    one, two = Session(bench), Session(bench)
    one.view(DEMO, cfg(3))
    a = one.view(DEMO, cfg(4))
    two.view(DEMO, cfg(6))
    b = two.view(DEMO, cfg(4))
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.names() == b.names()
    sizes = [s.size for s in a.summaries]
    assert sizes == sorted(sizes, reverse=True)  # cluster 0 is the largest


def test_a_merge_keeps_the_other_clusters_ids_names_and_notes(bench):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    session.rename(view, 3, "Science")
    session.rename(view, 1, "Sport")
    view = session.view(DEMO, cfg(4))
    session.merge(view, [0, 1])
    view = session.view(DEMO, cfg(4))
    assert view.ids == [0, 2, 3] and view.user_names == {3: "Science"}  # 1's name went with it
    with pytest.raises(UserError, match="no cluster 1"):
        session.rename(view, 1, "Gone")
    session.undo_edits(view)
    assert session.view(DEMO, cfg(4)).ids == [0, 1, 2, 3]


def test_two_tabs_on_one_project_lose_nothing_and_the_other_tab_is_told(bench):
    first = Session(bench)
    view = first.view(DEMO, cfg(4))
    second = Session(bench)
    second.open(first.project.id)
    stale = second.view(DEMO, cfg(4))
    first.rename(view, 0, "World")
    second.rename(stale, 1, "Sport")  # made on a state that did not have the first tab's rename yet
    assert any("another tab" in n for n in second.take_notices())
    assert second.view(DEMO, cfg(4)).user_names == {0: "World", 1: "Sport"}
    assert first.view(DEMO, cfg(4)).user_names == {0: "World", 1: "Sport"}
    assert any("another tab" in n for n in first.take_notices())


def test_a_full_disk_keeps_the_work_in_the_session_and_says_so(bench, monkeypatch):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    pid = session.project.id

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(ProjectStore, "update", full)
        session.rename(view, 0, "World")
        assert "could not be saved (No space left on device)" in session.problem
        assert session.view(DEMO, cfg(4)).user_names == {0: "World"}  # it keeps working
    assert ProjectStore().get(pid).current.names == {}  # nothing half-written
    session.save_again()  # the disk takes writes again
    assert session.problem is None and ProjectStore().get(pid).current.names == {0: "World"}


def test_a_project_deleted_in_another_tab_is_kept_in_memory_and_can_be_saved_anew(bench):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    ProjectStore().delete(session.project.id)
    session.rename(view, 0, "World")
    assert "was deleted" in session.problem
    assert session.view(DEMO, cfg(4)).user_names == {0: "World"}
    saved = session.save_as_new("Rescued")
    assert session.problem is None
    reopened = Session(bench)
    reopened.open(saved.id)
    assert reopened.view(DEMO, cfg(4)).user_names == {0: "World"}


def test_opening_a_missing_or_damaged_project_is_one_clear_error(bench):
    session = Session(bench)
    with pytest.raises(UserError, match="no longer exists|no project"):
        session.open("0123456789ab")
    assert session.project is None


def test_a_visit_that_changes_nothing_reuses_the_unchanged_project_of_its_data(bench):
    import gc

    first = Session(bench)
    first.view(DEMO, cfg(4))
    pid = first.project.id
    busy = Session(bench)  # while the first session has it open, another visit gets its own
    busy.view(DEMO, cfg(4))
    assert busy.project.id != pid
    del first, busy
    gc.collect()  # both visits ended
    again = Session(bench)
    again.view(DEMO, cfg(5))
    assert again.project.id in {p.id for p in ProjectStore().list()} and len(ProjectStore().list()) == 2
    reused = again.project.id
    view = again.view(DEMO, cfg(5))
    again.rename(view, 0, "Kept")  # now it holds work: never reused
    del again, view
    gc.collect()
    later = Session(bench)
    later.view(DEMO, cfg(4))
    assert later.project.id != reused and len(ProjectStore().list()) == 2  # the other unchanged one
    assert ProjectStore().get(reused).current.names == {0: "Kept"}


def test_the_projects_page_renames_copies_and_deletes_through_the_session(bench):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    pid = session.project.id
    session.rename(view, 1, "Sport")
    assert session.rename_project(pid, "  My   study ").name == "My study" == session.project.name
    with pytest.raises(UserError, match="type a name"):
        session.rename_project(pid, " ")
    copy = session.duplicate_project(pid)
    assert copy.name == "My study (copy)" and copy.current.names == {1: "Sport"}
    session.delete_project(pid)  # the open one: the session leaves it first
    assert session.project is None and session.problem is None
    assert [p.id for p in session.projects()] == [copy.id]


def test_versions_are_named_kept_as_snapshots_and_viewed_as_computed_or_edited(bench):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    vid = view.version.id
    session.merge(view, [2, 3])
    session.rename(session.view(DEMO, cfg(4)), 0, "World")
    snap = session.snapshot(vid, "after the merge")
    assert snap.id != vid and snap.name == "after the merge" and snap.names == {0: "World"}
    view = session.view(DEMO, cfg(4))
    session.undo_edits(view)  # later edits go on in the version; the snapshot keeps its state
    session.name_version(vid, "k=4 for the report")
    other = session.view(DEMO, cfg(5)).version.id  # the current view is now k=5

    edited = session.version_view(DEMO, snap.id)
    computed = session.version_view(DEMO, snap.id, edited=False)
    assert edited.ids == [0, 1, 2] and edited.name(0) == "0: World"
    assert computed.ids == [0, 1, 2, 3] and computed.user_names == {}
    assert session.project.version(vid).name == "k=4 for the report" and not session.project.version(vid).edited
    assert session.project.view["version"] == other  # viewing a version changes nothing shown
    with pytest.raises(UserError, match="no such version"):
        session.version_view(DEMO, "nope")
    with pytest.raises(UserError, match="type a name"):
        session.snapshot(vid, "")


# -- new texts ----------------------------------------------------------------------------------------
def test_new_texts_take_the_shown_clusters_with_the_users_names_and_a_place_on_the_map(bench):
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    session.rename(view, 2, "Markets")
    view = session.view(DEMO, cfg(4))
    session.merge(view, [0, 1])
    view = session.view(DEMO, cfg(4))
    rows = [0, 5, 17, 100, 200]
    got = session.assign(view, [view.corpus.texts[i] for i in rows])  # texts the run holds: their own clusters
    np.testing.assert_array_equal(got.clusters, view.labels[rows])
    assert got.names == [view.name(int(c)) for c in view.labels[rows]] and "2: Markets" in view.names().values()
    np.testing.assert_allclose(got.xy, view.xy[rows], atol=1e-3)  # on their own points; no old point moves
    fresh = session.assign(view, ["  Oil prices rose again as markets &amp; traders waited  ", "Cup final won"])
    assert set(fresh.clusters) <= set(view.ids) and ((fresh.confidence >= 0) & (fresh.confidence <= 1)).all()
    assert np.isfinite(fresh.xy).all()
    with pytest.raises(UserError, match="new text 2 is empty"):
        session.assign(view, ["fine", "   "])


def test_a_new_file_is_assigned_row_by_row_with_its_own_columns(bench):
    import pandas as pd

    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    table = pd.DataFrame({"title": ["Rates cut", "", "Striker scores twice"],
                          "description": ["The bank cut rates.", None, "A late double won the derby."],
                          "source": ["wire", "wire", "desk"]})
    out, assigned, rows = session.assign_table(view, table)
    assert rows.tolist() == [0, 2] and len(assigned) == 2
    assert list(out.columns) == ["title", "description", "source", "cluster", "cluster_name", "confidence", "x", "y"]
    assert out["cluster"].isna().tolist() == [False, True, False]


def test_clusters_from_an_uploaded_embeddings_file_cannot_take_new_texts(bench, tmp_path):
    from core.embedding.embed_file import FileEmbedder, read_embeddings, write_embeddings

    texts = bench.corpus(DEMO, cfg(4))[1].texts
    write_embeddings(str(tmp_path / "v.parquet"), texts, FakeEmbedder().encode(texts), model=cfg().embed.model,
                     fingerprint="fake-v1", backend="fake")
    file = FileEmbedder(read_embeddings(str(tmp_path / "v.parquet")), model=cfg().embed.model)
    session = Session(bench)
    view = session.view(DataSource("demo", "demo", "Demo corpus", is_demo=True, kind="demo", embeddings=file), cfg(4))
    with pytest.raises(UserError, match="uploaded embeddings file, which cannot embed new texts"):
        session.assign(view, ["a new text"])


def test_a_search_query_is_embedded_on_the_backend_the_texts_were(monkeypatch):
    """``auto`` on a small sample embeds with torch where it would pick ONNX; a query must take the same
    model (not wait for an ONNX export, nor land in another backend's space)."""
    import core.embedding.backends

    monkeypatch.setattr(core.embedding.backends, "resolve_backend", lambda requested: "onnx-int8")
    fake, loaded = FakeEmbedder(), []
    bench = Workbench(load_embedder=lambda model, backend: loaded.append(backend) or fake, precompute=False)
    session = Session(bench)
    view = session.view(DEMO, cfg(4))
    assert view.cfg.embed.backend == "auto" and set(loaded) == {"torch-fp32"}  # the embed stage's choice
    loaded.clear()
    assert session.search_embedder(view) is fake
    assert loaded == ["torch-fp32"]


def test_an_imported_projects_vectors_serve_only_runs_of_their_model(bench, monkeypatch):
    """Review of issue 29's merge: with the Embedder switched, an imported project's kept (MiniLM)
    vectors were clustered as the other model's; now the other model embeds the texts itself."""
    from types import SimpleNamespace

    import core.session.session as session_module
    from core.config import EmbedConfig

    seen = []
    monkeypatch.setattr(session_module, "run", lambda cfg, **kw: seen.append((kw["embedder"], kw["store"])))
    kept = SimpleNamespace(name="all-MiniLM-L6-v2")
    source = DataSource("k", "demo", "demo", kept=kept)
    bench.run(source, RunConfig())
    bench.run(source, RunConfig(embed=EmbedConfig(model="static-minilm-l6-v2")))
    assert seen[0][0] is kept and seen[0][1] is None  # the kept vectors, never through the store
    assert seen[1][0] is None and seen[1][1] is not None  # the static model, through the usual path
