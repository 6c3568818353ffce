"""The view in the page's URL: a link that reproduces it, and a reload that keeps it.

On a session's first run the URL's settings (``core.session.view_link``) are put into the widgets' session
state before the sidebar draws them; on every run the URL is rewritten from the settings in use, so
a browser reload (a new session on the same URL) opens the same view. A focused cluster stays in the
link only with the data and settings it was chosen on (:func:`focus_on`). Page widgets that are not on
the current page (the map's colour-by and search box) are remembered and restored when their page
shows again, so they stay in the link.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from core.projection import project as projections
from core.config import RunConfig
from core.errors import UserError, app_message
from core.storage.projects import Project
from core.session.view_link import clustering_key, link_source, linked_focus, parse, to_query

from . import _state as S
from ._safe import plain

#: link parameter -> the widget's session-state key, for settings taken as they are
DIRECT = {"k": S.K, "method": S.CLUSTER_METHOD, "objective": S.OBJECTIVE, "hidden": S.HIDDEN, "latent": S.LATENT,
          "epochs": S.EPOCHS, "seed": S.SEED, "embedder": S.EMBEDDER, "colour": S.COLOUR_BY, "focus": S.FOCUS_CLUSTER,
          "q": S.SEARCH_QUERY}
STICKY = (S.COLOUR_BY, S.SEARCH_QUERY)  # page widgets: their state goes when their page is not shown
DEFAULT_COLOUR = "Cluster"


def read_once(demo: str, hub: str, upload: str, open_project: Callable[[str], Project] | None = None) -> None:
    """Before the sidebar's widgets: on the session's first run, the URL's settings into session state
    (``demo``, ``hub``, ``upload``: the source radio's options); on later runs, restore page widgets.
    ``open_project(id)`` opens the project a link names and puts its settings into the widgets (a
    UserError when it cannot); the link's own settings then apply over them, but for the data source,
    which is the project's."""
    state = st.session_state
    if S.LINK_READ not in state:
        state[S.LINK_READ] = True
        settings, notices = parse(st.query_params.to_dict())
        if "project" in settings and open_project is not None:
            try:
                project = open_project(settings["project"])
            except UserError as exc:
                notices.append(f"The link's project could not be opened on this server ({app_message(exc)}); "
                               "the link's other settings were used.")
            else:
                for name in ("data", "upload"):
                    settings.pop(name, None)
                if "fraction" in settings:
                    state[f"{S.FRACTION}:{project.source.key}"] = settings.pop("fraction")
                if "k" in settings:  # the link's k is the one the project's data is shown with
                    state.setdefault(S.K_CHOSEN, {})[project.source.key] = settings["k"]
        state[S.LINK_NOTICES] = (notices, None)
        for name, key in DIRECT.items():
            if name in settings:
                state[key] = settings[name]
        if "projection" in settings:
            state[S.PROJECTION] = projections.get(settings["projection"]).label
        if "focus" in settings:  # tied to the first data and settings the link resolves to (see offer)
            state[S.FOCUS_LINK] = (None, settings["focus"])
        if "data" in settings:
            state[S.SOURCE] = demo if settings["data"] == "demo" else hub
        elif "upload" in settings:
            state[S.SOURCE] = upload
        state[S.LINK_PENDING] = {k: settings[k] for k in ("fraction", "upload") if k in settings}
        state[S.LINK_STICKY] = {key: state[key] for key in STICKY if key in state}
    for key, value in state.get(S.LINK_STICKY, {}).items():
        if key not in state:
            state[key] = value


def fraction_from_link(key: str, source_label: str | None) -> None:
    """Before the fraction slider of the source keyed ``key``: the link's fraction, once, for the first
    source that shows (for an upload: only the file the link names)."""
    pending = st.session_state.get(S.LINK_PENDING, {})
    if source_label is None or "fraction" not in pending:
        return
    if pending.get("upload") not in (None, source_label):
        return
    fraction = pending.pop("fraction")
    st.session_state.setdefault(key, fraction)


def upload_again() -> None:
    """While the uploader is empty: name the file a link (or the page before a reload) was made with."""
    name = st.session_state.get(S.LINK_PENDING, {}).get("upload")
    if name:
        st.info(f"This view was made with the file {plain(name)}: upload it again to see it. The other "
                "settings are kept.", icon=":material/upload_file:")


def _data(source) -> tuple[str | None, str | None]:
    """(``data``, ``upload``) for the link: a shareable source by name, an upload by its file name."""
    if source is None:
        return None, st.session_state.get(S.LINK_PENDING, {}).get("upload")
    if source.key.startswith("upload:"):
        return None, source.label
    return link_source(source.key), None


def focus_on(view, cluster: int) -> None:
    """The map sends the user to ``cluster`` (the Clusters page opens it). The link carries it only
    with the data and settings it was chosen on (cluster numbers are a function of the clustering, so
    a new session of the link numbers it the same). Not for edited or refined clusters: a link
    carries neither."""
    state = st.session_state
    state[S.FOCUS_CLUSTER] = cluster
    if view.edited or view.cfg.refine.enabled or cluster not in view.ids:
        state.pop(S.FOCUS_LINK, None)
        return
    state[S.FOCUS_LINK] = (clustering_key(view.source.run_key, view.cfg), int(cluster))


def _focus(source, cfg: RunConfig) -> int | None:
    """The focused cluster the link carries (see :func:`focus_on`); a link's own focus is tied here to
    the first data and settings it resolves to."""
    state = st.session_state
    tied = state.get(S.FOCUS_LINK)
    if source is None:
        return linked_focus(tied, None, cfg.cluster.k)  # a link's, while its upload is awaited
    key = clustering_key(source.run_key, cfg)
    if tied is not None and tied[0] is None:
        tied = state[S.FOCUS_LINK] = (key, tied[1])
    return linked_focus(tied, key, cfg.cluster.k)


def query(source, cfg: RunConfig, project: Project | None = None) -> dict[str, str]:
    """The link's query for the settings in use (``project``: the open one, named when it holds the data)."""
    state = st.session_state
    data, upload = _data(source)
    pid = project.id if project is not None and source is not None and project.source.key == source.key \
        and not project.id.startswith("unsaved") else None  # a project the disk refused is not linkable
    colour = state.get(S.COLOUR_BY)
    q = state.get(S.SEARCH_QUERY)
    query = to_query(cfg, data=data, upload=upload, colour=None if colour in (None, DEFAULT_COLOUR) else str(colour),
                     focus=_focus(source, cfg), q=q if isinstance(q, str) else None, project=pid)
    pending = state.get(S.LINK_PENDING, {})
    if source is None and "fraction" in pending:  # still waiting for the upload the link names
        query["fraction"] = f"{pending['fraction']:g}"
    return query


def offer(source, cfg: RunConfig, project: Project | None = None) -> None:
    """After the sidebar's settings: the URL rewritten to them, the notices about the link, and the
    link to copy."""
    state = st.session_state
    state[S.LINK_STICKY] = {key: state[key] for key in STICKY if key in state}
    wanted = query(source, cfg, project)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    notices, about = state.get(S.LINK_NOTICES, ([], None))
    if notices and about is None:  # remembered against the first query written after reading the link
        state[S.LINK_NOTICES] = (notices, wanted)
    elif notices and about != wanted:  # the user changed a setting: the link's problems are past
        state[S.LINK_NOTICES] = ([], None)
        notices = []
    for notice in notices:
        st.warning(plain(notice), icon=":material/link_off:")
    # drawn only while open: the code block's copy button loads a 1.5 MB syntax highlighter, which the
    # first page of every visit would otherwise parse before the map
    link = st.expander("Link to this view", icon=":material/link:", key=S.LINK_OPEN, on_change="rerun")
    if link.open:
        link.code(_url(wanted), language=None, wrap_lines=True)
        link.caption("Opens this project and these settings in any browser with access to this app. On "
                     "another server the project is unknown: an upload is named, not included, and whoever "
                     "opens the link uploads the file again.")


def name_project(project: Project | None) -> None:
    """After a view made or opened the session's project: the URL names it (a reload then reopens it)."""
    if project is not None and not project.id.startswith("unsaved") and st.query_params.get("project") != project.id:
        st.query_params["project"] = project.id


def _url(query: dict[str, str]) -> str:
    """The page's address with ``query`` (just ``?query`` when the address is unknown, as in tests)."""
    text = "?" + urlencode(query)
    try:
        url = st.context.url
    except Exception:  # no browser behind this run
        url = None
    if not url:
        return text
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))
