"""AppTest of the map page while a run computes: the provisional map, the progress panel's Cancel
button, and resuming from what a cancelled run kept (issue 16, item 2)."""
import pages._cached as cached
from apphelpers import map_charts
from core import pipeline
from pages import _state as S
from pages._first_look import LABEL

_real_train = pipeline.train


def legend(chart: dict) -> list[str]:
    return [t["name"] for t in chart["data"]]


def _training_stops_the_page(monkeypatch) -> list[int]:
    """Training stops the script as a user's Cancel click does (at the encoder's first progress report),
    so the page is seen as it is while the encoder trains. Returns the list counting training starts."""
    import streamlit as st

    started = []

    def stopped(*args, **kwargs):
        started.append(1)
        st.stop()

    monkeypatch.setattr(pipeline, "train", stopped)
    return started


def test_a_provisional_map_is_shown_while_the_encoder_trains(fake_app, monkeypatch):
    _training_stops_the_page(monkeypatch)
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info if LABEL in i.value], [i.value for i in at.info]
    (chart,) = map_charts(at)  # the provisional map only: no encoder map yet
    names = legend(chart)
    assert [n.split(":")[0] for n in names] == ["0", "1", "2", "3"]  # K-Means with the sidebar's k = 4
    assert all(len(n.split(":")[1].strip()) > 0 for n in names)  # named by their keywords
    assert "provisional" in chart["layout"]["title"]["text"]
    assert at.button(key=S.CANCEL).label == "Cancel"
    # the provisional clusters are the pipeline's baseline stage: the cards will find it cached
    assert cached.CACHE.lru("baseline").misses == 1


def test_the_encoder_map_replaces_the_provisional_one(fake_app):
    at = fake_app()
    at.run()
    assert not at.exception and not at.error
    assert not [i for i in at.info if LABEL in i.value]
    (chart,) = map_charts(at)
    assert "latent space" in chart["layout"]["title"]["text"]
    assert not [b for b in at.button if b.key == S.CANCEL]  # the progress panel is gone with the run


def test_cancel_stops_the_run_keeps_the_embeddings_and_resume_continues(fake_app, monkeypatch):
    started = _training_stops_the_page(monkeypatch)
    at = fake_app()
    at.run()
    assert started == [1] and at.fake.texts_encoded == 200

    at.button(key=S.CANCEL).click().run()
    assert not at.exception and not at.error
    assert at.warning and "Stopped" in at.warning[0].value
    assert started == [1] and not map_charts(at)  # nothing recomputed, nothing drawn
    assert cached.store().count() == 200  # every embedded text is in the store

    at.sidebar.slider(key="k").set_value(4).run()  # a rerun with the same settings stays stopped
    assert at.warning and "Stopped" in at.warning[0].value and started == [1]

    monkeypatch.setattr(pipeline, "train", _real_train)
    cached.CACHE.clear()  # only the store remembers the embeddings now
    at.button(key=S.RESUME).click().run()
    assert not at.exception and not at.error and not at.warning
    assert at.fake.texts_encoded == 200  # nothing embedded again: read back from the store
    assert len(at.metric) == 5 and len(map_charts(at)) == 1


def test_changing_a_setting_after_cancel_starts_a_new_run(fake_app, monkeypatch):
    _training_stops_the_page(monkeypatch)
    at = fake_app()
    at.session_state["encoder_open"] = True  # the latent size's slider drawn
    at.run()
    at.button(key=S.CANCEL).click().run()
    assert at.warning and "Stopped" in at.warning[0].value
    monkeypatch.setattr(pipeline, "train", _real_train)
    at.sidebar.slider(key="latent").set_value(16).run()  # another run: not the cancelled one
    assert not at.exception and not at.error and not at.warning
    assert len(at.metric) == 5
