"""Training objectives for the encoder. Each one trains ``encoder`` (and maybe ``decoder``) in place.

An objective is an object with ``name``, ``needs_k`` and
``fit(encoder, decoder, X, *, cfg, n_clusters, generator, progress) -> FitResult`` where ``X`` is a
(n, d) float32 tensor already on the training device and ``generator`` is the only source of
randomness (never torch's global state).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from .config import EncoderConfig
from .encoder import EpochProgress, FitResult


class Objective(Protocol):
    name: str
    needs_k: bool

    def fit(self, encoder: nn.Module, decoder: nn.Module, X: torch.Tensor, *, cfg: EncoderConfig,
            n_clusters: int | None, generator: torch.Generator,
            progress: EpochProgress | None) -> FitResult: ...


def batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device):
    """Yield index tensors of one shuffled epoch."""
    order = torch.randperm(n, generator=generator).to(device)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def reconstruction_epoch(encoder: nn.Module, decoder: nn.Module, X: torch.Tensor,
                         optimiser: torch.optim.Optimizer, batch_size: int,
                         generator: torch.Generator) -> float:
    """One epoch of mean-squared reconstruction error; returns the mean batch loss."""
    total, count = 0.0, 0
    for idx in batches(len(X), batch_size, generator, X.device):
        x = X[idx]
        loss = nn.functional.mse_loss(decoder(encoder(x)), x)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total += loss.item() * len(idx)
        count += len(idx)
    return total / max(count, 1)


@dataclass(frozen=True)
class Autoencoder:
    """The paper's objective: reconstruct the embedding through the latent bottleneck (MSE, Adam)."""

    name: str = "autoencoder"
    needs_k: bool = False

    def fit(self, encoder, decoder, X, *, cfg, n_clusters, generator, progress):
        params = list(encoder.parameters()) + list(decoder.parameters())
        optimiser = torch.optim.Adam(params, lr=cfg.lr)
        history: list[float] = []
        for epoch in range(cfg.epochs):
            history.append(reconstruction_epoch(encoder, decoder, X, optimiser, cfg.batch_size, generator))
            if progress:
                progress(epoch + 1, cfg.epochs, history[-1])
        return FitResult(history)


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (Autoencoder(),)}


def get_objective(name: str) -> Objective:
    """The objective called ``name``; a clear error lists the known ones."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}") from None

DEFAULT_OBJECTIVE = "autoencoder"
