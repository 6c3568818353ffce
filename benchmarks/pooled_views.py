"""Other poolings of the same frozen all-MiniLM-L6-v2 as views for K-Means (issue #13; tried, rejected).

    python benchmarks/pooled_views.py [--corpora demo,ag,banking] [--seeds 0,1,42]

One forward pass of the packaged model (transformers, float32, batches of 64 with their attention
mask) gives every layer's token states; from them, per text:
- ``L0`` .. ``L6``: the mean over tokens of the word-embedding layer (0) and of each of the 6 layers
  (``L6`` is the sentence-transformers vector);
- ``first-last``: the normalised sum of the normalised means of layers 1 and 6 (a known STS trick
  for untrained BERT);
- ``idf``: layer 6's token states weighted by the corpus's own inverse document frequency of each
  word piece (topical words weigh more).
K-Means (n_init 10) on each, then the co-view refinement of raw K-Means with its neighbour vote
taken on ``first-last`` instead of ``L6``. Corpora as in ``benchmarks/coview_corpora.py``; the
labels only evaluate.
"""
from __future__ import annotations

import argparse

import coview_corpora as cc  # noqa: E402  (sets one BLAS/OpenMP thread and the import path)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.clustering.cluster import kmeans, label_scores  # noqa: E402
from core.clustering.coview import neighbours_of, reassign, word_view  # noqa: E402
from core.embedding.backends import resolve_model_path  # noqa: E402
from core.config import DEFAULT_MODEL  # noqa: E402


def unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=-1, keepdims=True)).astype(np.float32)


def pooled(texts: list[str]) -> dict[str, np.ndarray]:
    """Each pooling's (n, 384) unit vectors for ``texts``."""
    from transformers import AutoModel, AutoTokenizer
    path = resolve_model_path(DEFAULT_MODEL)
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    ids = [tok(t, truncation=True, max_length=256)["input_ids"] for t in texts]
    df = np.zeros(tok.vocab_size)
    for row in ids:
        df[list(set(row))] += 1
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    order = np.argsort([len(r) for r in ids])  # similar lengths per batch: little padding
    means: list[list[np.ndarray]] = [[] for _ in range(7)]
    idf_pooled: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            batch = tok([texts[i] for i in order[start:start + 64]], padding=True, truncation=True,
                        max_length=256, return_tensors="pt")
            states = model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].numpy()[..., None].astype(np.float32)
            for layer, h in enumerate(states):
                means[layer].append((h.numpy() * mask).sum(1) / mask.sum(1))
            w = idf[batch["input_ids"].numpy()][..., None] * mask
            idf_pooled.append((states[-1].numpy() * w).sum(1) / w.sum(1))
    back = np.argsort(order)
    views = {f"L{layer}": unit(np.concatenate(m)[back]) for layer, m in enumerate(means)}
    views["first-last"] = unit(views["L1"] + views["L6"])
    views["idf"] = unit(np.concatenate(idf_pooled)[back])
    return views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="demo,ag,banking")
    parser.add_argument("--seeds", default="0,1,42")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    torch.set_num_threads(2)
    print("| corpus | view | K-Means ACC / NMI, seeds " + ", ".join(map(str, seeds)) + " |\n|---|---|---|")
    for name in args.corpora.split(","):
        texts, y, _, k = cc.corpus(name)
        views = pooled(list(texts))
        for view, X in views.items():
            cells = [label_scores(y, kmeans(X, k, seed=s).labels) for s in seeds]
            print(f"| {name} | {view} | " + ", ".join(f"{c['acc']:.3f} / {c['nmi']:.3f}" for c in cells)
                  + " |", flush=True)
        words = word_view(list(texts))
        graphs = {"L6": neighbours_of(views["L6"]), "first-last": neighbours_of(views["first-last"])}
        for graph, neighbours in graphs.items():
            cells = []
            for s in seeds:
                start = kmeans(views["L6"], k, seed=s).labels
                cells.append(label_scores(y, reassign(views["L6"], start, list(texts), seed=s,
                                                    neighbours=neighbours, words=words).labels))
            print(f"| {name} | co-view, vote on {graph} | "
                  + ", ".join(f"{c['acc']:.3f} / {c['nmi']:.3f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
