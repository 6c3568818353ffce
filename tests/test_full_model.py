"""core.session.full_model: which views start with the static first look, and the full model's run as a
shared background job that the view then follows."""
from dataclasses import replace

import pytest

import core.session.full_model as full_model
from core.config import ClusterConfig, DataConfig, EmbedConfig, EncoderConfig, RefineConfig, RunConfig
from core.embedding.static_embedder import STATIC_MODEL
from core.session import jobs
from core.session.session import Session, Workbench
from core.session.view import DataSource
from fakes import FakeEmbedder

DEMO = DataSource("demo", "demo", "Demo corpus", is_demo=True, kind="demo")  # 320 texts


@pytest.fixture
def session(monkeypatch):
    monkeypatch.setattr(full_model, "FIRST_LOOK_ABOVE", 100)
    monkeypatch.setattr(full_model, "_done", set())
    jobs.forget()
    fake = FakeEmbedder()
    yield Session(Workbench(load_embedder=lambda model, backend: fake, background_loader=lambda m, b: fake,
                            precompute=False))
    for job in list(jobs._jobs.values()):
        job.cancel()


def cfg(fraction: float = 1.0, k: int = 4, refine: bool = False) -> RunConfig:
    return RunConfig(data=DataConfig(source="demo", fraction=fraction), encoder=EncoderConfig(epochs=2),
                     cluster=ClusterConfig(k=k), refine=RefineConfig(enabled=refine), seed=0)


def test_the_full_model_on_more_texts_than_the_rule_starts_with_the_static_look(session):
    model = session.full_model
    look = model.settle(DEMO, cfg(refine=True))
    assert look.embed.model == STATIC_MODEL and not look.refine.enabled  # the static model has no layers to tune
    assert look.cluster == cfg().cluster and look.data == cfg().data  # the rest as asked
    assert model.settle(DEMO, cfg(fraction=0.25)) == cfg(fraction=0.25)  # 80 texts: the full model at once
    static = replace(cfg(), embed=EmbedConfig(model=STATIC_MODEL))
    assert model.settle(DEMO, static) is static  # the static embedder chosen: nothing to switch to
    upload = replace(DEMO, kind="upload", n_rows=90)
    assert not model.applies(upload, cfg())  # an upload's known row count decides without reading


def test_the_view_follows_the_full_models_run_once_it_is_done_at_any_k(session):
    model = session.full_model
    assert model.status(DEMO, cfg()) is None
    model.start(DEMO, cfg())
    assert jobs.get(model.key(DEMO, cfg())).wait(240)
    status = model.status(DEMO, cfg())
    assert status.done, status
    assert model.settle(DEMO, cfg()) == cfg()
    assert model.settle(DEMO, cfg(k=6)) == cfg(k=6)  # the texts are embedded: another k is the full model's too
    assert model.settle(DEMO, cfg(fraction=0.9)).embed.model == STATIC_MODEL  # other texts: not yet
    view = session.view(DEMO, model.settle(DEMO, cfg()))
    assert view.cfg.embed.model == cfg().embed.model


def test_a_session_that_cancelled_sees_its_cancel_while_another_keeps_the_run(session, monkeypatch):
    """Two sessions share the full model's run; one's Cancel withdraws only its own interest: it sees the
    run cancelled (and is offered it again), the other keeps it running."""
    import threading

    release = threading.Event()
    real_run = full_model.run

    def held_run(cfg, **kwargs):
        release.wait(60)
        return real_run(cfg, **kwargs)

    monkeypatch.setattr(full_model, "run", held_run)
    other = Session(session.bench)
    session.full_model.start(DEMO, cfg())
    other.full_model.start(DEMO, cfg())
    session.full_model.cancel(DEMO, cfg())
    assert session.full_model.status(DEMO, cfg()).cancelled
    assert other.full_model.status(DEMO, cfg()).state == jobs.RUNNING
    release.set()
    assert jobs.get(full_model.job_key(DEMO, cfg())).wait(240)
    assert other.full_model.status(DEMO, cfg()).done


def test_a_finished_run_is_remembered_after_the_job_registry_forgets_it(session):
    model = session.full_model
    model.start(DEMO, cfg())
    assert jobs.get(model.key(DEMO, cfg())).wait(240)
    assert model.settle(DEMO, cfg()) == cfg()
    jobs.forget()  # the registry keeps 32 jobs; a server's other work can push this one out
    assert model.settle(DEMO, cfg()) == cfg()
