"""A big corpus in the app (issue 29): the static embedder's first look at once, the full model's run in
the background on request, and the map switching to the full model's clusters with a notice. The size
rule is lowered to the test corpus (``FIRST_LOOK_ABOVE``); the embedder is the fake one for every model,
so the views differ only in the model they name."""
import threading

import pytest

import core.session.full_model as full_model
from core.config import DEFAULT_MODEL
from core.embedding.static_embedder import STATIC_MODEL
from core.session import jobs


def _ended(state: str, timeout: float = 240) -> jobs.Job:
    """The newest job, once it has ended, in ``state``."""
    job = list(jobs._jobs.values())[-1]
    assert job.wait(timeout), f"the job did not end: {job.state}"
    assert job.state == state, job.state
    return job


@pytest.fixture(autouse=True)
def _no_jobs(monkeypatch):
    monkeypatch.setattr(full_model, "_done", set())
    jobs.forget()
    yield
    for job in list(jobs._jobs.values()):
        job.cancel()


def _model(at) -> str:
    return at.session_state["session"].last.cfg.embed.model


def _start_button(at):
    return [b for b in at.button if b.label == "Run the full model in the background"]


def _held_run(monkeypatch) -> threading.Event:
    """Hold the full model's run at its first progress report until the returned event is set: a fast
    fake run could otherwise end inside the click's own script run (its fragment then reruns the app)."""
    release = threading.Event()
    real_run = full_model.run

    def held_run(cfg, **kwargs):
        progress = kwargs["progress"]

        def held(stage, done, total, message):
            release.wait(60)
            progress(stage, done, total, message)
        return real_run(cfg, **{**kwargs, "progress": held})

    monkeypatch.setattr(full_model, "run", held_run)
    return release


def test_a_big_corpus_starts_with_the_static_look_and_switches_when_the_full_model_is_done(fake_app, monkeypatch):
    monkeypatch.setattr(full_model, "FIRST_LOOK_ABOVE", 10)
    release = _held_run(monkeypatch)
    at = fake_app()
    at.run()
    assert not at.exception
    assert _model(at) == STATIC_MODEL  # the first look: the static embedder
    assert any("A first look with the static embedder" in i.value for i in at.info)
    (start,) = _start_button(at)
    start.click().run()
    assert not at.exception and _model(at) == STATIC_MODEL  # still the first look while it runs
    release.set()
    _ended(jobs.DONE)
    at.run()
    assert not at.exception and _model(at) == DEFAULT_MODEL  # the full model's clusters now
    assert any("now shows the full model's clusters" in s.value for s in at.success)
    assert not any("A first look" in i.value for i in at.info)
    at.run()
    assert not any("now shows the full model" in s.value for s in at.success)  # said once


def test_below_the_size_or_with_the_static_embedder_chosen_nothing_changes(fake_app, monkeypatch):
    at = fake_app()
    at.run()
    assert not at.exception and _model(at) == DEFAULT_MODEL and not _start_button(at)
    monkeypatch.setattr(full_model, "FIRST_LOOK_ABOVE", 10)
    at.sidebar.radio(key="embedder").set_value("static").run()  # chosen: no offer of the full model
    assert not at.exception and _model(at) == STATIC_MODEL and not _start_button(at)
    assert not any("A first look" in i.value for i in at.info)


def test_cancel_keeps_the_first_look_and_offers_the_run_again(fake_app, monkeypatch):
    monkeypatch.setattr(full_model, "FIRST_LOOK_ABOVE", 10)
    release = _held_run(monkeypatch)
    at = fake_app()
    at.run()
    _start_button(at)[0].click().run()
    job = list(jobs._jobs.values())[-1]
    assert job.state == jobs.RUNNING  # held at its first progress report
    at.run()
    cancel = [b for b in at.button if b.label == "Cancel" and b.key == "full_model_cancel"]
    assert cancel, "no Cancel while the full model runs"
    cancel[0].click().run()
    release.set()
    assert _ended(jobs.CANCELLED) is job
    at.run()
    assert not at.exception and _model(at) == STATIC_MODEL
    assert _start_button(at), "the run is not offered again after a cancel"


def test_a_project_left_during_the_first_look_reopens_on_the_full_model(fake_app, monkeypatch):
    """The project remembers the settings asked for, not their stand-in: a reload (a new session on the
    link) opens the first look of the full model again, with the full model still offered."""
    monkeypatch.setattr(full_model, "FIRST_LOOK_ABOVE", 10)
    at = fake_app()
    at.run()
    assert _model(at) == STATIC_MODEL
    pid = at.query_params["project"]
    assert "embedder" not in at.query_params  # the link names the embedder asked for: the default

    again = fake_app()
    again.query_params = {"project": pid}
    again.run()
    assert not again.exception
    assert again.sidebar.radio(key="embedder").value == "minilm"
    assert _model(again) == STATIC_MODEL and _start_button(again)  # the first look, the full model offered
