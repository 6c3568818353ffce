"""The Ray path on a local Ray instance (``ray.init(num_cpus=2)``): the same file as the local path,
vectors equal to the local model's. Skipped where Ray is not installed (requirements-scale.txt)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own settings
ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install -r requirements-scale.txt")

from core.tables.data import build_corpus  # noqa: E402
from core.embedding.embed import get_embedder  # noqa: E402
from core.embedding.embed_file import read_embeddings, text_hashes  # noqa: E402
from core.embedding.embed_ray import embed_on_ray, runtime_env  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, runtime_env=runtime_env(), log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.timeout(900)  # a Ray instance and its worker's model load take minutes on a busy 2-core machine
def test_ray_writes_the_local_paths_vectors(local_ray, tmp_path):
    texts = build_corpus("demo").texts[:50]
    out = str(tmp_path / "ray.parquet")
    report = embed_on_ray(texts, model="all-MiniLM-L6-v2", backend="torch", out=out, batch_size=16)
    assert (report.actors, report.gpus_per_actor, report.backend) == (1, 0, "torch-fp32")
    file = read_embeddings(out)
    local = get_embedder("all-MiniLM-L6-v2", "torch")
    assert (file.model, file.fingerprint, file.backend, file.dim) == ("all-MiniLM-L6-v2", local.fingerprint,
                                                                      "torch-fp32", 384)
    assert list(file.row_ids) == list(range(50)) and file.hashes == text_hashes(texts)  # in order
    cosine = (file.lookup(texts) * local.encode(texts)).sum(axis=1)
    assert cosine.min() >= 0.9999
