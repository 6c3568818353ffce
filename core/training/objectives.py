"""Training objectives for the encoder: what a batch is and what its loss is.

``Encoder.fit`` owns the optimiser, the epochs and the progress (one training loop); an objective
supplies only ``prepare(X) -> state`` (once per fit, e.g. a neighbour table), ``epoch_batches`` (the
index batches of one epoch) and ``loss`` (one batch's loss). ``X`` is a (n, d) float32 tensor already
on the training device, and the ``generator`` handed in is the only source of randomness (never
torch's global state). A new objective is one small class.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Protocol

import torch
from torch import nn
from torch.nn import functional as F

from core.errors import UserError
from core.training.neighbours import default_n_neighbors, feature_dropout, nearest_neighbours


class Objective(Protocol):
    name: str

    def prepare(self, X: torch.Tensor) -> Any: ...

    def epoch_batches(self, n: int, batch_size: int, generator: torch.Generator,
                      device: torch.device) -> Iterator[torch.Tensor]: ...

    def loss(self, encoder: nn.Module, decoder: nn.Module, X: torch.Tensor, idx: torch.Tensor, state: Any,
             generator: torch.Generator) -> torch.Tensor: ...

    def capped(self, n: int, batch_size: int) -> bool: ...


def batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device) -> Iterator[torch.Tensor]:
    """Yield index tensors of one shuffled epoch."""
    order = torch.randperm(n, generator=generator).to(device)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def anchor_batches(n: int, batch_size: int, min_batches: int, generator: torch.Generator,
                   device: torch.device, max_passes: int | None = None,
                   max_batches: int | None = None) -> Iterator[torch.Tensor]:
    """Yield index tensors of one epoch of at least ``min_batches`` batches (whole shuffled passes),
    but at most ``max_passes`` passes over the ``n`` rows (None: no limit) and at most ``max_batches``
    batches (None: no limit): a corpus whose one pass holds more batches than that gets the first
    ``max_batches`` batches of a shuffled pass, a different random part of it every epoch."""
    per_pass = -(-n // batch_size)
    if max_batches is not None and per_pass > max_batches:
        for i, idx in enumerate(batches(n, batch_size, generator, device)):
            if i == max_batches:
                return
            yield idx
        return
    passes = max(1, -(-min_batches // per_pass))
    if max_passes is not None:
        passes = min(passes, max_passes)
    for _ in range(passes):
        yield from batches(n, batch_size, generator, device)


MAX_PASSES = 3  # see NeighbourEmbedding.max_passes
MAX_BATCHES = 30  # see NeighbourEmbedding.max_batches


@dataclass(frozen=True)
class Autoencoder:
    """The paper's objective: reconstruct the embedding through the latent bottleneck (MSE, Adam)."""

    name: str = "autoencoder"

    def prepare(self, X: torch.Tensor) -> None:
        return None

    def epoch_batches(self, n, batch_size, generator, device):
        return batches(n, batch_size, generator, device)

    def loss(self, encoder, decoder, X, idx, state, generator):
        return F.mse_loss(decoder(encoder(X[idx])), X[idx])

    def capped(self, n: int, batch_size: int) -> bool:
        """Never: every epoch is one whole pass (the paper's recipe)."""
        return False


