"""Embedding on a Ray cluster with Ray Data: ``python -m core embed --ray [ADDRESS] --out FILE.parquet``.

The texts become a Ray dataset; ``map_batches`` runs them through a pool of :class:`EmbedActor`
actors, each of which loads the model once (one GPU per actor when the cluster has GPUs); the
vectors stream back to this process in order and are written by :class:`core.embedding.embed_file.EmbeddingsWriter`,
the same file the local path writes. Ray is an optional extra (``requirements-scale.txt``): it is
imported only here, only when this path runs, and never by the app or the rest of ``core``.
Every worker needs this project's requirements installed (the model comes from a pip package); the
``core`` package itself travels with the job (Ray's ``py_modules``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import UserError

log = logging.getLogger(__name__)

#: Texts per call of an actor: large enough to keep a GPU busy, small enough for steady progress.
BATCH_SIZE = 256


def import_ray():
    """The ``ray`` module, or one clear error saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise UserError("the Ray path needs Ray Data: pip install -r requirements-scale.txt") from None
    return ray


class EmbedActor:
    """One model per actor, loaded once; maps a batch of texts to their vectors.

    Input batch: ``row_id`` (b,) and ``text`` (b,). Output: ``row_id``, ``text_hash`` (b,) hex,
    ``vector`` (b, dim) float32, and the model's ``fingerprint`` and ``backend`` per row (the driver
    checks every worker ran the same model)."""

    def __init__(self, model: str, backend: str) -> None:
        from core.embedding.embed import get_embedder

        self.embedder = get_embedder(model, backend)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from core.embedding.embed_file import text_hashes

        texts = [str(t) for t in batch["text"]]
        vectors = np.asarray(self.embedder.encode(texts, batch_size=64), dtype=np.float32)
        b = len(texts)
        return {"row_id": np.asarray(batch["row_id"], dtype=np.int64), "text_hash": np.array(text_hashes(texts)),
                "vector": vectors, "fingerprint": np.full(b, self.embedder.fingerprint),
                "backend": np.full(b, self.embedder.backend)}


def runtime_env() -> dict[str, list[str]]:
    """What a job needs on every worker besides the requirements: this ``core`` package, uploaded."""
    return {"py_modules": [str(Path(__file__).resolve().parents[1])]}


@dataclass(frozen=True)
class RayReport:
    seconds: float
    actors: int
    gpus_per_actor: int
    backend: str


def pool_size(resources: dict[str, float], actors: int | None) -> tuple[int, int]:
    """(actors, GPUs per actor): one actor per GPU when the cluster has GPUs; else one per CPU but one
    (each actor holds one CPU, and Ray Data's own tasks need a CPU free, or the job waits forever)."""
    gpus = int(resources.get("GPU", 0))
    if actors is not None and actors < 1:
        raise UserError(f"--ray-actors must be at least 1, got {actors}")
    if gpus:
        return min(actors or gpus, gpus), 1
    return actors or max(1, int(resources.get("CPU", 1)) - 1), 0


def embed_on_ray(texts: list[str], *, model: str, backend: str, out: str, address: str | None = None,
                 actors: int | None = None, batch_size: int = BATCH_SIZE) -> RayReport:
    """Embed (n,) ``texts`` on Ray and write them to ``out`` as :mod:`core.embedding.embed_file` does.

    Connects to ``address`` (``ray://host:10001``; None: RAY_ADDRESS or a local instance) unless Ray
    is already initialised in this process (then its job must carry :func:`runtime_env`, as a test's
    ``ray.init(num_cpus=2, runtime_env=runtime_env())`` does)."""
    from core.embedding.embed_file import EmbeddingsWriter

    ray = import_ray()
    import pandas as pd

    if not texts:
        raise UserError("no texts to embed")
    if not log.isEnabledFor(logging.INFO):  # without --verbose, Ray Data's own progress lines are noise
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if not ray.is_initialized():
        ray.init(address=address, runtime_env=runtime_env(), logging_level=logging.WARNING, log_to_driver=False)
    n_actors, gpus = pool_size(ray.cluster_resources(), actors)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # the file lists the texts in their order
    context.enable_progress_bars = False  # the CLI prints its own summary line
    started = time.perf_counter()
    frame = pd.DataFrame({"row_id": np.arange(len(texts), dtype=np.int64), "text": texts})
    vectors = ray.data.from_pandas(frame).map_batches(
        EmbedActor, fn_constructor_kwargs={"model": model, "backend": backend},
        compute=ray.data.ActorPoolStrategy(size=n_actors), batch_size=batch_size, batch_format="numpy",
        num_gpus=gpus, num_cpus=1)  # Ray sets an actor's OpenMP threads to its CPUs: no oversubscription
    writer = EmbeddingsWriter(out, model=model)
    try:
        for batch in vectors.iter_batches(batch_size=batch_size, batch_format="numpy"):
            fingerprints, backends = set(batch["fingerprint"]), set(batch["backend"])
            if len(fingerprints) > 1 or len(backends) > 1:
                raise UserError(f"the Ray workers ran different models or backends ({sorted(fingerprints)}, "
                                f"{sorted(backends)}); install the same requirements on every node")
            writer.write(batch["row_id"], list(batch["text_hash"]), np.stack(batch["vector"]),
                         fingerprint=str(batch["fingerprint"][0]), backend=str(batch["backend"][0]))
            log.info("embedded %d of %d texts on Ray", writer.rows, len(texts))
        if writer.rows != len(texts):
            raise RuntimeError(f"Ray returned {writer.rows} vectors for {len(texts)} texts")
        backend_used = writer.backend or backend
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return RayReport(time.perf_counter() - started, n_actors, gpus, backend_used)
