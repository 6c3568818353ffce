"""The paper's encoder (Linear in->hidden, ReLU, Linear hidden->latent) and its fit/transform wrapper.

``Encoder`` follows scikit-learn's conventions: ``__init__`` only stores settings, ``fit`` validates,
seeds a private generator and trains, learned state ends in ``_``, ``transform`` never trains.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from core.config import EncoderConfig
from core.training.objectives import Objective, get_objective
from core.threads import TRAIN_THREADS, torch_threads

log = logging.getLogger(__name__)

#: progress(epoch, epochs, loss) after every epoch.
EpochProgress = Callable[[int, int, float], None]


class MLP(nn.Module):
    """Linear(d_in -> hidden) -> ReLU -> Linear(hidden -> d_out). Shapes: (n, d_in) -> (n, d_out)."""

    def __init__(self, d_in: int, hidden: int, d_out: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU; an unavailable CUDA request falls back loudly."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        log.warning("CUDA was requested but is not available; training on the CPU instead")
        return torch.device("cpu")
    return torch.device(device)


class Encoder:
    """Trains the paper's encoder with a chosen objective; maps (n, d_in) embeddings to (n, latent)."""

    def __init__(self, config: EncoderConfig = EncoderConfig(), *, seed: int = 42) -> None:
        self.config = config
        self.seed = seed

    # -- training -------------------------------------------------------------------------------
    def fit(self, X: np.ndarray, progress: EpochProgress | None = None) -> "Encoder":
        """Train on ``X`` of shape (n, d_in) with the configured objective, one Adam step per batch.

        Deterministic for a given seed on the CPU. The settings were checked when the config was built;
        only the data is checked here."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or len(X) < 2:
            raise ValueError(f"the encoder needs a 2-D array of at least 2 rows, got shape {X.shape}")
        cfg = self.config
        objective = get_objective(cfg.objective)
        device = resolve_device(cfg.device)
        generator = torch.Generator().manual_seed(self.seed)
        with _torch_seeded(self.seed):
            encoder = MLP(X.shape[1], cfg.hidden, cfg.latent)
            decoder = MLP(cfg.latent, cfg.hidden, X.shape[1])
        encoder.to(device)
        decoder.to(device)
        data = torch.tensor(X, device=device)  # a copy: callers' arrays may be read-only
        optimiser = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=cfg.lr)
        history: list[float] = []
        with torch_threads(TRAIN_THREADS if device.type == "cpu" else None):
            state = objective.prepare(data)
            for epoch in range(cfg.epochs):
                history.append(_epoch(objective, encoder, decoder, data, state, optimiser, cfg.batch_size, generator))
                if progress:
                    progress(epoch + 1, cfg.epochs, history[-1])
        self.encoder_ = encoder.cpu().eval()
        self.decoder_ = decoder.cpu().eval()
        self.loss_history_ = history
        self.n_features_in_ = X.shape[1]
        self.device_ = str(device)
        return self

    # -- inference ------------------------------------------------------------------------------
    def transform(self, X: np.ndarray, batch_size: int = 8192) -> np.ndarray:
        """Map (n, d_in) embeddings to (n, latent) float32 latent vectors."""
        self._check_fitted()
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected shape (n, {self.n_features_in_}), got {X.shape}")
        out = []
        with torch.inference_mode():
            for start in range(0, len(X), batch_size):
                out.append(self.encoder_(torch.tensor(X[start:start + batch_size])).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.config.latent), np.float32)

    # -- persistence (safetensors: no unpickling) -----------------------------------------------
    def to_bytes(self) -> bytes:
        """The trained weights and their settings as a safetensors blob."""
        self._check_fitted()
        tensors = {f"encoder.{k}": v.contiguous() for k, v in self.encoder_.state_dict().items()}
        tensors |= {f"decoder.{k}": v.contiguous() for k, v in self.decoder_.state_dict().items()}
        meta = {"config": json.dumps(self.config.__dict__), "seed": str(self.seed),
                "n_features_in": str(self.n_features_in_),
                "loss_history": json.dumps(self.loss_history_), "sha256": _digest(tensors)}
        return st_save(tensors, metadata=meta)

    def save(self, path: str | Path) -> None:
        """Write the weights atomically (a temporary file renamed into place)."""
        from core.storage.atomic import atomic_write_bytes

        atomic_write_bytes(Path(path), self.to_bytes())

    @classmethod
    def from_bytes(cls, blob: bytes) -> "Encoder":
        """Rebuild a fitted encoder from :meth:`to_bytes`; raises ``ValueError`` on a damaged blob."""
        try:
            tensors = st_load(blob)
            meta = _safetensors_metadata(blob)
            if meta.get("sha256") != _digest(tensors):
                raise ValueError("the weights do not match their checksum (damaged file)")
            cfg = EncoderConfig(**json.loads(meta["config"]))
            n_in = int(meta["n_features_in"])
            enc = cls(cfg, seed=int(meta["seed"]))
            enc.encoder_ = MLP(n_in, cfg.hidden, cfg.latent)
            enc.decoder_ = MLP(cfg.latent, cfg.hidden, n_in)
            enc.encoder_.load_state_dict({k[8:]: v for k, v in tensors.items() if k.startswith("encoder.")})
            enc.decoder_.load_state_dict({k[8:]: v for k, v in tensors.items() if k.startswith("decoder.")})
        except Exception as exc:  # any damage to the blob is one clear error
            raise ValueError(f"not a valid encoder checkpoint: {exc}") from exc
        enc.encoder_.eval()
        enc.decoder_.eval()
        enc.loss_history_ = json.loads(meta.get("loss_history", "[]"))
        enc.n_features_in_ = n_in
        enc.device_ = "cpu"
        return enc

    @classmethod
    def load(cls, path: str | Path) -> "Encoder":
        return cls.from_bytes(Path(path).read_bytes())

    def _check_fitted(self) -> None:
        if not hasattr(self, "encoder_"):
            raise RuntimeError("the encoder is not fitted yet: call fit() first")


def _epoch(objective: Objective, encoder: nn.Module, decoder: nn.Module, X: torch.Tensor, state: object,
           optimiser: torch.optim.Optimizer, batch_size: int, generator: torch.Generator) -> float:
    """One epoch: an optimiser step per batch the objective yields; the mean loss weighted by batch size."""
    total, count = 0.0, 0
    for idx in objective.epoch_batches(len(X), batch_size, generator, X.device):
        loss = objective.loss(encoder, decoder, X, idx, state, generator)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total += loss.item() * len(idx)
        count += len(idx)
    return total / max(count, 1)


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors' names and bytes: safetensors itself has no checksum."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(tensors[name].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _safetensors_metadata(blob: bytes) -> dict[str, str]:
    """Read the JSON header of a safetensors blob (8-byte little-endian length, then JSON)."""
    n = int.from_bytes(blob[:8], "little")
    if n <= 0 or n > len(blob) - 8:
        raise ValueError("truncated header")
    header = json.loads(blob[8:8 + n])
    return header.get("__metadata__", {})


def step_cap_key(cfg: EncoderConfig, n: int) -> tuple[str, ...]:
    """An extra part of the train stage's key for ``n`` rows whose epochs the objective caps (its
    ``capped(n, batch_size)``): results trained before the cap existed must not be read back for them,
    while every other corpus keeps its key (and its cached encoder)."""
    objective = get_objective(cfg.objective)
    return ("steps capped", str(objective)) if objective.capped(n, cfg.batch_size) else ()


class _torch_seeded:
    """Seed torch's global generator for weight initialisation only, and restore it afterwards."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        self.state = torch.random.get_rng_state()
        torch.manual_seed(self.seed)

    def __exit__(self, *exc: object) -> None:
        torch.random.set_rng_state(self.state)
