"""Frozen settings for every stage of the pipeline, and the one seed that flows through them.

Each stage reads only its own section, so a stage's cache key is its section plus the keys of the
stages before it (see ``core.pipeline``).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = "hf://datasets/Zhouhc/attack-agnews/agnews_train.csv"
DEMO_SOURCE = "demo"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
CACHE_ENV = "CLUSTERLENS_CACHE_DIR"


@dataclass(frozen=True)
class DataConfig:
    """Where the texts come from and how many of them to keep."""

    source: str = DEFAULT_SOURCE
    text_col: str | None = None
    label_col: str | None = None
    fraction: float = 0.10


@dataclass(frozen=True)
class EmbedConfig:
    """The sentence-embedding model and how to run it."""

    model: str = DEFAULT_MODEL
    backend: str = "auto"  # auto | torch | torch-bf16 | onnx | cuda
    batch_size: int = 64


@dataclass(frozen=True)
class EncoderConfig:
    """The paper's network (input -> hidden -> ReLU -> latent) and how it is trained."""

    hidden: int = 128
    latent: int = 64
    objective: str = "autoencoder"
    epochs: int = 50
    batch_size: int = 256
    lr: float = 1e-3
    device: str = "auto"  # auto | cpu | cuda


@dataclass(frozen=True)
class ClusterConfig:
    """K-Means settings and the refinement of its partition. ``n_init`` is pinned: scikit-learn changed
    its default once already."""

    k: int = 4
    n_init: int = 10
    silhouette_sample: int = 3_000  # a seeded sample above this: O(n^2) pairs would dominate a k change
    # coview: K-Means on the raw embeddings, refined where the texts' words and the embedding's
    # neighbours agree (core.coview); none: the K-Means partition as it is
    refine: str = "coview"


@dataclass(frozen=True)
class ProjectConfig:
    """The 2-D map: ``tsne``, ``umap`` or ``none``."""

    method: str = "tsne"
    perplexity: float = 30.0


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one run. The same config and seed give the same result on the CPU."""

    data: DataConfig = field(default_factory=DataConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    project: ProjectConfig = field(default_factory=ProjectConfig)
    seed: int = 42

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

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