@dataclass(frozen=True)
class NeighbourEmbedding:
    """Pull raw-space nearest neighbours together in the latent, push random pairs apart, and keep
    reconstructing the input. k-free: changing the number of clusters only re-runs K-Means.

    Idea: the k-NN graph of the raw embeddings (cosine, ``default_n_neighbors(n)`` per point) is a
    better picture of the topics than the reconstruction error alone. Each step takes a batch of
    anchors ``i`` (b,) and one random raw-space neighbour ``j`` of each, both with feature dropout,
    encodes them to ``z_i, z_j`` (b, latent) and minimises

        -log q(|z_i - z_j|^2)  +  ``repulsion`` * sum over ``negatives`` random in-batch pairs  -log(1 - q(d^2))
        + ``reconstruction`` * |decoder(encoder(x_i)) - x_i|^2,          q(d^2) = 1 / (1 + d^2)

    i.e. the cross-entropy of UMAP (McInnes et al. 2018) learned by the network as in parametric
    UMAP (Sainburg et al. 2021), with neighbours as positives and dropout as augmentation as in
    SCAN's and SCCL's use of neighbours and augmentations (Van Gansbeke et al. 2020; Zhang et al.
    2021), and the reconstruction term kept throughout as IDEC keeps it (Guo et al. 2017) so the
    latent stays faithful to the embedding. Trains ``cfg.epochs`` passes over the anchors with Adam.

    Repulsion at half weight: a random pair is often two texts of the same large topic, and full
    repulsion tore large topics into pieces that K-Means then split (on unbalanced corpora; see
    docs/benchmarks.md). Half keeps them whole and still tightens the clusters.
    """

    name: str = "neighbours"
    negatives: int = 1  # more repulsion split large topics on unbalanced corpora
    repulsion: float = 0.5  # weight of the negatives' term (see above)
    reconstruction: float = 1.0
    dropout: float = 0.1
    # per epoch: a corpus gets the steps 7,600 texts get (30 batches of 256); with fewer, corpora of
    # a few thousand texts in many small clusters stopped short of convergence ...
    min_batches: int = 30
    # ... but at most this many passes over its texts, so the steps of a small corpus scale with its
    # size: 320 texts took 1,500 steps (24 passes an epoch) and trained no better than with 100
    max_passes: int = MAX_PASSES
    # ... and at most this many batches an epoch: the steps 7,600 texts get (50 epochs x 30 batches).
    # A big corpus trains on a different random part of its texts every epoch instead of on all of
    # them: 120,000 texts took 23,450 steps (about 5 CPU minutes). The default clusters come from the
    # raw embeddings, so the cap moves only the map, the latent scores and the representative texts.
    # Corpora up to 7,680 texts are unchanged.
    max_batches: int = MAX_BATCHES

    def prepare(self, X: torch.Tensor) -> torch.Tensor:
        """(n, m) indices of each row's raw-space cosine neighbours."""
        return nearest_neighbours(X, default_n_neighbors(len(X)))

    def epoch_batches(self, n, batch_size, generator, device):
        return anchor_batches(n, batch_size, self.min_batches, generator, device, self.max_passes, self.max_batches)

    def capped(self, n: int, batch_size: int) -> bool:
        """Whether ``n`` rows get fewer steps an epoch than one pass over them (``max_batches``)."""
        return -(-n // batch_size) > self.max_batches

    def loss(self, encoder, decoder, X, idx, state, generator):
        return self._batch_loss(encoder, decoder, X, idx, state, generator)

    def _batch_loss(self, encoder, decoder, X, idx, neighbours, generator) -> torch.Tensor:
        """Neighbour attraction + random-pair repulsion + reconstruction for anchors ``idx`` (b,)."""
        b, m = len(idx), neighbours.shape[1]
        pick = torch.randint(m, (b,), generator=generator).to(X.device)
        z_i = encoder(feature_dropout(X[idx], self.dropout, generator))
        z_j = encoder(feature_dropout(X[neighbours[idx, pick]], self.dropout, generator))
        attract = torch.log1p(((z_i - z_j) ** 2).sum(1)).mean()
        # negatives: the batch is a random sample, so a random cyclic shift pairs each anchor with
        # another random point; rolling (not fancy indexing) keeps the backward pass deterministic
        shifts = torch.randint(1, max(b, 2), (self.negatives,), generator=generator).tolist()
        repel = z_i.new_zeros(())
        for shift in shifts:
            d2 = ((z_i - torch.roll(z_j, shift, dims=0)) ** 2).sum(1)
            # -log(1 - q) = log(1 + d^2) - log(d^2); the floor keeps a pair that lands together finite
            repel = repel + (torch.log1p(d2) - torch.log(d2.clamp_min(1e-4))).mean()
        x = X[idx]
        recon = F.mse_loss(decoder(encoder(x)), x) * X.shape[1]
        return attract + self.repulsion * repel + self.reconstruction * recon


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (Autoencoder(), NeighbourEmbedding())}


def get_objective(name: str) -> Objective:
    """The objective called ``name``; a clear error lists the known ones."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise UserError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}") from None
