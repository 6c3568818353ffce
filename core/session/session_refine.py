"""Refine through the door: the fine-tuning of one session's settings as a background job.

Sessions asking for the same refinement (the same data and settings) share one job (``core.session.jobs``);
a session's cancel withdraws only its own interest. While the job runs, the settings drawn are the
same without Refine (:meth:`Refine.settle`); once it is done, the refined run is in the stage cache
and the view shows it, with the scores of the run without Refine beside it (:meth:`Refine.before`).
The job key, the cache and the model loader are this module's, never the page's. Plain Python: no
Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from core.session import jobs
from core.clustering.cluster_stage import Scores
from core.config import RunConfig
from core.pipeline import run
from core.training.refine import Cancelled
from core.storage.results import stage_key

if TYPE_CHECKING:
    from core.session.session import Workbench
    from core.session.view import DataSource, View


def without(cfg: RunConfig) -> RunConfig:
    """The same settings with Refine off: the fast default shown until the refinement is done."""
    return replace(cfg, refine=replace(cfg.refine, enabled=False))


def job_key(source: DataSource, cfg: RunConfig) -> str:
    """Names the refinement of ``cfg`` on ``source`` (and its vectors): one job per key in the process."""
    return stage_key("refine-job", source.run_key, cfg.to_dict())


@dataclass(frozen=True)
class JobStatus:
    """A background job (a Refine, the full model's run) as the page shows it, read at one moment:
    ``state`` one of running, done, failed, cancelled; ``fraction`` of its steps done, the stage's
    ``message``, ``seconds`` since it started, ``error`` why it failed."""

    key: str
    state: str
    step: int
    total: int
    fraction: float
    message: str
    seconds: float
    error: str | None

    done = property(lambda self: self.state == jobs.DONE)
    failed = property(lambda self: self.state == jobs.FAILED)
    cancelled = property(lambda self: self.state == jobs.CANCELLED)


def job_status(job: jobs.Job) -> JobStatus:
    """``job`` as it is now."""
    return JobStatus(job.key, job.state, job.step, job.total, job.fraction, job.message, job.seconds, job.error)


class Refine:
    """One session's side of the Refine jobs (``holder``: its name among a shared job's holders)."""

    def __init__(self, bench: Workbench, holder: str) -> None:
        self.bench = bench
        self.holder = holder

    def settle(self, source: DataSource, cfg: RunConfig) -> RunConfig:
        """The settings to draw now: ``cfg`` once its refinement is done, else the same without Refine."""
        if not cfg.refine.enabled:
            return cfg
        job = jobs.get(job_key(source, cfg))
        return cfg if job is not None and job.state == jobs.DONE else without(cfg)

    def start(self, source: DataSource, cfg: RunConfig) -> JobStatus:
        """The refined run for ``cfg`` as a background job, this session among its holders (found if
        already running or done). Started after the page's own view, so the base embeddings are cached
        and the job only refines. The job loads models with the workbench's background loader (a
        server's shared model loader may not serve other threads)."""
        bench = self.bench
        store = bench.store()  # opened here, in the session's thread

        def work(job: jobs.Job) -> None:
            run(cfg, source=source.value, key=source.key, cache=bench.cache, store=store, embedder=source.embeddings,
                load_embedder=bench.background_loader, progress=job.progress, baseline=False,
                cancelled=job.cancelled)

        return job_status(jobs.start(job_key(source, cfg), work, holder=self.holder, cancelled_types=(Cancelled,)))

    def status(self, key: str) -> JobStatus | None:
        """The job ``key`` as it is now (None: unknown, or forgotten)."""
        job = jobs.get(key)
        return None if job is None else job_status(job)

    def cancel(self, key: str) -> None:
        """This session no longer wants the job ``key``; it stops once no session wants it."""
        job = jobs.get(key)
        if job is not None:
            job.withdraw(self.holder)

    def retry(self, key: str) -> None:
        """Forget a failed job, so that the next :meth:`start` starts it again."""
        jobs.discard(key)

    def before(self, view: View) -> Scores:
        """The scores of ``view``'s settings without Refine: the run the page showed while the refinement
        ran (read from the cache)."""
        return self.bench.run(view.source, without(view.cfg)).clusters.scores
