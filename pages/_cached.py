"""The app's server-wide objects around ``core``: the only Streamlit caching in the repo.

One :class:`core.session.session.Workbench` serves every browser session: its stage cache (memory over the
disk cache), the embedding store and projects of the cache folder, and the embedding model (a
``st.cache_resource``: one per (model, backend) for the whole server, never mutated after loading).
Each browser session has its own :class:`core.session.session.Session` over it (:func:`session`), the one
door the pages go through.
"""
from __future__ import annotations

import logging
import os
import threading

import streamlit as st

from core.errors import UserError
from core.session.session import Session, Workbench, get_embedder, hub_path

from . import _state as S

log = logging.getLogger(__name__)

#: Fill the cluster and baseline caches for every k of the slider in the background.
PRECOMPUTE = os.environ.get("CLUSTERLENS_PRECOMPUTE", "1") != "0"
#: The stage cache every session of this server shares (memory over the cache folder's disk cache).
CACHE = Workbench.new_cache()


@st.cache_resource(show_spinner="Loading the embedding model ...", max_entries=2)
def embedder(model: str, backend: str):
    """The shared embedding model (one per model and backend for the whole server)."""
    return get_embedder(model, backend)


@st.cache_resource(show_spinner=False)
def _bench() -> Workbench:
    # a background job loads models with the plain loader (named here, so that tests can replace it)
    return Workbench(CACHE, load_embedder=embedder, background_loader=lambda model, backend: get_embedder(model, backend))


def bench() -> Workbench:
    """The server's workbench (whether it precomputes other ks is read now: tests turn it off)."""
    shared = _bench()
    shared.precompute = PRECOMPUTE
    return shared


_new_session = threading.Lock()


def session() -> Session:
    """This browser session's door into core (made once: two runs of a new session may ask at once)."""
    state = st.session_state
    with _new_session:
        if not isinstance(state.get(S.SESSION), Session):
            state[S.SESSION] = Session(bench())
        current = state[S.SESSION]
    current.bench = bench()
    return current


def store():
    """The embedding store of the current cache folder (for a background job's thread)."""
    return bench().store()


@st.cache_data(ttl=60, show_spinner="Fetching the data set from the Hugging Face hub ...")
def hub_file(source: str) -> tuple[str | None, str | None]:
    """(local path, None) once the hub file is in the hub cache, else (None, why); a failure is retried after a minute."""
    try:
        return hub_path(source), None
    except UserError as exc:
        return None, str(exc)
