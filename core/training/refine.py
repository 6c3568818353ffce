"""Refine: fine-tune the sentence model's top layers on the corpus itself, without labels.

The fast default's clusters (raw K-Means checked by the word view, ``core.clustering.coview``) are right for
most texts but the frozen embedding cannot separate the rest: #4 showed that even the true class
centres of frozen all-MiniLM-L6-v2 vectors leave many texts on the wrong side. Refine lets the
transformer learn what separates this corpus's clusters, in the way of iterative classification
(Pugachev and Burtsev, 2021) and SCCL's clustering head (Zhang et al., 2021):

1. Pseudo-labels: in each cluster of the fast default, the texts nearest their own centre by margin
   (the share ``keep`` of *that* cluster, so small clusters keep their share: no balance is assumed)
   and on which raw K-Means agrees.
2. The top ``layers`` transformer layers are trained on those texts with a supervised contrastive
   loss on the pseudo-labels: each batch pairs every text with one of its nearest neighbours in the
   same cluster, so each has a positive however many clusters there are. The lower layers are
   frozen, so their token states are computed once and reused every step.
3. Every text is re-embedded by the refined model (mean pooling, L2-normalised as before) and the
   pipeline clusters the new vectors like any others; the texts the pseudo-labels left out are where
   the partition changes.

Shapes: texts (n,), vectors (n, dim) float32 L2-normalised, labels (n,) ints in [0, k).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.errors import UserError

log = logging.getLogger(__name__)

#: progress(step, total, message)
Progress = Callable[[int, int, str], None]
TEMPERATURE = 0.1  # cosine logits / temperature (SupCon's range)


class Cancelled(Exception):
    """Raised inside a refinement when its ``cancelled()`` callback turns true; nothing is saved."""


@dataclass(frozen=True)
class RefineOutcome:
    """What one refinement produced: (n, dim) ``vectors`` and the refined top layers' ``weights``."""

    vectors: np.ndarray
    weights: dict[str, "object"]  # parameter name -> torch tensor of the fine-tuned top layers
    steps: int
    seconds: float
    device: str
    losses: list[float]


def pseudo_labels(X: np.ndarray, labels: np.ndarray, agree: np.ndarray | None, keep: float) -> np.ndarray:
    """(n,) bool: the texts to learn from. In each cluster, the share ``keep`` with the largest margin
    between their own centre and the nearest other (cosine on the (n, dim) ``X``), among the texts on
    which the (n,) ``agree`` partition (raw K-Means) puts them in the same cluster as ``labels``."""
    labels = np.asarray(labels)
    k = int(labels.max()) + 1
    centres = np.stack([X[labels == c].mean(0) if (labels == c).any() else np.zeros(X.shape[1]) for c in range(k)])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    sims = X @ centres.T
    rows = np.arange(len(labels))
    own = sims[rows, labels].copy()
    sims[rows, labels] = -np.inf
    margin = own - sims.max(axis=1)
    chosen = np.zeros(len(labels), bool)
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            continue
        take = max(1, int(round(keep * len(members))))
        chosen[members[np.argsort(-margin[members], kind="stable")[:take]]] = True
    if agree is not None:
        chosen &= _agreeing(labels, np.asarray(agree), k)
    return chosen


