import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from core.errors import UserError
from core.projection.project import project


def blobs(n=400, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 4, n)
    return (rng.randn(4, 32)[y] * 4 + rng.randn(n, 32)).astype(np.float32), y


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_projection_keeps_neighbours_and_is_seeded(method):
    X, _ = blobs()
    a = project(X, method, seed=1)
    assert a.shape == (400, 2) and np.isfinite(a).all()
    assert trustworthiness(X, a, n_neighbors=10) > 0.85
    assert np.allclose(a, project(X, method, seed=1))


def test_small_inputs():
    X, _ = blobs(n=12)
    assert project(X, "tsne", seed=0).shape == (12, 2)  # perplexity lowered, not an error
    with pytest.raises(UserError, match="at least 5"):
        project(X[:3], "tsne", seed=0)
    assert project(X, "none", seed=0) is None
    with pytest.raises(UserError, match="unknown projection"):
        project(X, "pca3d", seed=0)


def test_tsne_on_the_fft_path_is_seeded_and_keeps_neighbours():
    """From 2,000 points t-SNE takes the FFT path with two threads: still the same map for the same seed."""
    from core.projection.project import FFT_FROM

    X, _ = blobs(n=FFT_FROM + 100)
    a = project(X, "tsne", seed=2)
    assert trustworthiness(X, a, n_neighbors=10) > 0.85
    assert np.allclose(a, project(X, "tsne", seed=2))


def test_a_projection_registered_in_core_project_is_offered_everywhere(monkeypatch, fake_app):
    """Issue 30: a new projection is one registry entry in ``core.projection.project``; the config, the CLI, a link,
    the map's title and the sidebar's *Map* choice take it from there with nothing else changed."""
    from sklearn.decomposition import PCA

    from apphelpers import map_charts
    from core.projection import project as projections
    from core.cli import build_parser
    from core.config import RunConfig
    from core.session.view_link import parse

    pca = projections.Projection("pca", "PCA", "A linear map: the two directions of most spread.",
                                 lambda X, seed, perplexity, progress:
                                 PCA(2, random_state=seed).fit_transform(X).astype(np.float32))
    monkeypatch.setitem(projections.REGISTRY, "pca", pca)
    X, _ = blobs(n=50)
    assert project(X, "pca", seed=0).shape == (50, 2)
    assert RunConfig().with_(project={"method": "pca"}).project.method == "pca"
    assert build_parser().parse_args(["run", "--projection", "pca"]).projection == "pca"
    assert parse({"projection": "PCA"}) == ({"projection": "pca"}, [])
    assert projections.map_title("pca", 50) == "PCA of the latent space"

    at = fake_app()
    at.run()
    assert "PCA" in at.sidebar.radio(key="projection").options
    at.sidebar.radio(key="projection").set_value("PCA").run()
    assert not at.exception and not at.error
    assert map_charts(at)[0]["layout"]["title"]["text"].startswith("PCA of the latent space")
