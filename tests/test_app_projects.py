"""AppTest of the Projects page (issue 26): the list, Open, Rename, Duplicate, Delete with confirmation and
New project; an upload's project reopened from its own copy; a save that failed is a warning with its
two ways out, and another tab's change a notice."""
from __future__ import annotations

import errno

import pytest

from apphelpers import shown
from core.storage.projects import ProjectStore
from test_app_map import legend

PROJECTS = "pages/projects.py"


def ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def text(element) -> str:
    return element.value.replace("\\", "")  # messages are shown through pages._safe.plain


def click(at, key: str):
    at.button(key=key).click().run()
    return ok(at)


def rows(at) -> list[str]:
    """The projects listed, by name (each row's bold name, as Markdown)."""
    return [m.value.split("**")[1].replace("\\", "") for m in at.main.markdown
            if m.value.startswith("**")]


def captions(at) -> list[str]:
    return [c.value.replace("\\", "") for c in at.main.caption]


def badge(at) -> str:
    return " ".join(link.label.replace("\\", "") for link in at.sidebar.get("page_link"))


def rename_cluster(at, cluster: int, name: str):
    at.switch_page("pages/clusters.py").run()
    at.selectbox(key="edit_rename_cluster").set_value(cluster)
    at.text_input(key="edit_rename_to").input(name)
    next(b for b in at.button if b.label == "Rename").click().run()
    return ok(at)


def test_the_list_renames_copies_and_deletes_with_confirmation(fake_app):
    at = ok(fake_app().run())
    pid = at.query_params["project"]  # the URL names the project the first view made
    at.switch_page(PROJECTS).run()
    ok(at)
    name = rows(at)[0]
    assert name.endswith("app.csv") and len(rows(at)) == 1 and f"Project: {name}" in badge(at)
    assert any("200 texts · k=4 · 1 version · no edits · opened just now" in c for c in captions(at)), captions(at)

    at.text_input(key=f"project_rename:{pid}").input("  Sports   study ")
    click(at, f"project_rename:{pid}:save")
    assert rows(at) == ["Sports study"] and "Renamed to 'Sports study'." in text(at.success[0])
    assert "Project: Sports study" in badge(at)  # the sidebar follows at once
    at.text_input(key=f"project_rename:{pid}").input("   ")
    at.button(key=f"project_rename:{pid}:save").click().run()
    assert "Type a name for the project" in text(at.error[0]) and rows(at) == ["Sports study"]  # nothing changed

    click(at, f"copy:{pid}")
    assert sorted(rows(at)) == ["Sports study", "Sports study (copy)"]
    copy = next(p.id for p in ProjectStore().list() if p.id != pid)
    assert at.button(key=f"project_delete:{copy}").label == "Delete for good"  # behind the Delete popover
    click(at, f"project_delete:{copy}")
    assert rows(at) == ["Sports study"] and [p.id for p in ProjectStore().list()] == [pid]


def test_open_shows_the_projects_last_view_and_new_project_starts_another(fake_app):
    at = ok(fake_app().run())
    first = at.query_params["project"]
    rename_cluster(at, 0, "Money")  # an edited project: a new project will not reuse it
    at.sidebar.slider(key="k").set_value(3).run()
    ok(at)
    at.sidebar.slider(key="k").set_value(4).run()  # its last view: k=4 with the name
    _, labels = shown(at)
    at.switch_page(PROJECTS).run()
    next(b for b in at.button if b.label == "New project").click().run()
    assert "Closed." in text(at.success[0]) and "Projects (a new one" in badge(at)

    at.switch_page("pages/map.py").run()
    at.sidebar.slider(key="k").set_value(6).run()
    ok(at)
    second = at.query_params["project"]
    assert second != first and len(legend(at)) == 6

    at.switch_page(PROJECTS).run()
    assert len(rows(at)) == 2
    click(at, f"project_open:{first}")  # Open: the map with the project's settings
    assert at.sidebar.slider(key="k").value == 4 and at.query_params["project"] == first
    assert "0: Money" in legend(at) and (shown(at)[1] == labels).all()
    assert at.session_state["session"].project.id == first


def test_an_uploaded_projects_file_reopens_without_a_new_upload(fake_app, app_csv):
    at = fake_app(data=None)
    at.run()
    at.sidebar.radio(key="source").set_value("Upload a file").run()
    at.sidebar.file_uploader[0].set_value(("news.csv", app_csv.read_bytes(), "text/csv")).run()
    at.sidebar.slider(key="k").set_value(3).run()
    ok(at)
    pid = at.query_params["project"]
    assert at.query_params["upload"] == "news.csv"  # named too: another server asks for the file
    rename_cluster(at, 1, "Rockets")
    before = len(ProjectStore().list())  # this one, and the demo's that the first view (offline) made

    again = fake_app(data=None)  # a reload: a new session on the same URL, no file in the uploader
    again.query_params = {"project": pid, "upload": "news.csv", "k": "3"}
    ok(again.run())
    side = again.sidebar
    assert side.radio(key="source").value == "This project's file" and not side.file_uploader[0].value
    assert "upload it again" not in " ".join(i.value for i in side.info)
    assert side.slider(key="k").value == 3 and "1: Rockets" in legend(again)
    assert "200 texts" in again.caption[0].value
    assert again.query_params["project"] == pid and len(ProjectStore().list()) == before