def _agreeing(labels: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """(n,) bool: ``other``'s cluster is the one that most overlaps ``labels``'s cluster."""
    overlap = np.zeros((k, int(other.max()) + 1), np.int64)
    np.add.at(overlap, (labels, other), 1)
    return overlap.argmax(axis=0)[other] == labels


def positive_partners(X: np.ndarray, labels: np.ndarray, chosen: np.ndarray, seed: int, m: int = 10) -> np.ndarray:
    """For each chosen text, one of its ``m`` nearest chosen texts (cosine on the (n, dim) ``X``) in the
    same cluster, so every anchor of a batch has a positive however many clusters there are; a text
    with no such neighbour is its own partner (a dropout view)."""
    rng = np.random.default_rng(seed)
    out = chosen.copy()
    for c in np.unique(labels[chosen]):
        members = chosen[labels[chosen] == c]
        if len(members) < 2:
            continue
        V = X[members]
        near = min(m, len(members) - 1)
        for start in range(0, len(members), 2048):  # (block, members) similarities at a time
            sims = V[start:start + 2048] @ V.T
            np.fill_diagonal(sims[:, start:start + 2048], -np.inf)
            top = np.argpartition(-sims, near - 1, axis=1)[:, :near]
            choice = top[np.arange(len(top)), rng.integers(0, near, len(top))]
            out[np.flatnonzero(labels[chosen] == c)[start:start + 2048]] = members[choice]
    return out


def supervised_contrast(vectors, labels, temperature: float = TEMPERATURE):
    """Supervised contrastive loss (Khosla et al., 2020) over (b, dim) L2-normalised ``vectors`` with
    (b,) pseudo-labels: each text is pulled toward the others of its cluster in the batch and pushed
    from the rest. Unlike cross-entropy on confident texts (near zero from the first step), it keeps
    a gradient while any cluster is spread out."""
    import torch

    sims = vectors @ vectors.T / temperature
    eye = torch.eye(len(labels), dtype=torch.bool, device=vectors.device)
    sims = sims.masked_fill(eye, float("-inf"))
    log_prob = sims - torch.logsumexp(sims, dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~eye
    count = positive.sum(1)
    has = count > 0
    if not bool(has.any()):  # no text has a positive in this batch: nothing to learn from it
        return (vectors * 0).sum()
    per_text = -(log_prob.masked_fill(~positive, 0.0).sum(1)[has] / count[has])
    return per_text.mean()


def refine_device() -> tuple[str, object | None]:
    """The fastest device present, chosen the way the embedding backends are: CUDA, else a CPU with
    native bfloat16 (autocast), else float32 on the CPU. Returns (name, autocast dtype or None)."""
    import torch

    from core.embedding.backends import cpu_has_bf16

    if torch.cuda.is_available():
        return "cuda", torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if cpu_has_bf16():
        return "cpu-bf16", torch.bfloat16
    return "cpu", None


class TopLayers:
    """A sentence-transformers model split in two: the frozen lower layers, whose token states are
    computed once per text, and the top ``layers`` trained here. Mean pooling as the model's own."""

    def __init__(self, model_path: str, layers: int, device: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch = torch
        self.device = torch.device("cuda" if device == "cuda" else "cpu")
        model = SentenceTransformer(model_path, device=str(self.device), local_files_only=True)
        self.tokenizer = model.tokenizer
        self.max_length = int(model.max_seq_length or 256)
        self.bert = model[0].auto_model
        blocks = getattr(getattr(self.bert, "encoder", None), "layer", None)
        if blocks is None:
            raise UserError(f"Refine needs a BERT-style model with encoder layers; {model_path} has none")
        if not 1 <= layers < len(blocks):
            raise UserError(f"Refine can train 1 to {len(blocks) - 1} top layers of this model, got {layers}")
        self.cut = len(blocks) - layers
        self.top = blocks[self.cut:]
        self.bert.eval()

    def lower_states(self, texts: list[str], *, batch: int = 64, cancelled: Callable[[], bool] | None = None,
                     progress: Callable[[int], None] | None = None) -> list:
        """Each text's (tokens, hidden) states after the frozen layers, in the order of ``texts``."""
        torch = self.torch
        order = np.argsort([len(t) for t in texts], kind="stable")
        states: list = [None] * len(texts)
        blocks = self.bert.encoder.layer[: self.cut]
        with torch.inference_mode():
            for start in range(0, len(texts), batch):
                if cancelled and cancelled():
                    raise Cancelled()
                idx = order[start:start + batch]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt").to(self.device)
                mask = enc["attention_mask"]
                h = self.bert.embeddings(input_ids=enc["input_ids"], token_type_ids=enc.get("token_type_ids"))
                ext = self._extended(mask, h.dtype)
                for block in blocks:
                    h = _hidden(block(h, attention_mask=ext))
                lengths = mask.sum(1).tolist()
                for row, i in enumerate(idx):
                    states[i] = h[row, : lengths[row]].detach().clone()
                if progress:
                    progress(min(start + batch, len(texts)))
        return states

    def _extended(self, mask, dtype):
        return (1.0 - mask[:, None, None, :].to(dtype)) * self.torch.finfo(dtype).min

    def pooled(self, states: list) -> "object":
        """(b,) token states -> (b, dim) L2-normalised sentence vectors through the top layers."""
        torch = self.torch
        n = max(s.shape[0] for s in states)
        h = torch.zeros(len(states), n, states[0].shape[1], device=self.device, dtype=states[0].dtype)
        mask = torch.zeros(len(states), n, device=self.device)
        for row, s in enumerate(states):
            h[row, : s.shape[0]] = s
            mask[row, : s.shape[0]] = 1
        ext = self._extended(mask, h.dtype)
        for block in self.top:
            h = _hidden(block(h, attention_mask=ext))
        summed = (h * mask[..., None].to(h.dtype)).sum(1) / mask.sum(1, keepdim=True).to(h.dtype)
        return torch.nn.functional.normalize(summed.float(), dim=1)

    def embed(self, states: list, *, batch: int = 128) -> np.ndarray:
        """(n, dim) float32 vectors of all ``states`` with the current top layers (no dropout)."""
        torch = self.torch
        self.top.eval()
        order = np.argsort([s.shape[0] for s in states], kind="stable")
        with torch.inference_mode():
            parts = [(order[i:i + batch], self.pooled([states[j] for j in order[i:i + batch]]).cpu().numpy())
                     for i in range(0, len(states), batch)]
        out = np.zeros((len(states), parts[0][1].shape[1]), np.float32)
        for idx, vectors in parts:
            out[idx] = vectors
        return out

    def weights(self) -> dict:
        """The top layers' parameters by their names in the full model (for safetensors)."""
        prefix = "encoder.layer."
        return {f"{prefix}{self.cut + i}.{name}": p.detach().cpu().contiguous()
                for i, block in enumerate(self.top) for name, p in block.state_dict().items()}

    def load(self, weights: dict) -> None:
        """Put saved top-layer weights (from :meth:`weights`) into the model."""
        prefix = "encoder.layer."
        for i, block in enumerate(self.top):
            own = {name[len(f"{prefix}{self.cut + i}."):]: t for name, t in weights.items()
                   if name.startswith(f"{prefix}{self.cut + i}.")}
            block.load_state_dict(own)


def _hidden(output):
    """A transformer block returns its hidden states, or a tuple that starts with them."""
    return output[0] if isinstance(output, tuple) else output


def fine_tune(texts: list[str], X: np.ndarray, labels: np.ndarray, agree: np.ndarray | None, *, model_path: str,
              layers: int, epochs: int, keep: float, lr: float, batch: int, seed: int,
              chosen: np.ndarray | None = None, progress: Progress | None = None,
              cancelled: Callable[[], bool] | None = None) -> RefineOutcome:
    """Fine-tune the top ``layers`` on the corpus's own pseudo-labels (see the module doc) and
    re-embed every text. ``X`` (n, dim) the base model's vectors; ``labels`` (n,) the fast default's
    clusters (the teacher); ``agree`` (n,) raw K-Means' (or None). ``chosen`` (n,) bool: the texts to
    learn from, for a study of other teachers (None, the app's choice: :func:`pseudo_labels` with
    ``agree`` and ``keep``). Raises :class:`Cancelled` when asked to stop."""
    import torch

    from core.threads import refine_threads, torch_threads

    started = time.perf_counter()
    n = len(texts)
    labels = np.asarray(labels, dtype=np.int64)
    chosen = np.flatnonzero(pseudo_labels(X, labels, agree, keep) if chosen is None else chosen)
    device, autocast = refine_device()
    steps_per_epoch = -(-len(chosen) // batch)
    total = steps_per_epoch * epochs
    with torch_threads(None if device == "cuda" else refine_threads()):
        torch.manual_seed(seed)
        model = TopLayers(model_path, layers, device)

        def tell(step: int, message: str) -> None:
            if progress:
                progress(step, total, message)

        tell(0, f"reading the texts through the frozen layers (0 of {n:,})")
        states = model.lower_states(texts, cancelled=cancelled,
                                    progress=lambda d: tell(0, f"reading the texts through the frozen layers "
                                                               f"({d:,} of {n:,})"))
        partners = positive_partners(X, labels, chosen, seed)
        params = list(model.top.parameters())
        optimiser = torch.optim.AdamW(params, lr=lr)
        rng = np.random.default_rng(seed)
        losses: list[float] = []
        step = 0
        train_started = time.perf_counter()
        for epoch in range(epochs):
            model.top.train()
            order = rng.permutation(len(chosen))
            for start in range(0, len(order), batch):
                if cancelled and cancelled():
                    raise Cancelled()
                pick = order[start:start + batch]
                ids = np.concatenate([chosen[pick], partners[pick]])
                with torch.autocast(model.device.type, dtype=autocast, enabled=autocast is not None):
                    vectors = model.pooled([states[i] for i in ids])
                loss = supervised_contrast(vectors.float(), torch.as_tensor(labels[ids], device=model.device))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                losses.append(float(loss.detach()))
                step += 1
                per_step = (time.perf_counter() - train_started) / step
                tell(step, f"step {step} of {total}, loss {losses[-1]:.3f}, "
                           f"about {per_step * (total - step):.0f} s left")
        tell(total, "re-embedding the texts with the refined model")
        vectors = model.embed(states)
    seconds = time.perf_counter() - started
    log.info("refined %d top layers on %d of %d texts in %d steps (%.0f s, %s)", layers, len(chosen), n, step,
             seconds, device)
    return RefineOutcome(vectors, model.weights(), step, seconds, device, losses)
