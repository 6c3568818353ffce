"""The staged run with the fake embedder: seeding, the metrics document, labels, the store, odd corpora."""
import json

import numpy as np
import pandas as pd
import pytest

from core.clustering.cluster import label_scores
from core.config import RunConfig
from core.errors import UserError
from core.pipeline import run
from core.storage.store import EmbeddingStore
from corpora import SCORE_KEYS, topic_frame
from fakes import FakeEmbedder


def write_csv(tmp_path, frame: pd.DataFrame, name: str = "texts.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def config(source: str, *, k: int = 3, seed: int = 0, epochs: int = 3, fraction: float = 1.0) -> RunConfig:
    return RunConfig().with_(data={"source": source, "fraction": fraction}, encoder={"epochs": epochs},
                             cluster={"k": k, "n_init": 3}, project={"method": "none"}, seed=seed)


def test_same_seed_gives_identical_labels(tmp_path):
    source = write_csv(tmp_path, topic_frame())
    a = run(config(source, seed=7), embedder=FakeEmbedder())
    b = run(config(source, seed=7), embedder=FakeEmbedder())
    np.testing.assert_array_equal(a.clusters.clustering.labels, b.clusters.clustering.labels)
    np.testing.assert_array_equal(a.baseline.clustering.labels, b.baseline.clustering.labels)
    np.testing.assert_array_equal(a.latent, b.latent)
    assert a.metrics()["silhouette"] == b.metrics()["silhouette"]


def test_a_different_seed_trains_a_different_encoder(tmp_path):
    source = write_csv(tmp_path, topic_frame())
    a = run(config(source, seed=1), embedder=FakeEmbedder())
    b = run(config(source, seed=2), embedder=FakeEmbedder())
    assert not np.allclose(a.latent, b.latent)
    for result in (a, b):  # the labels may differ, but each is a full partition into k clusters
        assert sorted(np.unique(result.clusters.clustering.labels)) == [0, 1, 2]


def test_metrics_document_has_every_key_and_is_json(tmp_path):
    result = run(config(write_csv(tmp_path, topic_frame())), embedder=FakeEmbedder())
    m = json.loads(json.dumps(result.metrics()))
    assert {"n_docs", "k", "latent_dim", "model", "seed", "baseline", "timings_s", "embed_cache",
            "config"} | SCORE_KEYS <= set(m)
    assert set(m["baseline"]) == SCORE_KEYS
    assert set(m["timings_s"]) == {"load", "embed", "train", "cluster", "project", "total"}
    assert m["n_docs"] == 36 and m["k"] == 3 and m["seed"] == 0
    assert m["embed_cache"] == {"hits": 0, "misses": 36}
    assert m["acc"] > 0.6 and m["baseline"]["acc"] > 0.6  # the fake embedder separates the topics
    assert m["config"]["cluster"]["k"] == 3


def test_missing_labels_are_scored_on_labelled_rows_only(tmp_path, caplog):
    frame = topic_frame()
    frame.loc[::4, "label"] = None
    result = run(config(write_csv(tmp_path, frame)), embedder=FakeEmbedder())
    assert result.metrics()["n_docs"] == 36  # unlabelled rows are clustered too
    truth, pred = result.corpus.labels, result.clusters.clustering.labels
    known = np.array([t is not None for t in truth])
    assert known.sum() == 27
    expected = label_scores(truth[known].astype(str), pred[known])
    assert result.clusters.scores.acc == pytest.approx(expected["acc"])
    assert result.clusters.scores.nmi == pytest.approx(expected["nmi"])
    assert "9 rows have no label" in caplog.text


def test_second_run_reads_every_embedding_from_the_store(tmp_path):
    source = write_csv(tmp_path, topic_frame())
    store = EmbeddingStore(tmp_path / "store.sqlite")
    fake = FakeEmbedder()
    first = run(config(source), embedder=fake, store=store)
    encoded = fake.encoded
    second = run(config(source), embedder=fake, store=store)
    assert (first.embeddings.hits, first.embeddings.misses) == (0, 36)
    assert (second.embeddings.hits, second.embeddings.misses) == (36, 0)
    assert fake.encoded == encoded
    np.testing.assert_array_equal(first.clusters.clustering.labels, second.clusters.clustering.labels)


def test_duplicate_texts_are_kept_and_embedded_once(tmp_path):
    frame = pd.concat([topic_frame(4)] * 3, ignore_index=True)
    fake = FakeEmbedder()
    result = run(config(write_csv(tmp_path, frame)), embedder=fake)
    assert len(result.corpus) == 36 and fake.texts_encoded == 12
    texts, labels = result.corpus.frame["text"], result.clusters.clustering.labels
    for text in texts.unique():  # copies of a text land in the same cluster
        assert len(set(labels[(texts == text).to_numpy()])) == 1


def test_all_identical_texts_is_a_clear_error(tmp_path):
    source = write_csv(tmp_path, pd.DataFrame({"text": ["the same text"] * 20}))
    with pytest.raises(UserError, match="only 1 distinct text"):
        run(config(source, k=2), embedder=FakeEmbedder())


def test_fewer_distinct_texts_than_k_is_a_clear_error(tmp_path):
    source = write_csv(tmp_path, pd.DataFrame({"text": ["alpha beta", "gamma delta"] * 5}))
    with pytest.raises(UserError, match="only 2 distinct texts.*k=3"):
        run(config(source, k=3), embedder=FakeEmbedder())
    assert run(config(source, k=2), embedder=FakeEmbedder()).metrics()["n_docs"] == 10


def test_k_equal_to_the_number_of_texts_runs_without_internal_scores(tmp_path):
    source = write_csv(tmp_path, pd.DataFrame({"text": ["alpha beta", "gamma delta", "epsilon zeta"]}))
    m = run(config(source, k=3), embedder=FakeEmbedder()).metrics()
    assert m["n_docs"] == 3 and m["silhouette"] is None and m["davies_bouldin"] is None


def test_an_extremely_long_text_is_cut_and_runs(tmp_path):
    frame = topic_frame(4)
    frame.loc[0, "text"] = "market " * 14_285 + "end"  # 100,001 characters
    result = run(config(write_csv(tmp_path, frame)), embedder=FakeEmbedder())
    assert len(result.corpus) == 12 and max(map(len, result.corpus.texts)) <= 20_000


@pytest.mark.parametrize("k", [0, 1])
def test_k_below_two_is_rejected_when_the_settings_are_built(tmp_path, k):
    with pytest.raises(UserError, match="k must be a whole number from 2 to"):
        config(write_csv(tmp_path, topic_frame()), k=k)


@pytest.mark.parametrize("section, values, message", [
    ("encoder", {"hidden": 10_000_000}, "the hidden size must be a whole number from 1 to 4,096"),
    ("encoder", {"latent": 0}, "the latent size must be a whole number from 1 to 1,024"),
    ("encoder", {"objective": "magic"}, "unknown objective 'magic'"),
    ("data", {"fraction": 1.5}, r"the sample fraction must be in \(0, 1\]"),
    ("project", {"method": "pca"}, "unknown projection 'pca'"),
])
def test_each_config_section_checks_itself(section, values, message):
    with pytest.raises(UserError, match=message):
        RunConfig().with_(**{section: values})


def test_a_fraction_change_resamples_without_re_reading_the_source(tmp_path, monkeypatch):
    """Reading and cleaning is one stage keyed on (source, columns); sampling another on (fraction, seed)."""
    import core.pipeline
    from core.storage.cache import MemoryCache

    reads = []
    real = core.pipeline.build_corpus
    monkeypatch.setattr(core.pipeline, "build_corpus", lambda *a, **k: reads.append(1) or real(*a, **k))
    source, cache, fake = write_csv(tmp_path, topic_frame(20)), MemoryCache({}), FakeEmbedder()
    half = run(config(source, fraction=0.5), cache=cache, embedder=fake)
    whole = run(config(source, fraction=1.0), cache=cache, embedder=fake)
    again = run(config(source, fraction=0.5, seed=3), cache=cache, embedder=fake)
    assert len(reads) == 1
    assert (len(half.corpus), len(whole.corpus), len(again.corpus)) == (30, 60, 30)
    assert set(half.corpus.frame["id"]) <= set(whole.corpus.frame["id"])


def test_a_change_of_k_reports_its_clustering_steps_and_a_cached_one_reports_none(tmp_path):
    """The page shows progress while a new k is clustered (issue 27: k = 77 takes seconds); a k read
    from the cache shows nothing."""
    from core.storage.cache import MemoryCache

    source = write_csv(tmp_path, topic_frame(n_per_topic=20))
    cache, heard = MemoryCache({}), []
    progress = lambda stage, done, total, message: heard.append((stage, done, message))  # noqa: E731
    run(config(source, k=3), embedder=FakeEmbedder(), cache=cache, progress=progress)
    heard.clear()
    run(config(source, k=5), embedder=FakeEmbedder(), cache=cache, progress=progress)
    steps = [(done, message) for stage, done, message in heard if stage == "cluster"]
    assert [done for done, _ in steps] == [0, 1, 2] and "5 clusters" in steps[0][1]
    heard.clear()
    run(config(source, k=5), embedder=FakeEmbedder(), cache=cache, progress=progress)
    assert not [h for h in heard if h[0] == "cluster"]


def test_a_big_corpus_draws_its_map_beside_the_clustering_with_the_same_result(tmp_path, monkeypatch):
    """From ``OVERLAP_FROM`` texts the map is drawn in its own thread while the clustering runs: the
    same map, clusters and keys as drawn after it; an error in the map's thread reaches the caller."""
    import threading

    import core.pipeline as pipeline

    source = write_csv(tmp_path, topic_frame(20))
    cfg = config(source, seed=3).with_(project={"method": "tsne"})
    after = run(cfg, embedder=FakeEmbedder())
    threads = []
    real = pipeline.project

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "project", spy)
    monkeypatch.setattr(pipeline, "OVERLAP_FROM", 10)
    beside = run(cfg, embedder=FakeEmbedder())
    assert threads == ["map"]
    np.testing.assert_array_equal(beside.xy, after.xy)
    np.testing.assert_array_equal(beside.clusters.clustering.labels, after.clusters.clustering.labels)
    assert beside.keys == after.keys

    def broken(*args, **kwargs):
        raise RuntimeError("the map broke")

    monkeypatch.setattr(pipeline, "project", broken)
    with pytest.raises(RuntimeError, match="the map broke"):
        run(cfg.with_(seed=4), embedder=FakeEmbedder())


def test_a_run_that_fails_beside_its_map_stops_the_map(tmp_path, monkeypatch):
    """The clustering fails (or the app's Cancel stops it) while the map is drawn beside it: the map's
    next progress report stops it, so no map computation outlives its run."""
    import threading

    import core.pipeline as pipeline

    stopped, reporting = threading.Event(), threading.Event()

    def endless_map(Z, method, *, seed, perplexity, progress=None):
        try:
            while True:  # a t-SNE that reports its iterations until told to stop
                progress(1, 750)
                reporting.set()
                stopped.wait(0.01)
        finally:
            stopped.set()

    def failing_clusters(*args, **kwargs):
        assert reporting.wait(60)
        raise RuntimeError("the clustering broke")

    monkeypatch.setattr(pipeline, "project", endless_map)
    monkeypatch.setattr(pipeline, "cluster_stage", failing_clusters)
    monkeypatch.setattr(pipeline, "OVERLAP_FROM", 10)
    cfg = config(write_csv(tmp_path, topic_frame(20)), seed=3).with_(project={"method": "tsne"})
    with pytest.raises(RuntimeError, match="the clustering broke"):
        run(cfg, embedder=FakeEmbedder())
    assert stopped.wait(60)
