"""Rules by corpus size that keep big corpora cheap (issue 16, item 3): the training step cap, the map
laid out from landmarks, fewer K-Means restarts and co-view regressions fitted on a sample. Each
leaves small corpora exactly as they were. Small generated data, fast."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from core.projection import landmarks
from core.training import objectives
from core.clustering.cluster import restarts
from core.config import EncoderConfig
from core.clustering.coview import crossfit_predict
from core.training.encoder import Encoder, step_cap_key
from core.training.objectives import NeighbourEmbedding, anchor_batches
from core.projection.project import TSNE_ITERS, map_title, project
from test_coview import corpus


def epoch(n: int, seed: int = 0, **caps) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return list(anchor_batches(n, 256, 30, g, torch.device("cpu"), **caps))


def test_a_big_corpus_gets_the_steps_of_7600_texts_a_small_one_its_own():
    cap = NeighbourEmbedding()
    steps = {n: len(epoch(n, max_passes=cap.max_passes, max_batches=cap.max_batches))
             for n in (320, 3_080, 7_600, 7_681, 120_000)}
    assert steps == {320: 6, 3_080: 39, 7_600: 30, 7_681: 30, 120_000: 30}
    big = torch.cat(epoch(120_000, max_batches=30))
    assert len(big) == 30 * 256 and len(big.unique()) == len(big) and int(big.max()) < 120_000
    assert not torch.equal(big, torch.cat(list(anchor_batches(120_000, 256, 30, torch.Generator().manual_seed(1),
                                                               torch.device("cpu"), None, 30))))


@pytest.mark.parametrize("n", [320, 7_600])
def test_the_cap_leaves_a_small_corpus_batches_unchanged(n):
    capped, free = epoch(n, max_passes=3, max_batches=30), epoch(n, max_passes=3)
    assert len(capped) == len(free) and all(torch.equal(a, b) for a, b in zip(capped, free))


def test_only_a_capped_corpus_changes_its_train_key():
    assert step_cap_key(EncoderConfig(), 7_600) == ()
    assert step_cap_key(EncoderConfig(), 120_000) != ()
    assert step_cap_key(EncoderConfig(objective="autoencoder"), 120_000) == ()


def test_a_small_corpus_trains_the_same_weights_as_without_the_cap(monkeypatch):
    X = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    cfg = EncoderConfig(hidden=16, latent=4, epochs=3)
    with_cap = Encoder(cfg, seed=3).fit(X).transform(X)
    monkeypatch.setitem(objectives.OBJECTIVES, "neighbours", replace(NeighbourEmbedding(), max_batches=10**9))
    assert np.array_equal(with_cap, Encoder(cfg, seed=3).fit(X).transform(X))


def test_a_capped_corpus_makes_the_capped_number_of_steps(monkeypatch):
    X = np.random.default_rng(0).normal(size=(2_000, 8)).astype(np.float32)
    seen = []
    base = NeighbourEmbedding()

    class Counting(type(base)):
        def loss(self, *args):
            seen.append(1)
            return super().loss(*args)

    monkeypatch.setitem(objectives.OBJECTIVES, "neighbours", Counting())
    Encoder(EncoderConfig(hidden=8, latent=2, epochs=2, batch_size=16), seed=0).fit(X)
    assert len(seen) == 2 * base.max_batches  # 125 batches a pass, 30 taken an epoch


def blobs(n: int, d: int = 8, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % k
    centres = 10 * rng.normal(size=(k, d))
    return (centres[truth] + rng.normal(size=(n, d))).astype(np.float32), truth


def test_points_are_placed_among_their_nearest_landmarks():
    Z, truth = blobs(600)
    rows = landmarks.landmark_rows(len(Z), 120, seed=0)
    xy = Z[rows, :2] * 3  # any layout of the landmarks: here a scaled linear one
    placed = landmarks.place(Z, rows, xy)
    assert placed.shape == (600, 2) and np.isfinite(placed).all()
    assert np.array_equal(placed[rows], xy)  # landmarks keep their positions
    centres = np.stack([xy[truth[rows] == c].mean(0) for c in range(3)])
    nearest = np.linalg.norm(placed[:, None] - centres[None], axis=2).argmin(1)
    assert (nearest == truth).mean() == 1.0  # every point lands in its own blob's region
    copy = np.concatenate([Z, Z[rows[:1]]])  # a point on top of a landmark lands on it
    assert np.allclose(landmarks.place(copy, rows, xy)[-1], xy[0], atol=1e-4)


def test_a_small_corpus_forced_through_the_landmark_path_gives_a_whole_sane_map(monkeypatch):
    monkeypatch.setattr(landmarks, "LANDMARKS_ABOVE", 100)
    monkeypatch.setattr(landmarks, "N_LANDMARKS", 150)
    Z, truth = blobs(450)
    seen = []
    xy = project(Z, "tsne", seed=0, progress=lambda done, total: seen.append((done, total)))
    assert xy.shape == (450, 2) and np.isfinite(xy).all()
    assert seen[-1] == (sum(TSNE_ITERS), sum(TSNE_ITERS))
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    near = np.argsort(d, axis=1)[:, :5]
    assert (truth[near] == truth[:, None]).mean() > 0.95  # the blobs stay apart on the map
    assert "landmarks" in map_title("tsne", 450) and "150 landmarks" in map_title("tsne", 450)
    assert map_title("tsne", 100) == "t-SNE of the latent space"


def test_kmeans_restarts_shrink_only_above_20000_points():
    assert [restarts(n, 10) for n in (320, 7_600, 20_000, 25_000, 100_000, 120_000)] == [10, 10, 10, 8, 2, 1]
    assert restarts(120_000, 1) == 1 and restarts(5_000, 3) == 3


def test_kmeans_restarts_shrink_above_20_clusters_and_their_keys_change(monkeypatch):
    """Many clusters: k-means++ seeding is most of a run's cost and the best of two runs agrees with the
    best of ten; clusters cached under ten restarts are never read back for the fewer."""
    import sklearn.cluster

    from core import pipeline
    from core.clustering.cluster import kmeans
    from core.config import ClusterConfig

    assert [restarts(3_080, 10, k) for k in (4, 20, 25, 77, 150)] == [10, 10, 8, 2, 1]
    asked = []
    real = sklearn.cluster.KMeans
    monkeypatch.setattr("core.clustering.cluster.KMeans", lambda **kw: asked.append(kw["n_init"]) or real(**kw))
    X = np.random.default_rng(0).normal(size=(400, 8)).astype(np.float32)
    kmeans(X, 4, seed=0), kmeans(X, 77, seed=0)
    assert asked == [10, 2]
    assert pipeline.scale_rules_key(3_080, 20) == () and pipeline.scale_rules_key(3_080, 21) != ()
    plain = pipeline.stage_key("baseline", "e", "s", 77, 10, 3000, 42)  # the key before the rule
    assert pipeline.baseline_key("e", "s", ClusterConfig(k=77), 42, 3_080) != plain
    assert pipeline.baseline_key("e", "s", ClusterConfig(k=4), 42, 3_080) == \
        pipeline.stage_key("baseline", "e", "s", 4, 10, 3000, 42)  # k <= 20: its cached clusters stay


def test_coview_regressions_fitted_on_a_sample_still_predict_every_row(monkeypatch):
    from sklearn.linear_model import LogisticRegression

    from core.clustering.coview import word_view

    texts, _, truth = corpus(sizes=(150, 150, 150))
    words = word_view(texts)
    full = crossfit_predict(words, truth, seed=0)
    assert np.array_equal(full, crossfit_predict(words, truth, seed=0, fit_rows=450))  # n <= fit_rows: unchanged
    fitted_rows, fit = [], LogisticRegression.fit

    def counting(self, X, y, *args, **kwargs):
        fitted_rows.append(X.shape[0])
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(LogisticRegression, "fit", counting)
    sampled = crossfit_predict(words, truth, seed=0, fit_rows=120)
    assert len(fitted_rows) == 5 and max(fitted_rows) < 120 and sum(fitted_rows) == 4 * 120  # 4 folds of the sample each
    assert (sampled == truth).mean() > 0.95  # every row predicted; the words name the topics, a sample learns them


def test_clusters_made_before_the_size_rules_are_not_read_back_for_a_big_corpus():
    """The baseline and cluster keys of a corpus above the size rules' threshold differ from the keys
    the same settings had before the rules; a smaller corpus keeps its keys (and its cached clusters)."""
    from core import pipeline
    from core.config import ClusterConfig

    cfg = ClusterConfig(k=4)
    small = [pipeline.baseline_key("e", "s", cfg, 42, n) for n in (320, 7_600, 20_000)]
    assert len(set(small)) == 1 and pipeline.scale_rules_key(20_000) == ()
    assert pipeline.baseline_key("e", "s", cfg, 42, 20_001) != small[0]
    assert pipeline.scale_rules_key(120_000) != ()


# -- a million texts (issue 29): the encoder trains on, and the co-view votes on, a seeded sample ---------
def test_the_scale_sample_exists_only_above_its_threshold_and_is_a_function_of_n():
    from core.training import neighbours

    assert neighbours.scale_sample(neighbours.SAMPLE_ABOVE) is None and neighbours.sample_key(50_000) == ()
    rows = neighbours.scale_sample(neighbours.SAMPLE_ABOVE + 1)
    assert len(rows) == neighbours.SAMPLE_ROWS and len(np.unique(rows)) == len(rows)
    assert np.array_equal(rows, np.sort(rows)) and int(rows.max()) <= neighbours.SAMPLE_ABOVE
    assert np.array_equal(rows, neighbours.scale_sample(neighbours.SAMPLE_ABOVE + 1))
    assert neighbours.sample_key(neighbours.SAMPLE_ABOVE + 1) != ()


def small_sample_rules(monkeypatch, above: int = 200, rows: int = 150) -> None:
    from core.training import neighbours

    monkeypatch.setattr(neighbours, "SAMPLE_ABOVE", above)
    monkeypatch.setattr(neighbours, "SAMPLE_ROWS", rows)


def test_the_encoder_trains_on_the_sample_above_the_threshold_and_maps_every_row(monkeypatch):
    from core import pipeline

    small_sample_rules(monkeypatch)
    cfg = EncoderConfig(hidden=8, latent=2, epochs=2)
    fitted = []
    fit = Encoder.fit
    monkeypatch.setattr(Encoder, "fit", lambda self, X, **kw: fitted.append(len(X)) or fit(self, X, **kw))
    X = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    big = pipeline.train(X, cfg, seed=1)
    assert fitted == [150] and big.latent.shape == (300, 2)
    from core.training.neighbours import scale_sample

    alone = Encoder(cfg, seed=1).fit(X[scale_sample(300)])  # the same rows the stage picks
    assert np.array_equal(big.latent, alone.transform(X))
    small = pipeline.train(X[:200], cfg, seed=1)  # at the threshold: every row, as before
    assert fitted == [150, 150, 200]
    assert np.array_equal(small.latent, Encoder(cfg, seed=1).fit(X[:200]).transform(X[:200]))


def test_only_a_corpus_above_the_sample_threshold_changes_its_train_key(monkeypatch):
    from core import pipeline
    from core.storage.cache import NoCache

    small_sample_rules(monkeypatch)
    cfg = EncoderConfig(hidden=8, latent=2, epochs=1)
    X = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    key = lambda n: pipeline.train_stage("e", X[:n], cfg, 0, NoCache())[0]  # noqa: E731
    before = lambda n: pipeline.stage_key("train", pipeline.TRAIN_RECIPE, "e", pipeline.asdict(cfg), 0)  # noqa: E731
    assert key(200) == before(200) and key(201) != before(201)


def test_the_coview_votes_on_the_sample_and_places_the_rest_at_the_nearest_centre(monkeypatch):
    from core import pipeline
    from core.config import ClusterConfig
    from core.clustering.coview import reassign
    from core.training.neighbours import scale_sample
    from test_coview import corrupt

    texts, X, truth = corpus(sizes=(100, 100, 100))
    noisy = corrupt(truth, 3, 0.15)
    cfg = ClusterConfig(k=3)
    below = pipeline.reassigned(X, X, noisy, texts, pipeline.coview_views(X, texts), None, cfg, 0)
    assert np.array_equal(below.clustering.labels, reassign(X, noisy, texts, seed=0).labels)  # unchanged
    small_sample_rules(monkeypatch)
    rows = scale_sample(300)
    views = pipeline.coview_views(X, texts)
    assert views["neighbours"].shape[0] == 150 and views["words"].shape[0] == 150  # the sample's views only
    labels = pipeline.reassigned(X, X, noisy, texts, views, truth, cfg, 0).clustering.labels
    voted = reassign(X[rows], noisy[rows], [texts[i] for i in rows], seed=0).labels
    assert np.array_equal(labels[rows], voted)  # the sample keeps the co-view's verdict
    others = np.setdiff1d(np.arange(300), rows)
    assert (labels[others] == truth[others]).mean() == 1.0  # the rest follow the sample's clusters, not the noise
    assert (noisy[others] != truth[others]).any()


def test_cluster_keys_change_only_above_the_sample_threshold():
    from core.training import neighbours
    from core import pipeline
    from core.config import ClusterConfig

    cfg = ClusterConfig(k=4)
    assert pipeline.scale_rules_key(50_000) == ("scale rules 1",)  # what 20,001 to 100,000 texts had
    assert pipeline.scale_rules_key(neighbours.SAMPLE_ABOVE) == ("scale rules 1",)
    above = neighbours.SAMPLE_ABOVE + 1
    assert pipeline.baseline_key("e", "s", cfg, 42, above) != \
        pipeline.stage_key("baseline", "e", "s", 4, 10, 3000, 42, "scale rules 1")


def test_kmeans_above_the_sample_threshold_starts_from_a_samples_best_run(monkeypatch):
    """A single k-means++ start on all rows (the restart budget of a big corpus) often lands in a worse
    optimum; the best of ten runs on a sample, then one run on all rows, finds the good one for every seed.
    At or below the threshold nothing changes."""
    from sklearn.cluster import KMeans

    from core.clustering import cluster
    from core.training import neighbours
    from core.clustering.cluster import kmeans

    rng = np.random.default_rng(0)
    centres = 6 * rng.normal(size=(8, 2))
    X = (centres[np.arange(3_000) % 8] + rng.normal(size=(3_000, 2))).astype(np.float32)
    assert np.array_equal(kmeans(X, 8, seed=1).labels, KMeans(8, n_init=10, random_state=1).fit(X).labels_)  # unchanged
    monkeypatch.setattr(neighbours, "SAMPLE_ABOVE", 1_000)
    monkeypatch.setattr(cluster, "START_ROWS", 400)
    monkeypatch.setattr(cluster, "RESTART_BUDGET", 4_000)  # one restart on 3,000 rows, as a million get
    single = [KMeans(8, n_init=1, random_state=s).fit(X).inertia_ for s in range(10)]
    started = [kmeans(X, 8, seed=s).inertia for s in range(10)]
    best = min(single)
    assert max(single) > 1.1 * best  # single starts: some seeds land far off
    assert max(started) < 1.001 * best  # the sample's best run: every seed finds the good optimum


def test_above_the_cells_threshold_points_are_placed_from_nearby_cells_of_landmarks(monkeypatch):
    """The cell search finds what the full search finds on clustered points (each point compared with
    a share of the landmarks only), and is used only above its threshold: smaller maps are unchanged."""
    Z, truth = blobs(3_000, k=4)
    rows = landmarks.landmark_rows(len(Z), 600, seed=0)
    xy = Z[rows, :2] * 3
    exact = landmarks.place(Z, rows, xy)
    cells = landmarks.place_by_cells(Z, rows, xy, seed=0, cells=12, probe=4)
    assert np.array_equal(cells[rows], xy)
    assert np.allclose(cells, exact, atol=1e-3 * np.ptp(exact))  # same nearest landmarks, same places
    compared = []
    real_addmm = torch.addmm
    monkeypatch.setattr(torch, "addmm", lambda a, p, l, **kw: compared.append(l.shape[1]) or real_addmm(a, p, l, **kw))
    landmarks.place_by_cells(Z, rows, xy, seed=0, cells=12, probe=4)
    assert max(compared) < 0.6 * len(rows)  # never all the landmarks at once
    placed = []
    monkeypatch.setattr(landmarks, "place_by_cells", lambda *a, **kw: placed.append(1) or exact)
    monkeypatch.setattr(landmarks, "N_LANDMARKS", 600)
    layout = lambda Y, progress: Y[:, :2] * 3  # noqa: E731
    monkeypatch.setattr(landmarks, "CELLS_ABOVE", 3_000)
    assert np.array_equal(landmarks.landmark_map(Z, layout, seed=0), exact) and placed == []  # at it: exact
    monkeypatch.setattr(landmarks, "CELLS_ABOVE", 2_999)
    landmarks.landmark_map(Z, layout, seed=0)
    assert placed == [1]
    assert landmarks.placement_key(3_000) and not landmarks.placement_key(2_999)  # the map's key says so above it


def test_the_maps_key_changes_only_above_the_cells_threshold(monkeypatch):
    from core.config import ProjectConfig
    from core.pipeline import project_stage
    from core.storage.cache import NoCache

    Z = np.zeros((4, 2), np.float32)  # fewer than 5 points: no map is drawn, the key is still made
    below, _ = project_stage("t", Z, ProjectConfig("tsne"), 0, NoCache())
    monkeypatch.setattr(landmarks, "CELLS_ABOVE", 3)
    above, _ = project_stage("t", Z, ProjectConfig("tsne"), 0, NoCache())
    monkeypatch.setattr(landmarks, "CELLS_ABOVE", 4)
    assert above != below and project_stage("t", Z, ProjectConfig("tsne"), 0, NoCache())[0] == below

