"""A big corpus in the app (issue 29): the static embedder's first look at once, the full model's run in
the background on request, and the map switching to the full model's clusters with a notice. The size
rule is lowered to the test corpus (``FIRST_LOOK_ABOVE``); the embedder is the fake one for every model,
so the views differ only in the model they name."""
import threading
import time

import pytest

import core.session.full_model as full_model
from core.config import DEFAULT_MODEL
from core.embedding.static_embedder import STATIC_MODEL
from core.session import jobs


def _wait_for(state: str, timeout: float = 240) -> jobs.Job:
    """The newest job once it is in ``state`` (a condition polled with a deadline: core.session.jobs sets
    a job's state from its thread and offers no event to wait on)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        newest = list(jobs._jobs.values())
        if newest and newest[-1].state == state:
            return newest[-1]
        time.sleep(0.1)
    raise AssertionError(f"no job reached {state}: {[j.state for j in jobs._jobs.values()]}")


@pytest.fixture(autouse=True)
def _no_jobs():
    jobs.forget()
    yield
    for job in list(jobs._jobs.values()):
        job.cancel()


def _model(at) -> str:
    return at.session_state["session"].last.cfg.embed.model


def _start_button(at):
    return [b for b in at.button if b.label == "Run the full model in the background"]


def test_a_big_corpus_starts_with_the_static_look_and_switches_when_the_full_model_is_done(fake_app, monkeypatch):
    monkeypatch.setattr(full_model, "FIRST_LOOK_ABOVE", 10)
    at = fake_app()
    at.run()
    assert not at.exception
    assert _model(at) == STATIC_MODEL  # the first look: the static embedder
    assert any("A first look with the static embedder" in i.value for i in at.info)
    (start,) = _start_button(at)
    start.click().run()
    assert not at.exception
    _wait_for(jobs.DONE)
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
    release = threading.Event()
    import core.session.full_model as module
    real_run = module.run

    def slow_run(cfg, **kwargs):  # the full model's run, held at its first progress report
        progress = kwargs["progress"]

        def held(stage, done, total, message):
            release.wait(60)
            progress(stage, done, total, message)
        return real_run(cfg, **{**kwargs, "progress": held})

    monkeypatch.setattr(module, "run", slow_run)
    at = fake_app()
    at.run()
    _start_button(at)[0].click().run()
    job = _wait_for(jobs.RUNNING)
    at.run()
    cancel = [b for b in at.button if b.label == "Cancel" and b.key == "full_model_cancel"]
    assert cancel, "no Cancel while the full model runs"
    cancel[0].click().run()
    release.set()
    _wait_for(jobs.CANCELLED)
    assert job.state == jobs.CANCELLED
    at.run()
    assert not at.exception and _model(at) == STATIC_MODEL
    assert _start_button(at), "the run is not offered again after a cancel"
