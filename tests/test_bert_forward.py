"""The plain-torch BERT forward (``core.embedding.bert_forward``) that torch-fp32 uses for one-text calls: the
same vectors as sentence-transformers bit for bit, with the real packaged model, and without
importing sentence-transformers or transformers."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.embedding.backends import load_model, resolve_model_path
from core.embedding.bert_forward import BertForward, unsupported

MODEL = "all-MiniLM-L6-v2"
ROOT = Path(__file__).resolve().parents[1]
EDGE_CASES = ["", "   leading and trailing   ", "x", "Ünïcödé café naïve, “quotes”, 日本語 and 🎉",
              "word " * 400, "\tTabbed\nnew line", "ALL CAPS", "a" * 3000]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    from conftest import DEMO

    frame = pd.read_csv(DEMO).sample(120, random_state=1)
    return (frame["title"].astype(str) + ". " + frame["description"].astype(str)).tolist() + EDGE_CASES


def test_one_text_calls_equal_sentence_transformers_bit_for_bit(texts: list[str], tmp_path: Path) -> None:
    """Demo texts plus empty, padded-with-spaces, non-ASCII and over-long (truncated) texts."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = load_model(MODEL, backend="torch-fp32", cache_dir=tmp_path)
    ours = model.encode(texts, batch_size=1)
    plain = SentenceTransformer(resolve_model_path(MODEL), device="cpu", local_files_only=True).eval()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        theirs = np.stack([plain.encode([t], normalize_embeddings=True)[0] for t in texts])
    finally:
        torch.set_num_threads(before)
    theirs /= np.maximum(np.linalg.norm(theirs, axis=1, keepdims=True), 1e-12)  # as LoadedModel.encode does
    np.testing.assert_array_equal(ours, theirs)
    batched = model.encode(texts[:40], batch_size=16)  # a batch size only: each text still runs alone
    np.testing.assert_array_equal(batched, theirs[:40])


def test_one_text_calls_import_neither_transformers_nor_sentence_transformers() -> None:
    """What makes a small corpus's first map seconds faster: a fresh process embeds without them."""
    script = ("import sys, tempfile, pathlib; from core.embedding.backends import load_model; "
              f"m = load_model({MODEL!r}, backend='torch-fp32', cache_dir=pathlib.Path(tempfile.mkdtemp())); "
              "v = m.encode(['markets rise', 'a match is won'], batch_size=1); "
              "print(v.shape, sorted(k for k in ('transformers', 'sentence_transformers') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("(2, 384) []"), out.stdout


def _copy(tmp_path: Path, **changes: dict) -> Path:
    """The packaged model folder, copied, with JSON files changed: {file name: {key: value}}."""
    folder = tmp_path / "model"
    shutil.copytree(resolve_model_path(MODEL), folder)
    for name, update in changes.items():
        path = folder / name.replace("__", "/")
        path.write_text(json.dumps({**json.loads(path.read_text()), **update}))
    return folder


@pytest.mark.parametrize("changes, reason", [
    ({"config.json": {"model_type": "roberta"}}, "model type 'roberta' is not bert"),
    ({"config.json": {"position_embedding_type": "relative_key"}}, "absolute positions"),
    ({"sentence_bert_config.json": {"do_lower_case": True}}, "lower-cases"),
    ({"1_Pooling__config.json": {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}},
     "not mean pooling"),
])
def test_what_it_cannot_reproduce_is_left_to_sentence_transformers(changes: dict, reason: str, tmp_path: Path) -> None:
    folder = _copy(tmp_path, **changes)
    assert reason in unsupported(str(folder))
    if "model_type" not in changes.get("config.json", {}):  # the folder still loads as a BERT model
        model = load_model(str(folder), backend="torch-fp32", cache_dir=tmp_path / "cache")
        assert model.encode(["markets rise"], batch_size=1).shape == (1, 384)


def test_a_model_without_a_normalize_module_is_normalised_once(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    modules = json.loads((folder / "modules.json").read_text())
    (folder / "modules.json").write_text(json.dumps([m for m in modules if not m["type"].endswith("Normalize")]))
    assert unsupported(str(folder)) == ""
    assert BertForward(str(folder)).normalisations == 1
    assert BertForward(resolve_model_path(MODEL)).normalisations == 2


def test_damaged_weights_are_a_clear_error(tmp_path: Path) -> None:
    from core.errors import UserError

    folder = _copy(tmp_path)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(UserError, match="cannot load model from"):
        load_model(str(folder), backend="torch-fp32", cache_dir=tmp_path / "cache")


def test_half_precision_weights_are_left_to_sentence_transformers(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    folder = _copy(tmp_path)
    weights = load_file(str(folder / "model.safetensors"))
    save_file({name: tensor.half() for name, tensor in weights.items()}, str(folder / "model.safetensors"))
    assert unsupported(str(folder)) == "weights not all float32"
