"""Frozen settings for every stage of the pipeline, and the one seed that flows through them.

Each stage reads only its own section, so a stage's cache key is its section plus the keys of the
stages before it (see ``core.pipeline``).
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.errors import UserError

DEFAULT_SOURCE = "hf://datasets/Zhouhc/attack-agnews/agnews_train.csv"
DEMO_SOURCE = "demo"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
CACHE_ENV = "CLUSTERLENS_CACHE_DIR"
MAX_HIDDEN = 4096
MAX_LATENT = 1024
MAX_EPOCHS = 1000
MAX_K = 500


def _in_range(what: str, value: Any, low: int, high: int) -> None:
    """Each config section checks itself when built: one clear ``UserError`` naming the setting."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"{what} must be a whole number from {low} to {high:,}, got {value!r}")


@dataclass(frozen=True)
class DataConfig:
    """Where the texts come from and how many of them to keep."""

    source: str = DEFAULT_SOURCE
    text_col: str | tuple[str, ...] | None = None  # several columns are joined (headline + body)
    label_col: str | None = None
    fraction: float = 0.10

    def __post_init__(self) -> None:
        f = self.fraction
        if isinstance(f, bool) or not isinstance(f, (int, float)) or math.isnan(f) or not 0 < f <= 1:
            raise UserError(f"the sample fraction must be in (0, 1], got {f}")


@dataclass(frozen=True)
class EmbedConfig:
    """The sentence-embedding model and how to run it."""

    model: str = DEFAULT_MODEL
    backend: str = "auto"  # auto | torch | torch-bf16 | onnx | cuda
    batch_size: int = 64

    def __post_init__(self) -> None:
        _in_range("the embedding batch size", self.batch_size, 1, 4096)


@dataclass(frozen=True)
class EncoderConfig:
    """The paper's network (input -> hidden -> ReLU -> latent) and how it is trained."""

    hidden: int = 128
    latent: int = 64
    objective: str = "neighbours"  # the default of the CLI and the app (see core.training.objectives)
    epochs: int = 50
    batch_size: int = 256
    lr: float = 1e-3
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        from core.training.objectives import get_objective  # the registry (it imports nothing from here)

        # bounds: a hidden layer of 10,000,000 would ask for 15 GB; these leave room for any real use
        _in_range("the hidden size", self.hidden, 1, MAX_HIDDEN)
        _in_range("the latent size", self.latent, 1, MAX_LATENT)
        _in_range("the number of epochs", self.epochs, 1, MAX_EPOCHS)
        _in_range("the training batch size", self.batch_size, 1, 65_536)
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise UserError(f"the learning rate must be a positive number, got {self.lr}")
        get_objective(self.objective)


@dataclass(frozen=True)
class ClusterConfig:
    """K-Means settings and the co-view's reassignment of its partition. ``n_init`` is pinned: scikit-learn changed
    its default once already."""

    k: int = 4
    n_init: int = 10
    silhouette_sample: int = 3_000  # a seeded sample above this: O(n^2) pairs would dominate a k change
    # coview: K-Means on the raw embeddings, reassigned where the texts' words and the embedding's
    # neighbours agree (core.clustering.coview); latent: the paper's K-Means on the encoder's latent vectors
    method: str = "coview"

    def __post_init__(self) -> None:
        from core.clustering.cluster_stage import get_method  # the registry of methods (it imports no config: no cycle)
        get_method(self.method)
        _in_range("k", self.k, 2, MAX_K)
        _in_range("n_init", self.n_init, 1, 1000)
        _in_range("the silhouette sample", self.silhouette_sample, 2, 10**7)


@dataclass(frozen=True)
class ProjectConfig:
    """The 2-D map: ``tsne``, ``umap`` or ``none``."""

    method: str = "tsne"
    perplexity: float = 30.0

    def __post_init__(self) -> None:
        from core.projection.project import get  # the registry of projections (core.projection.project imports no config: no cycle)
        get(self.method)
        if not (isinstance(self.perplexity, (int, float)) and 0 < self.perplexity <= 1000):
            raise UserError(f"the perplexity must be in (0, 1000], got {self.perplexity}")


@dataclass(frozen=True)
class RefineConfig:
    """Refine (opt-in): fine-tune the sentence model's top ``layers`` on the texts' own pseudo-labels
    (see ``core.training.refine``), then embed, train and cluster again. ``keep``: the share of each cluster
    learnt from (its most confident texts)."""

    enabled: bool = False
    layers: int = 2
    epochs: int = 2
    keep: float = 0.5
    lr: float = 5e-5
    batch: int = 32

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise UserError(f"refine must be on or off, got {self.enabled!r}")
        _in_range("the number of refined layers", self.layers, 1, 64)
        _in_range("the refine epochs", self.epochs, 1, 100)
        _in_range("the refine batch size", self.batch, 2, 1024)
        k, lr = self.keep, self.lr
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 < k <= 1:
            raise UserError(f"the refine share kept must be in (0, 1], got {k!r}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= 0.01:
            raise UserError(f"the refine learning rate must be in (0, 0.01], got {lr!r}")


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one run. The same config and seed give the same result on the CPU."""

    data: DataConfig = field(default_factory=DataConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    project: ProjectConfig = field(default_factory=ProjectConfig)
    refine: RefineConfig = field(default_factory=RefineConfig)
    seed: int = 42

    def __post_init__(self) -> None:
        from core.embedding.static_embedder import STATIC_MODEL  # a name only: model2vec is not imported

        _in_range("the seed", self.seed, 0, 2**32 - 1)  # NumPy's and scikit-learn's range
        if self.refine.enabled and self.embed.model.strip().lower() == STATIC_MODEL:
            raise UserError("Refine fine-tunes the sentence transformer's layers, and the static embedder has "
                            "none; choose the full model (all-MiniLM-L6-v2) to refine")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(doc: dict[str, Any]) -> "RunConfig":
        """The config :meth:`to_dict` wrote (a project's saved settings); keys this version does not
        know are left out, missing ones take their defaults, and each section checks its values."""
        from dataclasses import fields

        def section(cls: type, values: Any) -> Any:
            known = {f.name for f in fields(cls)}
            values = {k: v for k, v in (values or {}).items() if k in known}
            if isinstance(values.get("text_col"), list):  # JSON has no tuples: several text columns
                values["text_col"] = tuple(values["text_col"])
            return cls(**values)

        sections = {f.name: f.default_factory for f in fields(RunConfig) if f.name != "seed"}
        built = {name: section(make, doc.get(name)) for name, make in sections.items()}  # type: ignore[misc]
        return RunConfig(**built, seed=int(doc.get("seed", RunConfig.seed)))

    def with_(self, **sections: Any) -> "RunConfig":
        """Return a copy with whole sections or fields of sections replaced.

        ``cfg.with_(cluster={"k": 5}, seed=1)`` keeps every other setting.
        """
        changes: dict[str, Any] = {}
        for name, value in sections.items():
            current = getattr(self, name)
            changes[name] = replace(current, **value) if isinstance(value, dict) else value
        return replace(self, **changes)


def cache_dir() -> Path:
    """The per-user cache folder (embedding store, hub downloads); ``$CLUSTERLENS_CACHE_DIR`` overrides it."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clusterlens"
