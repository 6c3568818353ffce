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

import streamlit as st

from core.session import background
from core.storage.cache import MemoryCache
from core.embedding.embed import get_embedder
from core.errors import UserError
from core.session.session import MEMORY_SIZES, Session, Workbench, _FolderDisk

from . import _state as S

log = logging.getLogger(__name__)

#: Fill the cluster and baseline caches for every k of the slider in the background.
PRECOMPUTE = os.environ.get("CLUSTERLENS_PRECOMPUTE", "1") != "0"
K_RANGE = background.K_RANGE

CACHE = MemoryCache(MEMORY_SIZES, _FolderDisk())


@st.cache_resource(show_spinner="Loading the embedding model ...", max_entries=2)
def embedder(model: str, backend: str):
    """The shared embedding model (one per model and backend for the whole server)."""
    return get_embedder(model, backend)


@st.cache_resource(show_spinner=False)
def _bench() -> Workbench:
    return Workbench(CACHE, load_embedder=embedder)


def bench() -> Workbench:
    """The server's workbench (whether it precomputes other ks is read now: tests turn it off)."""
    shared = _bench()
    shared.precompute = PRECOMPUTE
    return shared


def session() -> Session:
    """This browser session's door into core."""
    state = st.session_state
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
    from core.tables.data import hub_download

    try:
        return str(hub_download(source)), None
    except UserError as exc:
        return None, str(exc)
