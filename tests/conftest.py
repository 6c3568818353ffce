import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
AG_NEWS = ROOT.parent / "shared" / "data" / "ag_news_test.csv"
pytest_plugins = ["apphelpers", "clikit"]  # the AppTest and CLI fixtures


@pytest.fixture(scope="session")
def _shared_models(tmp_path_factory):
    """Exported models (ONNX files) are built once per test session, not once per test."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch, _shared_models):
    """Every test gets its own cache folder (embedding store, results); exported models are shared."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(_shared_models, target_is_directory=True)
    monkeypatch.setenv("CLUSTERLENS_CACHE_DIR", str(cache))


@pytest.fixture(scope="session")
def ag_news_path() -> Path:
    assert AG_NEWS.exists(), f"missing {AG_NEWS}"
    return AG_NEWS


@pytest.fixture
def small_csv(tmp_path, ag_news_path) -> Path:
    """A 400-row stratified sample of AG News test as a CSV."""
    import pandas as pd

    frame = pd.read_csv(ag_news_path)
    frame = frame.groupby("label").sample(100, random_state=0)
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    return path
