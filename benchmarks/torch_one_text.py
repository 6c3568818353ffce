"""torch-fp32 one text per call: one intra-op thread and a call per core (``core.embedding.torch_backend.one_per_call``)
against the former serial calls on torch's default threads, on the bundled demo corpus (320 texts).

    python benchmarks/torch_one_text.py [--data core/demo/demo_news.csv]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common  # noqa: E402  (the repository on the import path)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from core.embedding.backends import load_model, resolve_model_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(_common.DEMO), help="a CSV with title and description columns")
    demo = pd.read_csv(parser.parse_args().data)
    from sentence_transformers import SentenceTransformer

    texts = (demo["title"] + ". " + demo["description"]).tolist()
    model = load_model("all-MiniLM-L6-v2", backend="torch-fp32", cache_dir=Path(tempfile.mkdtemp()))
    model.encode(texts[:5], batch_size=1)
    plain = SentenceTransformer(resolve_model_path("all-MiniLM-L6-v2"), device="cpu", local_files_only=True).eval()
    for _ in range(2):
        started = time.perf_counter()
        model.encode(texts, batch_size=1)
        new = time.perf_counter() - started
        started = time.perf_counter()
        with torch.inference_mode():
            np.stack([plain.encode([t], normalize_embeddings=True) for t in texts])
        old = time.perf_counter() - started
        print(f"{len(texts)} texts: one thread, a call per core {new:.2f} s; serial on {torch.get_num_threads()} "
              f"threads {old:.2f} s ({old / new:.2f}x)")


if __name__ == "__main__":
    main()
