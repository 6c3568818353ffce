"""The open project in the app: opening one puts its last view's settings into the sidebar's widgets
(from the Projects page, or a link's ``?project=`` on the session's first run, before the widgets are
drawn); the sidebar names it with a link to the Projects page; what could not be saved is a warning
with the two ways out, and another tab's change a notice. The projects themselves are the session's
(``core.session.session``)."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from core.projection import project as projections
from core.embedding.embedders import DEFAULT_EMBEDDER
from core.errors import UserError, app_message
from core.storage.projects import Project, settings_config
from core.session.view_link import parse, to_query

from . import _cached as cached
from . import _state as S
from ._link import DIRECT
from ._safe import plain

PROJECTS_PAGE = "pages/projects.py"
#: the data source radio's option for the open project's own copy of its data (an upload, a file)
PROJECT_FILE = "This project's file"
#: the page settings a project does not keep (a link's view of a page), left as they are
PAGE_SETTINGS = ("colour", "focus", "q")


def put_in_widgets(project: Project, option: str) -> None:
    """The project's last view's settings into the sidebar's widget state (``option``: the data source
    radio's option for its data). Call before the widgets are drawn (a link's first run, a button's
    callback). Values a widget cannot show are left out, as a link's are."""
    state = st.session_state
    stored = project.view.get("settings") or {}
    try:
        cfg = settings_config(stored)
    except UserError:
        return  # a project from another ClusterLens: the sidebar keeps its settings
    settings, _ = parse(to_query(cfg, data=None))  # the link's parser: the widgets' ranges
    state[S.SOURCE] = option
    state[f"{S.FRACTION}:{project.source.key}"] = settings.pop("fraction", cfg.data.fraction)
    for name, key in DIRECT.items():
        if name in settings and name not in PAGE_SETTINGS:
            state[key] = settings[name]
    if "projection" in settings:
        state[S.PROJECTION] = projections.get(settings["projection"]).label
    if S.K in state:  # the k this data is shown with (else the sidebar would restore its own, or suggest one)
        state.setdefault(S.K_CHOSEN, {})[project.source.key] = state[S.K]
    state[S.REFINE] = bool(cfg.refine.enabled)
    state[S.EMBEDDER] = settings.get("embedder", DEFAULT_EMBEDDER)  # a link leaves the default out
    text_col = cfg.data.text_col
    state[S.TEXT_COL] = list(text_col) if isinstance(text_col, tuple) else [text_col] if text_col else []
    state[S.LABEL_COL] = cfg.data.label_col or "(detect)"
    pending = state.get(S.LINK_PENDING)
    if isinstance(pending, dict):  # a link's upload or fraction waits for nothing now
        pending.pop("upload", None)
        pending.pop("fraction", None)


def open_project(pid: str, option_of: Callable[[Project], str]) -> Project:
    """Open project ``pid`` in this session and put its settings into the widgets (``option_of(project)``:
    its data source option); a UserError says why it cannot be opened."""
    project = cached.session().open(pid)
    put_in_widgets(project, option_of(project))
    st.session_state[S.PROJECT] = project.id
    return project


def badge_slot() -> None:
    """At the top of the sidebar: a place for the open project's name (filled now and again after the
    page's view, which may have made the project)."""
    st.session_state[S.PROJECT_BADGE] = st.empty()
    badge()


def badge() -> None:
    """The open project's name, linking to the Projects page."""
    slot = st.session_state.get(S.PROJECT_BADGE)
    if slot is None:
        return
    session = cached.session()
    project = session.project
    with slot.container():
        if project is None:
            st.page_link(PROJECTS_PAGE, label="Projects (a new one starts with the first view)",
                         icon=":material/folder_open:")
            return
        st.page_link(PROJECTS_PAGE, label=f"Project: {plain(project.name)}", icon=":material/folder_open:",
                     help="Saved as you go. The Projects page lists, opens, renames and copies projects.")
        if session.problem:
            st.caption(":material/warning: not saved: see the warning on the page")


def _save_again() -> None:
    try:
        cached.session().save_again()
        st.session_state[S.SAVE_RESULT] = ("success", "The project is saved again.")
    except (UserError, OSError) as exc:
        reason = app_message(exc) if isinstance(exc, UserError) else (exc.strerror or str(exc))
        st.session_state[S.SAVE_RESULT] = ("error", f"It still cannot be saved ({reason}).")


def _save_as_new() -> None:
    try:
        project = cached.session().save_as_new()
        st.session_state[S.PROJECT] = project.id
        st.session_state[S.SAVE_RESULT] = ("success", f"Saved as the new project '{project.name}'.")
    except (UserError, OSError) as exc:
        reason = app_message(exc) if isinstance(exc, UserError) else (exc.strerror or str(exc))
        st.session_state[S.SAVE_RESULT] = ("error", f"It cannot be saved as a new project either ({reason}).")


def notices_and_problem() -> None:
    """Another tab's change (one info line each), and a save that failed: a warning with *Try saving
    again* (the disk takes writes again) and *Save as a new project* (the project was deleted meanwhile)."""
    session = cached.session()
    for notice in session.take_notices():
        st.info(plain(notice), icon=":material/sync:")
    outcome: Any = st.session_state.pop(S.SAVE_RESULT, None)
    if outcome:
        kind, message = outcome
        (st.success if kind == "success" else st.error)(plain(message), icon=":material/save:")
    if not session.problem:
        return
    st.warning(plain(session.problem), icon=":material/save:")
    again, new = st.columns(2)
    if not session.project_gone:
        again.button("Try saving again", key=S.SAVE_AGAIN, on_click=_save_again, icon=":material/refresh:")
    new.button("Save as a new project", key=S.SAVE_AS_NEW, on_click=_save_as_new, icon=":material/save_as:")
