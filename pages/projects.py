"""Projects: every analysis, saved as you go; open, rename, copy or delete one, or start a new one."""
from __future__ import annotations

import streamlit as st

from core.errors import UserError, app_message
from core.storage.project_file import SUFFIX, file_name
from core.storage.project_list import project_row
from core.session.session_turn import holding
from pages import _cached as cached
from pages import _state as S
from pages._common import _turn as session_turn  # the session's turn, which the other pages' views take too
from pages._progress import ProgressPanel, WaitingNote, begin
from pages._project import notices_and_problem, open_project, put_in_widgets
from pages._safe import plain
from pages._sidebar import project_option
from pages._view import guarded

MAX_LISTED = 50


def _done(message: str, ok: bool = True) -> None:
    st.session_state[S.PROJECTS_DONE] = (ok, message)


def _open(pid: str) -> None:
    try:
        project = open_project(pid, project_option)
    except UserError as exc:
        _done(f"It cannot be opened: {app_message(exc)}", ok=False)
        return
    st.session_state[S.PROJECT_OPEN] = project.id  # the page goes to the map below


def _action(what, message) -> None:
    """Run a change of the list; its outcome, or why it failed, is one line at the top."""
    try:
        _done(message(what()))
    except UserError as exc:
        message = app_message(exc)
        _done(message[:1].upper() + message[1:] + ".", ok=False)
    except OSError as exc:
        _done(f"The change could not be saved ({exc.strerror or exc}).", ok=False)


def _rename(pid: str) -> None:
    name = st.session_state.get(f"{S.PROJECT_RENAME}:{pid}", "")
    _action(lambda: cached.session().rename_project(pid, name), lambda p: f"Renamed to '{p.name}'.")


def _duplicate(pid: str) -> None:
    _action(lambda: cached.session().duplicate_project(pid), lambda p: f"Copied as '{p.name}'.")


def _delete(pid: str, name: str) -> None:
    _action(lambda: cached.session().delete_project(pid), lambda _: f"Deleted '{name}'.")


def _import() -> None:
    """Import the uploaded project file as a new project and open it (the page then goes to the map)."""
    upload = st.session_state.get(S.IMPORT_FILE)
    if upload is None:
        return
    try:
        project = cached.session().import_project(upload.getvalue(), name=upload.name)
    except UserError as exc:
        _done(f"{upload.name} was not imported: {app_message(exc)}", ok=False)
        return
    put_in_widgets(project, project_option(project))
    st.session_state[S.PROJECT] = project.id
    st.session_state[S.PROJECT_OPEN] = project.id


def _export(project) -> None:
    """The open project as one file, made now (its versions computed again where the caches lost them)."""
    work = f"export-{project.id}"
    begin(work)
    waiting = WaitingNote(work)
    with holding(session_turn(), waiting):
        waiting.clear()
        progress = ProgressPanel(work)
        data = guarded(lambda: cached.session().export_project(progress=progress))
        progress.clear()
    st.session_state[S.EXPORT_FILE] = (project.id, project.revision, data)


def _new() -> None:
    cached.session().close()
    st.session_state[S.PROJECT] = None
    _done("Closed. The Map page's next view starts a new project (or continues an unchanged one of the same data).")


session = cached.session()
if st.session_state.pop(S.PROJECT_OPEN, None):
    st.switch_page("pages/map.py")  # its sidebar shows the project's settings, set by Open

st.title("Projects")
st.caption("Every analysis is a project, saved as you go: its data (an upload is kept with it), its settings, and "
           "for each clustering (each k, fraction, encoder setting, Refine on or off: a version) the edits, names "
           "and notes. A visit that changes nothing reuses the unchanged project of the same data, so the list "
           "holds your work rather than your visits.")
notices_and_problem()
outcome = st.session_state.pop(S.PROJECTS_DONE, None)
if outcome:
    ok, message = outcome
    (st.success if ok else st.error)(plain(message), icon=":material/check:" if ok else ":material/error:")

current = session.project
here, new = st.columns([4, 1], vertical_alignment="center")
if current is not None:
    here.markdown(f"Open now: **{plain(current.name)}**")
    new.button("New project", icon=":material/add:", on_click=_new,
               help="Closes this project (it stays in the list); the Map page's next view starts another.")
else:
    here.caption("No project is open: the Map page's first view starts one.")

projects = guarded(session.projects)
if not projects:
    st.info("No projects yet: the Map page's first view makes one.")
find = st.text_input("Find a project", placeholder="part of its name or its data's name") if len(projects) > 10 else ""
rows = [project_row(p) for p in projects]
if find:
    rows = [r for r in rows if find.lower() in f"{r.name} {r.source}".lower()]
for row in rows[:MAX_LISTED]:
    is_open = current is not None and current.id == row.id
    with st.container(border=True):
        info, actions = st.columns([3, 2], vertical_alignment="center")
        info.markdown(f"**{plain(row.name)}**" + (" · open now" if is_open else ""))
        info.caption(plain(row.caption()))
        with actions.container(horizontal=True, horizontal_alignment="right"):
            st.button("Open", key=f"{S.PROJECT_OPEN}:{row.id}", on_click=_open, args=(row.id,),
                      icon=":material/folder_open:", disabled=is_open, help="Show its last view on the Map page.")
            with st.popover("Rename", icon=":material/edit:"):
                st.text_input("New name", row.name, key=f"{S.PROJECT_RENAME}:{row.id}", max_chars=80)
                st.button("Save the name", key=f"{S.PROJECT_RENAME}:{row.id}:save", on_click=_rename, args=(row.id,))
            st.button("Duplicate", key=f"copy:{row.id}", on_click=_duplicate, args=(row.id,),
                      icon=":material/content_copy:",
                      help="A copy with its data, versions and edits, to try something without changing this one.")
            with st.popover("Delete", icon=":material/delete:"):
                st.markdown(f"Delete **{plain(row.name)}** with all its versions and edits? This cannot be undone.")
                st.button("Delete for good", key=f"{S.PROJECT_DELETE}:{row.id}", type="primary", on_click=_delete,
                          args=(row.id, row.name))
if len(rows) > MAX_LISTED:
    st.caption(f"Showing the {MAX_LISTED} most recently opened of {len(rows):,} projects: type in *Find a project* "
               "to see the others.")

st.subheader("Share a project")
send, receive = st.columns(2)
with send:
    if current is None:
        st.caption("Open a project to export it.")
    else:
        st.caption("The open project as one file: its data, settings, versions, edits, names and notes, with its "
                   "vectors, encoders and maps, so another ClusterLens opens it without embedding or training.")
        if st.button("Prepare the project file", icon=":material/package_2:", key=S.EXPORT_PREPARE):
            _export(current)
        made = st.session_state.get(S.EXPORT_FILE)
        if isinstance(made, tuple) and made[0] == current.id:
            st.download_button(f"Download {file_name(current)} ({len(made[2]) / 1e6:.1f} MB)", made[2],
                               file_name(current), "application/zip", icon=":material/download:", on_click="ignore")
            if made[1] != session.project.revision:
                st.caption("The project changed since: prepare the file again to include the changes.")
with receive:
    st.file_uploader(f"Import a project file ({SUFFIX})", key=S.IMPORT_FILE,
                     help="A file exported by ClusterLens (with Prepare the project file, here or on another server). "
                          "It becomes a new project, opened on the Map page.")
    if st.session_state.get(S.IMPORT_FILE) is not None:
        st.button("Import and open", icon=":material/upload_file:", on_click=_import, key=S.IMPORT_OPEN)