def test_a_failed_save_is_a_warning_with_try_again_and_save_as_new(fake_app, monkeypatch):
    at = ok(fake_app().run())
    pid = at.query_params["project"]

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(ProjectStore, "update", full)
        at.switch_page("pages/clusters.py").run()
        at.selectbox(key="edit_rename_cluster").set_value(0)
        at.text_input(key="edit_rename_to").input("World")
        next(b for b in at.button if b.label == "Rename").click().run()
        assert not at.exception
        assert "could not be saved (No space left on device)" in text(at.warning[0])
        assert {b.label for b in at.button} >= {"Try saving again", "Save as a new project"}
        at.button(key="save_again").click().run()  # the disk is still full
        assert "still cannot be saved" in text(at.error[0]) and at.warning
    assert ProjectStore().get(pid).current.names == {}
    at.button(key="save_again").click().run()  # it takes writes again
    assert "saved again" in text(at.success[0]) and not at.warning
    assert ProjectStore().get(pid).current.names == {0: "World"}

    ProjectStore().delete(pid)  # in another tab
    at.selectbox(key="edit_rename_cluster").set_value(1)
    at.text_input(key="edit_rename_to").input("Sport")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert "was deleted" in text(at.warning[0])
    assert "Try saving again" not in {b.label for b in at.button}  # there is nothing to save it over
    at.button(key="save_as_new").click().run()
    ok(at)
    assert "Saved as the new project" in text(at.success[0]) and not at.warning
    (saved,) = ProjectStore().list()
    assert saved.current.names == {0: "World", 1: "Sport"} and at.query_params["project"] == saved.id


def test_another_tabs_change_is_a_notice(fake_app):
    from core.session.session import Session

    at = ok(fake_app().run())
    other = Session(at.session_state["session"].bench)  # a second tab on the same project
    other.open(at.query_params["project"])
    other.rename(other.view(*at.session_state["current"]), 2, "Elsewhere")
    at.run()
    ok(at)
    assert any("changed in another tab" in i.value for i in at.info)
    assert "2: Elsewhere" in legend(at)


@pytest.mark.parametrize("demo", [False, True], ids=["a file", "the demo"])
def test_export_then_import_into_an_empty_cache_folder_shows_the_same_view_without_embedding(
        fake_app, monkeypatch, tmp_path, demo):
    """A file's project comes back as an upload (its own copy); the demo's as the demo, with its own vectors."""
    import streamlit as st

    import pages._cached as cached
    from core import pipeline

    files = {}
    main = st.download_button

    def spy(label, data, *args, **kwargs):
        files[label] = data
        return main(label, data, *args, **kwargs)

    at = fake_app(data=None) if demo else fake_app()
    at.query_params = {"data": "demo"} if demo else {}
    ok(at.run())
    rename_cluster(at, 2, "Markets")
    at.switch_page("pages/map.py").run()
    before = legend(at)
    at.switch_page(PROJECTS).run()
    with monkeypatch.context() as patched:
        patched.setattr(st, "download_button", spy)
        at.button(key="export_prepare").click().run()
    ok(at)
    (label, data), = files.items()
    assert label.startswith("Download ") and label.endswith(".clusterlens (" + f"{len(data) / 1e6:.1f} MB)")

    other = tmp_path / "other"  # another ClusterLens: an empty cache folder, nothing in memory
    other.mkdir()
    monkeypatch.setenv("CLUSTERLENS_CACHE_DIR", str(other))
    cached.CACHE.clear()

    def never(*args, **kwargs):
        raise AssertionError("an imported project must not be trained again")

    monkeypatch.setattr(pipeline, "train", never)
    fresh = fake_app(data=None)
    fresh.switch_page(PROJECTS).run()  # the Projects page first: no view, so no project of the demo
    ok(fresh)
    encoded = fresh.fake.texts_encoded
    fresh.file_uploader(key="import_file").set_value(("app.clusterlens", data, "application/zip")).run()
    fresh.button(key="import_open").click().run()
    ok(fresh)
    assert legend(fresh) == before and "2: Markets" in before
    own = "Demo corpus (bundled, fictional)" if demo else "This project's file"
    assert fresh.sidebar.radio(key="source").value == own
    assert fresh.fake.texts_encoded == encoded  # no text embedded again

    bad = fake_app(data=None)
    bad.switch_page(PROJECTS).run()
    bad.file_uploader(key="import_file").set_value(("broken.clusterlens", data[: len(data) // 2], "application/zip"))
    bad.run()
    bad.button(key="import_open").click().run()
    assert not bad.exception and "broken.clusterlens was not imported" in text(bad.error[0])
    assert len(ProjectStore().list()) == 1  # nothing written
