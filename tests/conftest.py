import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))
#: The folder holding the team's measuring corpora (AG News and BANKING77 test splits). A clone without
#: it still passes: only the tests that measure on those corpora skip, saying where they looked.
SHARED_DATA_ENV = "CLUSTERLENS_SHARED_DATA"
SHARED_DATA = Path(os.environ.get(SHARED_DATA_ENV) or ROOT.parent / "shared" / "data")
DEMO = ROOT / "core" / "demo" / "demo_news.csv"


def shared_file(name: str) -> Path:
    """The shared corpus ``name``, or a skip that says where it was looked for and how to point at it."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{name} not found at {path}; set {SHARED_DATA_ENV} to the folder that holds it")
    return path
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
    """AG News' test split (7,600 rows, labels 1-4); skips where the shared data is absent."""
    return shared_file("ag_news_test.csv")


@pytest.fixture(scope="session")
def banking77_path() -> Path:
    """BANKING77's test split (3,080 queries, 77 intents); skips where the shared data is absent."""
    return shared_file("banking77_test.csv")


@pytest.fixture
def small_csv(tmp_path) -> Path:
    """The bundled demo corpus (320 news texts, 4 labels, columns title,description,label) as a CSV."""
    path = tmp_path / "small.csv"
    path.write_bytes(DEMO.read_bytes())
    return path
