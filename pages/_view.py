"""The view of the current settings: the page asks the session for it (``pages/_common.page_view``) with
progress in the page, a provisional map while the encoder trains, and errors as messages.

:func:`guard` (and :func:`guarded`) stops the page with one clear message when something is wrong
(never a traceback); :func:`after_view` updates what depends on the view made (a new source's k, the
open project's name, the link, the project's notices).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator, NoReturn, TypeVar

import streamlit as st

from core.errors import UserError, app_message
from core.session.view import View

from . import _cached as cached
from . import _link as link
from . import _project as opened
from . import _state as S
from ._first_look import FirstLookSlot
from ._k import settle as settle_k
from ._progress import ProgressPanel
from ._safe import plain

__all__ = ["View", "after_view", "ask_for_data", "guard", "guarded", "panels"]
log = logging.getLogger(__name__)
T = TypeVar("T")


def ask_for_data() -> NoReturn:
    """No data source yet: say where to choose one, and stop the page."""
    st.info("Choose a data source in the sidebar (upload a file, or pick the demo corpus).")
    st.stop()
    raise AssertionError("unreachable")


def panels(work: str, provisional: bool = False) -> tuple[ProgressPanel, FirstLookSlot | None]:
    """The progress panel of the run ``work`` (with its Cancel) and, on the map page (``provisional``),
    the place of the provisional map drawn while the encoder trains."""
    return ProgressPanel(work), FirstLookSlot() if provisional else None


def after_view(view: View) -> None:
    """After the session made ``view``: a new data source's suggested k (a rerun at it), and the open
    project (the view may have made it, or reused an unchanged one) in the state, the link and the
    sidebar, with its notices."""
    settle_k(view)
    project = cached.session().project
    st.session_state[S.PROJECT] = project.id if project is not None else None
    link.name_project(project)
    opened.badge()
    opened.notices_and_problem()


def baseline(view: View):
    """K-Means on the raw embeddings for the view's k (the cards' yardstick), or a stopped page with a message."""
    return guarded(lambda: view.baseline)


@contextmanager
def guard() -> Iterator[None]:
    """Its block, or one clear message in the page and a stopped page if it fails (never a traceback)."""
    try:
        yield
    except UserError as exc:
        st.error(plain(app_message(exc)), icon=":material/error:")
        st.caption("Change the settings in the sidebar, or pick another data source.")
        st.stop()
    except MemoryError:
        st.error("Out of memory: lower the sample fraction and try again.")
        st.stop()
    except Exception as exc:  # never a traceback in the page
        log.exception("a stage failed")
        st.error(f"Something went wrong ({type(exc).__name__}: {plain(str(exc)[:300])}). "
                 "Try other settings or another data source; the server log has the details.")
        st.stop()


def guarded(compute: Callable[[], T]) -> T:
    """``compute()``, or one clear message in the page and a stopped page if it fails (never a traceback)."""
    with guard():
        return compute()
    raise AssertionError("unreachable")
