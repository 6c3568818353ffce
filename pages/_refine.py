"""Refine in the app: the fine-tuning runs as a background job while the fast default's map stays in
use; a panel shows its step, loss and time left with a Cancel button, and the refined run replaces
the view when it is done, with its scores before and after.

Sessions asking for the same refinement share one job (``core.session.jobs``); Cancel withdraws this
session's interest (the job stops when no other session wants it), turns the *Refine embeddings*
toggle off, so that no later change starts the job again, and redraws the whole page."""
from __future__ import annotations

import uuid
from dataclasses import replace

import pandas as pd
import streamlit as st

from core.session import jobs
from core.config import RunConfig
from core.pipeline import Scores, run
from core.training.refine import Cancelled
from core.storage.results import stage_key

from . import _cached as cached
from . import _state as S
from ._safe import plain
from ._sidebar import Source

HELP = ("Fine-tunes the top layers of the sentence model on these texts (no labels: it learns from the "
        "clusters' most typical texts), then embeds, trains and clusters again. It takes minutes and runs "
        "in the background; the map stays usable meanwhile.")


def without(cfg: RunConfig) -> RunConfig:
    """The same settings with Refine off: the fast default shown until the refinement is done."""
    return replace(cfg, refine=replace(cfg.refine, enabled=False))


def job_key(source: Source, cfg: RunConfig) -> str:
    return stage_key("refine-job", source.run_key, cfg.to_dict())


def settle(source: Source, cfg: RunConfig) -> RunConfig:
    """The settings to draw now: ``cfg`` once its refinement is done, else the same without Refine."""
    if not cfg.refine.enabled:
        return cfg
    job = jobs.get(job_key(source, cfg))
    return cfg if job is not None and job.state == jobs.DONE else without(cfg)


def start(source: Source, cfg: RunConfig) -> jobs.Job:
    """The refined run for ``cfg`` as a background job (found if already running or done). Started
    after the page's own view, so the base embeddings are cached and the job only refines."""
    store = cached.store()  # opened here: a cache_resource is not for background threads

    def work(job: jobs.Job) -> None:
        run(cfg, source=source.value, key=source.key, cache=cached.CACHE, store=store, embedder=source.embeddings,
            load_embedder=lambda model, backend: cached.get_embedder(model, backend),
            progress=job.progress, baseline=False, cancelled=job.cancelled)

    job = jobs.start(job_key(source, cfg), work, holder=_holder(), cancelled_types=(Cancelled,))
    st.session_state[S.REFINE_JOB] = job.key
    return job


def _holder() -> str:
    """This session's name among a job's holders."""
    return st.session_state.setdefault(S.JOB_HOLDER, uuid.uuid4().hex)


def _cancel(key: str) -> None:
    """Cancel's callback: this session stops wanting the job and turns Refine off. The button is in a
    fragment, whose rerun would not redraw the sidebar: the browser's toggle would stay on and turn
    Refine back on at the next change. A rerun of the whole app redraws it off."""
    job = jobs.get(key)
    if job is not None:
        job.withdraw(_holder())
    st.session_state[S.REFINE] = False  # a callback runs before the widgets: the toggle can be turned off here
    st.session_state[S.REFINE_CANCELLED] = True
    st.rerun()  # from a callback: the whole app reruns instead of the fragment


def cancelled_notice() -> None:
    """Once, after this session cancelled Refine: say so (the panel is gone with the toggle)."""
    if st.session_state.pop(S.REFINE_CANCELLED, False):
        st.info("Refine was cancelled; the map shows the clusters without it.", icon=":material/cancel:")


@st.fragment(run_every=1.0)
def _progress(key: str) -> None:
    job = jobs.get(key)
    if job is None:
        return
    if job.state == jobs.DONE:
        st.rerun(scope="app")  # the refined run is cached now: draw it
    if job.state == jobs.FAILED:
        st.error(f"Refine failed ({plain(job.error or '')[:300]}). The map shows the clusters without it.")
        st.button("Try Refine again", key="refine_retry", on_click=jobs.discard, args=(key,))
        return
    if job.state == jobs.CANCELLED:
        st.info("Refine was cancelled; the map shows the clusters without it.")
        return
    left = ""
    if job.step and job.total:
        left = f" · {job.seconds:.0f} s so far"
    bar, button = st.columns([5, 1], vertical_alignment="center")
    bar.progress(job.fraction, text=f"Refining the embeddings in the background ({plain(job.message)}){left}")
    button.button("Cancel", key="refine_cancel", on_click=_cancel, args=(key,), icon=":material/cancel:")


def panel(source: Source, cfg: RunConfig) -> None:
    """Start (or find) the Refine job for ``cfg`` and show its progress above the page."""
    job = start(source, cfg)
    if job.state != jobs.DONE:
        st.caption("Until Refine is done, the map and the cards show the clusters without it.")
        _progress(job.key)


def before_after(before: Scores, after: Scores, seconds: float, steps: int, device: str) -> None:
    """Scores without and with Refine, side by side."""
    names = [("silhouette", "Silhouette"), ("davies_bouldin", "Davies-Bouldin"), ("acc", "ACC"), ("nmi", "NMI"),
             ("ari", "ARI")]
    rows = [(title, getattr(before, key), getattr(after, key)) for key, title in names
            if getattr(after, key) is not None]
    table = pd.DataFrame(rows, columns=["score", "without Refine", "with Refine"])
    st.caption(f"Refine: the model's top layers fine-tuned on these texts ({steps} steps, {seconds:.0f} s, {device}).")
    st.dataframe(table, hide_index=True, column_config={
        "without Refine": st.column_config.NumberColumn(format="%.3f"),
        "with Refine": st.column_config.NumberColumn(format="%.3f")})


def summary(view) -> None:
    """Under the cards of a refined view: its scores beside the same settings without Refine (cached:
    that run is what the page showed while the refinement ran)."""
    info = view.result.refine
    if info is None:
        return
    before = run(without(view.cfg), source=view.source.value, key=view.source.key, cache=cached.CACHE,
                 embedder=view.source.embeddings, load_embedder=cached.embedder, store=cached.store(),
                 baseline=False).clusters.scores
    before_after(before, view.clusters.scores, info.seconds, info.steps, info.device)
