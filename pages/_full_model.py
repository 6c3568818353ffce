"""A big corpus in the app: the static embedder's first look at once, and the full model's run in the
background when the user asks for it; the map switches to the full model's clusters when it is done,
with a notice. The rule and the job are the door's (``core.session.full_model``)."""
from __future__ import annotations

import streamlit as st

from core.config import RunConfig

from . import _cached as cached
from . import _state as S
from ._safe import plain
from ._sidebar import Source

START = "Run the full model in the background"


def settle(source: Source, cfg: RunConfig) -> RunConfig:
    """The settings to draw now: ``cfg``, or its static first look until the full model's run is done."""
    return cached.session().full_model.settle(source, cfg)


def _start(source: Source, cfg: RunConfig) -> None:
    cached.session().full_model.start(source, cfg)


def _cancel(source: Source, cfg: RunConfig) -> None:
    cached.session().full_model.cancel(source, cfg)


@st.fragment(run_every=1.0)
def _progress(source: Source, cfg: RunConfig) -> None:
    job = cached.session().full_model.status(source, cfg)
    if job is None:
        return
    if job.done:
        st.rerun(scope="app")  # the full model's run is cached now: draw it
    if job.failed:
        st.error(f"The full model's run failed ({plain(job.error or '')[:300]}). The map shows the static "
                 "embedder's clusters.")
        st.button("Try the full model again", key="full_model_retry", on_click=_start, args=(source, cfg))
        return
    if job.cancelled:
        st.info("The full model's run was cancelled; the map shows the static embedder's clusters.")
        st.button(START, key="full_model_again", on_click=_start, args=(source, cfg), icon=":material/play_arrow:")
        return
    bar, button = st.columns([5, 1], vertical_alignment="center")
    bar.progress(job.fraction, text=f"The full model in the background ({plain(job.message)}) · "
                                    f"{job.seconds:.0f} s so far")
    button.button("Cancel", key="full_model_cancel", on_click=_cancel, args=(source, cfg), icon=":material/cancel:")


def panel(source: Source, cfg: RunConfig, view) -> None:
    """Above a static first look (``view``) of the full model's settings ``cfg``: what it is, and the
    full model's run (offered, or its progress with Cancel)."""
    model = cached.session().full_model
    key = model.key(source, cfg)
    shown = st.session_state.get(S.FIRST_LOOK_OF)
    if shown and shown[0] != key:
        model.leave(shown[0])  # other data or settings now: this session no longer wants that run
    st.session_state[S.FIRST_LOOK_OF] = (key, view.edited or bool(view.user_names) or bool(view.notes))
    refine = (" Refine starts once the full model's run is done." if cfg.refine.enabled else "")
    st.info(f"A first look with the static embedder: the full model ({plain(cfg.embed.model)}) embeds a few "
            f"hundred texts a second here, so {len(view.corpus):,} texts would take it many minutes. The static "
            "model finds broad topics nearly as well and fine-grained ones less well. Run the full model in the "
            f"background and the map switches to its clusters when it is done.{refine}", icon=":material/bolt:")
    if model.status(source, cfg) is None:
        st.button(START, key="full_model_start", on_click=_start, args=(source, cfg), icon=":material/play_arrow:")
    else:
        _progress(source, cfg)


def done_notice(source: Source, cfg: RunConfig) -> None:
    """Once, when the full model's settings ``cfg`` are drawn where this session showed their first look:
    say that the map switched (and where edits of the first look are kept)."""
    shown = st.session_state.get(S.FIRST_LOOK_OF)
    if not shown or shown[0] != cached.session().full_model.key(source, cfg):
        return
    del st.session_state[S.FIRST_LOOK_OF]
    st.session_state.pop(S.FOCUS_CLUSTER, None)  # a number of the first look's clusters
    kept = (" Your names, notes and edits of the first look stay with its version (the Compare page shows it)."
            if shown[1] else "")
    st.success(f"The map now shows the full model's clusters.{kept}", icon=":material/check_circle:")
