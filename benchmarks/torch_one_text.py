"""torch-fp32 one text per call: one intra-op thread and a call per core (``core.torch_backend.one_per_call``)
against the former serial calls on torch's default threads, on the bundled demo corpus (320 texts).

    python benchmarks/torch_one_text.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from core.backends import load_model, resolve_model_path  # noqa: E402


def main() -> None:
    from sentence_transformers import SentenceTransformer

    demo = pd.read_csv(Path(__file__).resolve().parents[1] / "core" / "demo" / "demo_news.csv")
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
