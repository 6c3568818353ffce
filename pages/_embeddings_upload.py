"""Bring your own embeddings: an optional second uploader under the data source takes a Parquet file
written by ``python -m core embed --out`` and the run uses its vectors instead of the model's.

The file goes through the same path as ``python -m core run --embeddings``: a
:class:`core.embedding.embed_file.FileEmbedder` handed to ``core.pipeline.run`` (the texts are matched by their
hash; the embed stage keys the file's content, so the caches never mix it with the model's vectors, and
its vectors never enter the shared embedding store, where another file claiming the same model would
meet them).
Everything that could fail is checked here, before the run: a file that is not an embeddings file,
another model's or another width's vectors, texts of the run the file has no vector for. A bad file
changes nothing: the previous embeddings file stays in use if it still fits, else the model embeds
as before, and one message under the uploader says why. Removing the file embeds with the model.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.config import RunConfig
from core.embedding.embed_file import FileEmbedder, check_distinct
from core.errors import UserError, app_message

from . import _cached as cached
from . import _state as S
from ._safe import plain

if TYPE_CHECKING:  # the sidebar imports this module
    from ._sidebar import Source

LABEL = "Embeddings (Parquet from `python -m core embed --out`)"
HELP = ("Optional: vectors computed elsewhere (`python -m core embed --data FILE --out vectors.parquet`, on "
        "this machine or a Ray cluster). The texts in use are matched to the file's rows by their text; the "
        "model does not run. Read in memory only; never stored on the server. Remove the file to embed with "
        "the model.")
log = logging.getLogger(__name__)
WHAT_NOW = ("Upload another file under Embeddings in the sidebar (written by `python -m core embed --out` from "
            "these texts), or remove it to embed with the model.")


@dataclass(frozen=True)
class Pending:
    """The uploader's file (None: no file) and the place under it for its note or error."""

    upload: UploadedFile | None
    slot: DeltaGenerator


def uploader() -> Pending:
    """The uploader, drawn under the data source on every run (a widget not drawn loses its file)."""
    upload = st.file_uploader(LABEL, type=["parquet"], key=S.EMBEDDINGS_UPLOAD, help=HELP)
    return Pending(upload, st.container())


def _checked(upload: UploadedFile, source: Source, cfg: RunConfig) -> FileEmbedder:
    """The file as the run's embedder, or a UserError: unreadable, another model or width, texts missing."""
    limit_mb = st.get_option("server.maxUploadSize")
    if upload.size > limit_mb * 1024 * 1024:
        raise UserError(f"{upload.name} is over the upload limit of {limit_mb} MB")
    embedder = cached.bench().embeddings_file(upload.getvalue(), upload.name, cfg.embed.model)
    _check_texts(embedder, source, cfg)
    return embedder


def _check_texts(embedder: FileEmbedder, source: Source, cfg: RunConfig) -> None:
    """Every text in use must have a vector in the file (matched by text hash, as the CLI matches)."""
    try:
        sample_key, corpus = cached.bench().corpus(source, cfg)
    except Exception:  # the data's own problem: the page shows it, with its message
        return
    n_missing, first, distinct = cached.bench().texts_without_vectors(embedder, sample_key, corpus.texts)
    if n_missing:
        raise UserError(f"the embeddings file has no vector for {n_missing:,} of the {len(corpus):,} texts in use "
                        f"(the first: {first!r}): it was embedded from other texts. The sidebar's Data, Text "
                        "column(s) and Sample fraction choose the texts; the file must hold them all")
    check_distinct(embedder.file, len(corpus), distinct, cfg.cluster.k)


def _still_fits(embedder: FileEmbedder, source: Source, cfg: RunConfig) -> bool:
    if embedder.name != cfg.embed.model:
        return False
    try:
        _check_texts(embedder, source, cfg)
    except UserError:
        return False
    return True


def _sentence(message: str, name: str) -> str:
    """``message`` as a sentence (a file name that starts it keeps its case)."""
    message = message.rstrip(". ")
    return (message if message.startswith(name) else message[:1].upper() + message[1:]) + "."


def attach(pending: Pending, source: Source | None, cfg: RunConfig) -> Source | None:
    """``source`` with the uploaded file's vectors when the file is good for this run's texts; else
    ``source`` as before (with the previous good file, if any still fits) and an error under the uploader."""
    if pending.upload is None:
        st.session_state.pop(S.EMBEDDINGS_USED, None)  # removed: the model embeds again
        return source
    if source is None:
        return None
    try:
        embedder = _checked(pending.upload, source, cfg)
    except UserError as exc:
        return _keep_previous(pending, source, cfg, _sentence(app_message(exc), pending.upload.name))
    except Exception as exc:  # never a traceback: a file this reader did not foresee
        log.exception("the embeddings file %s could not be used", pending.upload.name)
        return _keep_previous(pending, source, cfg, f"The embeddings file {pending.upload.name} cannot be used "
                                                    f"({type(exc).__name__}: {str(exc)[:200]}).")
    st.session_state[S.EMBEDDINGS_USED] = embedder
    file = embedder.file
    pending.slot.caption(f"Vectors from {plain(file.path)}: {len(file.hashes):,} texts embedded by {plain(file.model)} "
                         f"({plain(file.backend)}, {file.dim} dimensions); the model does not embed these texts. "
                         "Remove the file to embed with the model.")
    return replace(source, embeddings=embedder)


def _keep_previous(pending: Pending, source: Source, cfg: RunConfig, problem: str) -> Source:
    """A bad file changes nothing: the last good file if it still fits these texts, else the model."""
    previous: FileEmbedder | None = st.session_state.get(S.EMBEDDINGS_USED)
    keep = previous is not None and _still_fits(previous, source, cfg)
    meanwhile = (f"The previous embeddings file ({previous.file.path}) stays in use." if keep
                 else "The model embeds the texts meanwhile.")
    pending.slot.error(plain(f"{problem} {meanwhile} {WHAT_NOW}"), icon=":material/error:")
    if not keep:
        st.session_state.pop(S.EMBEDDINGS_USED, None)
    return replace(source, embeddings=previous) if keep else source
