"""Batch-independent embedding recipes, measured side by side: throughput, and whether a text's
vector is the same bit for bit beside other neighbours (issue #28).

Candidates, on every backend this machine runs (bfloat16 only where the CPU has it natively, float16
only on a GPU):

- ``one text per call``: what the backends do (``core.embedding.backends.load_model(...).encode``): each text
  alone, one thread per call, a call per core.
- ``length buckets``: texts of the same token length batched together without padding (at most 64
  a batch), one thread per batch, a batch per core. Exact only if the kernels give a row the same
  sums whatever the batch's row count (not promised by any library: measured here).
- ``padded batches of 64``: the former torch recipe (sentence-transformers' ``encode``, longest
  first, padded; torch's default threads; on a GPU too): the speed the exact recipes are measured
  against, and not exact.

Exactness: each candidate embeds the texts, then the odd-numbered texts alone in reverse order
(other neighbours, other batch sizes); "rows moved" counts the odd-numbered texts whose vector
changed at all. Throughput: the best of ``--rounds`` passes, the candidates alternating.

    python benchmarks/exact_embedding.py --data core/demo/demo_news.csv
    python benchmarks/exact_embedding.py --limit 1000     # AG News in $CLUSTERLENS_SHARED_DATA
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable

import _common  # noqa: E402  (the repository on the import path)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core.embedding.backends import available_backends, fast_tokenizer, load_model, resolve_model_path  # noqa: E402
from core.threads import cpu_count, map_single_threaded  # noqa: E402

MODEL = "all-MiniLM-L6-v2"
Embed = Callable[[list[str]], np.ndarray]


def read_texts(path: str, limit: int) -> list[str]:
    frame = pd.read_csv(path)
    if {"title", "description"} <= set(frame.columns):
        texts = frame["title"].astype(str) + ". " + frame["description"].astype(str)
    else:
        texts = frame["text"].astype(str)
    return texts.tolist()[:limit] if limit else texts.tolist()


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def sentence_transformer(dtype, device: str = "cpu"):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(MODEL), device=device, local_files_only=True).eval().to(dtype)


def padded(dtype, device: str = "cpu") -> Embed:
    import torch

    model = sentence_transformer(dtype, device)

    def embed(texts: list[str]) -> np.ndarray:
        with torch.inference_mode():
            return normalised(model.encode(texts, batch_size=64, convert_to_tensor=True).float().cpu().numpy())

    return embed


def length_buckets(dtype, most: int = 64) -> Embed:
    """Same-length texts together, unpadded, mean-pooled as the model does (no mask needed)."""
    import torch

    model = sentence_transformer(dtype)
    tokenizer = fast_tokenizer(resolve_model_path(MODEL))

    def batch(rows_ids: tuple[list[int], list[list[int]]]) -> tuple[list[int], np.ndarray]:
        rows, ids = rows_ids
        tokens = torch.tensor(ids)
        with torch.inference_mode():
            states = model[0]({"input_ids": tokens, "attention_mask": torch.ones_like(tokens)})["token_embeddings"]
        return rows, states.float().mean(1).numpy()

    def embed(texts: list[str]) -> np.ndarray:
        ids = [e.ids for e in tokenizer.encode_batch([t.strip() for t in texts])]
        by_length: dict[int, list[int]] = defaultdict(list)
        for row, tokens in enumerate(ids):
            by_length[len(tokens)].append(row)
        work = [(rows[i:i + most], [ids[r] for r in rows[i:i + most]])
                for rows in by_length.values() for i in range(0, len(rows), most)]
        out = np.zeros((len(texts), model.get_embedding_dimension()), np.float32)
        for rows, vectors in map_single_threaded(batch, work):
            out[rows] = vectors
        return normalised(out)

    return embed


def candidates(cache: Path) -> dict[str, Embed]:
    import torch

    here = available_backends()
    found: dict[str, Embed] = {}
    for backend in ("torch-fp32", "torch-bf16", "cuda-fp16", "onnx-int8", "onnx-fp32"):
        if backend in here:
            model = load_model(MODEL, backend=backend, cache_dir=cache)
            found[f"{backend}, one text per call"] = lambda texts, m=model: m.encode(texts)
    for name, dtype in (("torch-fp32", torch.float32), ("torch-bf16", torch.bfloat16)):
        if name in here:
            found[f"{name}, length buckets"] = length_buckets(dtype)
            found[f"{name}, padded batches of 64"] = padded(dtype)
    if "cuda-fp16" in here:
        found["cuda-fp16, padded batches of 64"] = padded(torch.float16, "cuda")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _common.add_data_argument(parser, _common.AG_NEWS)
    parser.add_argument("--limit", type=int, default=0, help="the first N texts (0: all)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    texts = read_texts(args.data, args.limit)
    print(f"{len(texts)} texts from {args.data}; {cpu_count()} cores; load average before "
          f"{os.getloadavg()[0]:.1f}; backends here: {', '.join(available_backends())}")
    if "torch-bf16" not in available_backends():
        print("torch-bf16 is not measured: this CPU has no native bfloat16")
    runs = candidates(Path(tempfile.mkdtemp()))
    for embed in runs.values():
        embed(texts[:16])  # warm-up: exports, allocators, kernels
    best = {name: float("inf") for name in runs}
    full: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, embed in runs.items():
            started = time.perf_counter()
            full[name] = embed(texts)
            best[name] = min(best[name], time.perf_counter() - started)
    odd = texts[1::2]
    reference = full.get("torch-fp32, one text per call")
    print(f"\n| recipe | texts/s | rows moved beside other neighbours (of {len(odd)}) | largest move | "
          "min cosine to torch-fp32 |")
    print("|---|---|---|---|---|")
    for name, embed in runs.items():
        again = embed(odd[::-1])[::-1]
        moved = np.abs(again - full[name][1::2]).max(axis=1)
        cosine = f"{np.sum(full[name] * reference, axis=1).min():.4f}" if reference is not None else "-"
        print(f"| {name} | {len(texts) / best[name]:.1f} | {int((moved > 0).sum())} | {moved.max():.1e} | {cosine} |")
    print(f"\nload average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
