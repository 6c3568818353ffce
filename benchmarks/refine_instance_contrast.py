"""Refine with an instance-contrast term beside its supervised contrast (issue #13; tried, not adopted).

    python benchmarks/refine_instance_contrast.py CORPUS WEIGHT [DROP] [EPOCHS]

Refine's training (``core.training.refine``: the top 2 layers over cached lower-layer states, its pseudo-labels
and partners, batch, learning rate, 2 epochs) plus, at every step and with weight ``WEIGHT``, SimCSE /
SCCL-style instance contrast: 64 texts drawn from the whole corpus (the hard ones included), two views
of each made by dropping a share ``DROP`` (0.2) of its tokens' cached states (never [CLS] or [SEP]),
InfoNCE over the batch at temperature 0.05. Then, like the pipeline after Refine, each text goes to
the fast-default cluster whose mean refined vector it is most similar to, and the co-view refines that
(K-Means from scratch on the refined vectors is printed too). The carry here ranks the centres by dot
product; the pipeline's ``core.clustering.cluster_stage.carried`` normalises them first (cosine). The figures in
docs/benchmarks-history.md were measured with this version; both weights share it, so their comparison holds. ``WEIGHT`` 0 is Refine's own loss in the same
harness. Corpora as in ``benchmarks/coview_corpora.py``; labels only evaluate; seed 42.
"""
from __future__ import annotations

import argparse
import time

import coview_corpora as cc  # noqa: E402  (sets one BLAS/OpenMP thread and the import path)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.training import refine as R  # noqa: E402
from core.embedding.backends import resolve_model_path  # noqa: E402
from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.config import DEFAULT_MODEL, RefineConfig  # noqa: E402
from core.clustering.coview import reassign as coview  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="a name of benchmarks/coview_corpora.py's corpora")
    parser.add_argument("weight", type=float, help="the instance-contrast term's weight (0: Refine's own loss)")
    parser.add_argument("drop", type=float, nargs="?", default=0.2, help="share of token states dropped per view")
    parser.add_argument("epochs", type=int, nargs="?", default=2)
    args = parser.parse_args()
    name, weight, drop, epochs = args.corpus, args.weight, args.drop, args.epochs
    torch.set_num_threads(2)
    texts, y, X, k = cc.corpus(name)
    texts = list(texts)
    base = kmeans(X, k, seed=42).labels
    fast = coview(X, base, texts, seed=42).labels
    cfg = RefineConfig()
    torch.manual_seed(42)
    model = R.TopLayers(resolve_model_path(DEFAULT_MODEL), cfg.layers, "cpu")
    states = model.lower_states(texts)
    chosen = np.flatnonzero(R.pseudo_labels(X, fast, base, cfg.keep))
    partners = R.positive_partners(X, fast, chosen, 42)
    optimiser = torch.optim.AdamW(list(model.top.parameters()), lr=cfg.lr)
    rng = np.random.default_rng(42)

    def view(state: torch.Tensor) -> torch.Tensor:
        n = state.shape[0]
        if n <= 3:
            return state
        keep = np.ones(n, bool)
        keep[1:-1] = rng.random(n - 2) >= drop
        return state[torch.as_tensor(keep)]

    started, steps = time.perf_counter(), 0
    for _ in range(epochs):
        model.top.train()
        order = rng.permutation(len(chosen))
        for start in range(0, len(order), cfg.batch):
            pick = order[start:start + cfg.batch]
            ids = np.concatenate([chosen[pick], partners[pick]])
            loss = R.supervised_contrast(model.pooled([states[i] for i in ids]).float(), torch.as_tensor(fast[ids]))
            if weight > 0:
                some = rng.choice(len(texts), min(2 * cfg.batch, len(texts)), replace=False)
                a = model.pooled([view(states[i]) for i in some])
                b = model.pooled([view(states[i]) for i in some])
                logits, target = a @ b.T / 0.05, torch.arange(len(some))
                loss = loss + weight * 0.5 * (torch.nn.functional.cross_entropy(logits, target)
                                              + torch.nn.functional.cross_entropy(logits.T, target))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            steps += 1
    V = model.embed(states)
    centres = np.stack([V[fast == c].mean(0) for c in range(k)])
    final = coview(V, (V @ centres.T).argmax(1), texts, seed=42).labels
    before, scratch, after = label_scores(y, fast), label_scores(y, kmeans(V, k, seed=42).labels), label_scores(y, final)
    print(f"| {name} | {weight:g} | {drop:g} | {before['acc']:.3f} / {before['nmi']:.3f} | "
          f"{scratch['acc']:.3f} / {scratch['nmi']:.3f} | {after['acc']:.3f} / {after['nmi']:.3f} | "
          f"{steps} ({time.perf_counter() - started:.0f} s) |")


if __name__ == "__main__":
    main()
