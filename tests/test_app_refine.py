"""Refine in the app: the toggle starts a background job, the page keeps the clusters without it and
shows the job's progress with Cancel; when done, the refined run is drawn with before/after scores.
The fine-tuning itself is replaced by a quick stand-in (tests/test_refine.py runs the real one)."""
import threading

import numpy as np
import pytest

import core.training.refine as refine_mod
from core.session import jobs
from core.training.refine import Cancelled, RefineOutcome


def _stand_in(release: threading.Event | None = None):
    def fine_tune(texts, X, labels, agree, *, seed, progress=None, cancelled=None, **settings):
        for step in range(1, 1000):
            if cancelled and cancelled():
                raise Cancelled()
            if progress:
                progress(step, 1000, f"step {step} of 1000, loss 1.000, about 9 s left")
            if release is None or release.wait(0.02):
                break
        shift = np.roll(X, 1, axis=1) * 0.1  # a different, deterministic set of vectors
        vectors = (X + shift) / np.linalg.norm(X + shift, axis=1, keepdims=True)
        return RefineOutcome(vectors.astype(np.float32), {}, 7, 1.5, "cpu", [1.0])
    return fine_tune


def _wait_for(state: str, timeout: float = 240) -> jobs.Job:
    """The newest job in ``state``: a running one at once (a job is running from its start), an ended one
    once it has ended (``Job.wait``)."""
    job = list(jobs._jobs.values())[-1]
    if state != jobs.RUNNING:
        assert job.wait(timeout), f"the job did not end: {job.state}"
    assert job.state == state, f"the job is {job.state}, not {state}"
    return job


@pytest.fixture(autouse=True)
def _no_jobs():
    jobs.forget()
    yield
    for job in list(jobs._jobs.values()):
        job.cancel()


def test_refine_runs_in_the_background_then_shows_before_and_after(fake_app, monkeypatch):
    monkeypatch.setattr(refine_mod, "fine_tune", _stand_in())
    at = fake_app()
    at.session_state["encoder_open"] = True
    at.run()
    at.number_input(key="epochs").set_value(3).run()  # the job also trains the encoder on the refined vectors
    before = at.metric[0].value
    latent = next(c.value for c in at.caption if c.value.startswith("In the encoder's latent space"))
    latent_before = float(latent.split("silhouette ")[1].split()[0])  # the Refine table's silhouette is the latent one
    at.toggle(key="refine").set_value(True).run()
    assert not at.exception
    assert any("Until Refine is done" in c.value for c in at.caption)  # the map without Refine meanwhile
    assert at.metric[0].value == before
    _wait_for(jobs.DONE)
    at.run()
    assert not at.exception
    frames = [d.value for d in at.dataframe if "with Refine" in d.value.columns]
    assert frames, "the before/after table is missing"
    table = frames[0].set_index("score")
    assert {"Silhouette", "ACC", "NMI"} <= set(table.index)
    assert table.loc["Silhouette", "without Refine"] == pytest.approx(latent_before, abs=1e-3)
    assert any("7 steps" in c.value for c in at.caption)


def test_cancel_stops_the_job_and_turns_refine_off(fake_app, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(refine_mod, "fine_tune", _stand_in(release))
    at = fake_app()
    at.session_state["encoder_open"] = True
    at.run()
    at.number_input(key="epochs").set_value(3).run()
    at.toggle(key="refine").set_value(True).run()
    job = _wait_for(jobs.RUNNING)
    at.run()
    cancel = [b for b in at.button if b.label == "Cancel"]
    assert cancel, "no Cancel button while Refine runs"
    cancel[0].click().run()
    assert not at.exception
    assert at.toggle(key="refine").value is False
    _wait_for(jobs.CANCELLED)
    assert job.state == jobs.CANCELLED
    assert not [d for d in at.dataframe if "with Refine" in d.value.columns]


def test_one_sessions_cancel_leaves_the_shared_job_to_another(fake_app, monkeypatch):
    """Two sessions asking for the same refinement share one job; one's Cancel withdraws only its own
    interest: the job goes on, and the other session's page keeps its progress and gets the result."""
    release = threading.Event()
    monkeypatch.setattr(refine_mod, "fine_tune", _stand_in(release))
    first, second = fake_app(), fake_app()
    for at in (first, second):
        at.session_state["encoder_open"] = True
        at.run()
        at.number_input(key="epochs").set_value(3).run()
        at.toggle(key="refine").set_value(True).run()
        assert not at.exception
    job = _wait_for(jobs.RUNNING)
    first.run()
    [b for b in first.button if b.label == "Cancel"][0].click().run()
    assert not first.exception and first.toggle(key="refine").value is False
    assert any("Refine was cancelled" in i.value for i in first.info)

    assert not job.cancelled() and job.state == jobs.RUNNING  # the second session still wants it
    second.run()
    assert [b for b in second.button if b.label == "Cancel"], "the second session lost its Refine panel"
    assert not [i for i in second.info if "cancelled" in i.value]
    release.set()
    assert _wait_for(jobs.DONE) is job
    second.run()
    assert [d for d in second.dataframe if "with Refine" in d.value.columns]
