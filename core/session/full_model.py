"""The full model for a big corpus: a static first look at once, the full model's run in the background
when the user asks for it, and the map switching to it once it is done.

Above :data:`FIRST_LOOK_ABOVE` texts, the transformer (a few hundred texts a second on two cores)
would keep a user waiting many minutes before anything shows; the static embedder distilled from it
embeds the same texts in seconds and clusters broad topics nearly as well. So a view of the full
model's settings is drawn with the static embedder (:meth:`FullModel.settle`) until the full model's
run, started by :meth:`FullModel.start` as a background job, is done; the run then sits in the stage
cache and the next view is the full model's. Sessions asking for the same run share one job; a
session's cancel withdraws only its own interest. Plain Python: no Streamlit.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from core.config import DEFAULT_MODEL, RunConfig
from core.embedding.embedders import same_model
from core.embedding.static_embedder import STATIC_MODEL
from core.pipeline import run
from core.session import jobs
from core.session.session_refine import JobStatus, job_status
from core.storage.results import stage_key
from core.training.refine import Cancelled

if TYPE_CHECKING:
    from core.session.session import Workbench
    from core.session.view import DataSource

#: More texts than this, embedded with the full model and not yet done: the static embedder's first look.
FIRST_LOOK_ABOVE = 100_000
#: The keys of the full model's runs done in this process: the job registry forgets old jobs, this does not.
_done: set[str] = set()


def first_look_config(cfg: RunConfig) -> RunConfig:
    """``cfg`` with the static embedder (and without Refine: the static model has no layers to tune)."""
    return replace(cfg, embed=replace(cfg.embed, model=STATIC_MODEL), refine=replace(cfg.refine, enabled=False))


def job_key(source: DataSource, cfg: RunConfig) -> str:
    """Names the full model's vectors of ``cfg``'s texts on ``source`` (the data, its sample, the model):
    one job per key in the process. Not the rest of ``cfg``: once the texts are embedded, a view at
    another k or projection is the full model's too (its vectors come from the store)."""
    settings = cfg.to_dict()
    return stage_key("full-model-job", source.run_key, settings["data"], settings["embed"], settings["seed"])


class FullModel:
    """One session's side of the full model's background runs (``holder``: its name among a shared
    job's holders)."""

    def __init__(self, bench: Workbench, holder: str) -> None:
        self.bench = bench
        self.holder = holder

    def applies(self, source: DataSource, cfg: RunConfig) -> bool:
        """Whether a view of ``cfg`` starts with the static first look: the full model (the packaged
        MiniLM) embeds the texts, from the model rather than a file of vectors, and they are more than
        :data:`FIRST_LOOK_ABOVE`."""
        if source.embeddings is not None or source.kept is not None or not same_model(cfg.embed.model, DEFAULT_MODEL):
            return False
        if source.n_rows is not None and source.n_rows * cfg.data.fraction <= FIRST_LOOK_ABOVE:
            return False  # an upload's row count is known: no need to read it
        _, corpus = self.bench.corpus(source, cfg)
        return len(corpus) > FIRST_LOOK_ABOVE

    def settle(self, source: DataSource, cfg: RunConfig) -> RunConfig:
        """The settings to draw now: ``cfg`` unless :meth:`applies`, else ``cfg`` once the full model's
        run is done, and until then its static first look (:func:`first_look_config`)."""
        if not self.applies(source, cfg):
            return cfg
        key = job_key(source, cfg)
        job = jobs.get(key)
        if job is not None and job.state == jobs.DONE:
            _done.add(key)
        return cfg if key in _done else first_look_config(cfg)

    def start(self, source: DataSource, cfg: RunConfig) -> JobStatus:
        """The full model's run of ``cfg`` as a background job, this session among its holders (found if
        already running or done for these texts; a failed one is started again). Its vectors go into
        the store as they are made, so a cancelled run keeps what it embedded; its stages go into the
        stage cache, so the view of ``cfg`` is drawn at once when it is done (a view at other encoder
        or map settings trains or lays out again, from the stored vectors)."""
        key = job_key(source, cfg)
        old = jobs.get(key)
        if old is not None and old.state == jobs.FAILED:
            jobs.discard(key)
        bench = self.bench
        store = bench.store()  # opened here, in the session's thread

        def work(job: jobs.Job) -> None:
            def progress(stage: str, done: int, total: int, message: str) -> None:
                if job.cancelled():
                    raise Cancelled
                job.progress(stage, done, total, message)

            run(cfg, source=source.value, key=source.key, cache=bench.cache, store=store,
                load_embedder=bench.background_loader, progress=progress, baseline=False, cancelled=job.cancelled)

        return job_status(jobs.start(key, work, holder=self.holder, cancelled_types=(Cancelled,)))

    @staticmethod
    def key(source: DataSource, cfg: RunConfig) -> str:
        """The name of the full model's run of ``cfg`` on ``source`` (:func:`job_key`)."""
        return job_key(source, cfg)

    def status(self, source: DataSource, cfg: RunConfig) -> JobStatus | None:
        """The full model's job for ``cfg`` as this session sees it now (None: not asked for in this
        process). A running job this session withdrew from (another still wants it) is cancelled here."""
        job = jobs.get(job_key(source, cfg))
        if job is None:
            return None
        status = job_status(job)
        if job.state == jobs.RUNNING and not job.wanted_by(self.holder):
            status = replace(status, state=jobs.CANCELLED)
        return status

    def cancel(self, source: DataSource, cfg: RunConfig) -> None:
        """This session no longer wants the job; it stops once no session wants it."""
        job = jobs.get(job_key(source, cfg))
        if job is not None:
            job.withdraw(self.holder)

    def leave(self, key: str) -> None:
        """This session no longer shows the job ``key`` (other data or settings): it withdraws, and the
        job stops once no session wants it."""
        job = jobs.get(key)
        if job is not None:
            job.withdraw(self.holder)
