"""The view of the current settings, made through the session with progress in the page and errors as
messages.

Every page calls :func:`current_view`; it returns everything the pages draw (``core.session.view.View``), or
stops the page with one clear message when something is wrong (never a traceback).
"""
from __future__ import annotations

import logging
from typing import Callable, TypeVar

import streamlit as st

from core.config import RunConfig
from core.errors import UserError, app_message
from core.session.view import View

from . import _cached as cached
from . import _link as link
from . import _project as opened
from . import _state as S
from ._first_look import FirstLookSlot
from ._k import settle as settle_k
from ._progress import ProgressPanel, stop_if_cancelled, work_key
from ._safe import plain
from ._sidebar import Source

__all__ = ["View", "current_view", "guarded"]
log = logging.getLogger(__name__)
T = TypeVar("T")


def _build(source: Source, cfg: RunConfig, provisional: bool = False) -> View:
    work = work_key(source.run_key, cfg)
    stop_if_cancelled(work)
    progress, look = ProgressPanel(work), FirstLookSlot() if provisional else None
    view = cached.session().view(source, cfg, progress=progress, on_embedded=look)
    progress.clear()
    if look:
        look.clear()
    return view


def current_view(source: Source | None, cfg: RunConfig, provisional: bool = False) -> View:
    """The view for the sidebar's settings; stops the page with a message if it cannot be built.
    ``provisional``: draw a provisional map while the encoder trains (the map page)."""
    if source is None:
        st.info("Choose a data source in the sidebar (upload a file, or pick the demo corpus).")
        st.stop()
    view = guarded(lambda: _build(source, cfg, provisional))
    settle_k(view)  # a new data source: rerun at its suggested k
    project = cached.session().project  # the view may have made it, or reused an unchanged one
    st.session_state[S.PROJECT] = project.id if project is not None else None
    link.name_project(project)
    opened.badge()
    opened.notices_and_problem()
    return view


def baseline(view: View):
    """K-Means on the raw embeddings for the view's k (the cards' yardstick), or a stopped page with a message."""
    return guarded(lambda: view.baseline)


def guarded(compute: Callable[[], T]) -> T:
    """``compute()``, or one clear message in the page and a stopped page if it fails (never a traceback)."""
    try:
        return compute()
    except UserError as exc:
        st.error(plain(app_message(exc)), icon=":material/error:")
        st.caption("Change the settings in the sidebar, or pick another data source.")
    except MemoryError:
        st.error("Out of memory: lower the sample fraction and try again.")
    except Exception as exc:  # never a traceback in the page
        log.exception("a stage failed")
        st.error(f"Something went wrong ({type(exc).__name__}: {plain(str(exc)[:300])}). "
                 "Try other settings or another data source; the server log has the details.")
    st.stop()
    raise AssertionError("unreachable")
