"""A BERT sentence encoder (Transformer + mean pooling) in plain torch, without transformers or
sentence-transformers.

Why: importing sentence-transformers (and the transformers modules it pulls in) takes several
seconds on two cores, more than embedding a small corpus; a new user's first map waits for it. This
module runs the same float32 operations as transformers' ``BertModel`` with SDPA attention followed by
sentence-transformers' mean pooling and normalisation, one text at a time (no padding, so no mask),
so its vectors equal ``SentenceTransformer.encode([text])`` bit for bit (tests check it). Anything it
cannot reproduce exactly (another architecture or pooling, relative positions, lower-casing in
sentence-transformers' own config) reports a reason from :func:`unsupported` and is left to
sentence-transformers.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.embedding.model_files import fast_tokenizer, max_seq_length
from core.embedding.onnx_export import module_kinds, onnx_unsupported, read_json

#: The weights file this module reads (what sentence-transformers and transformers save today).
WEIGHTS = "model.safetensors"


def unsupported(path: str) -> str:
    """Why this folder's model cannot run here bit for bit as sentence-transformers runs it; '' if it can."""
    root = Path(path)
    reason = onnx_unsupported(path)  # Transformer + mean pooling (+ Normalize) and a tokenizer.json
    if reason:
        return reason
    config = read_json(root / "config.json")
    if config.get("model_type") != "bert":
        return f"model type {config.get('model_type')!r} is not bert"
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        return "not GELU with absolute positions"
    if read_json(root / "sentence_bert_config.json").get("do_lower_case"):
        return "sentence-transformers lower-cases the texts itself"
    if not (root / WEIGHTS).is_file():
        return "no model.safetensors"
    if {t for t in _dtypes(root / WEIGHTS) if t.startswith(("F", "BF"))} != {"F32"}:  # (I64 buffers are fine)
        # transformers may keep half-precision weights as they are
        return "weights not all float32"
    if read_json(root / "tokenizer_config.json").get("model_max_length", 512) < max_seq_length(path):
        return "the tokenizer truncates below max_seq_length"
    return ""


def _dtypes(path: Path) -> set[str]:
    """The tensor types in a safetensors file's header (8 bytes of length, then JSON), without loading it."""
    try:
        with path.open("rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            if size > 100_000_000:  # not a header: a damaged or foreign file
                return set()
            header = json.loads(fh.read(size))
        return {v["dtype"] for k, v in header.items() if k != "__metadata__"}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()  # damaged: left to the loader, which says so


class BertForward:
    """The encoder of one model folder (see :func:`unsupported`); weights read once, never mutated, so
    one instance serves every thread. :meth:`ids` must be called under a lock (the Rust tokenizer is
    not thread-safe); :meth:`vector` may run in many threads at once (torch releases the GIL).

    ``dtype`` and ``device`` (a torch dtype and device name) hold the weights in another type or on a
    GPU (the bf16 and fp16 backends); the default, float32 on the CPU, is sentence-transformers'
    arithmetic bit for bit."""

    def __init__(self, path: str, *, dtype=None, device: str = "cpu") -> None:
        from safetensors.torch import load_file  # imports torch: here, so a caller that never embeds pays nothing

        root = Path(path)
        self.config = read_json(root / "config.json")
        weights = load_file(str(root / WEIGHTS))
        prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
        self.device = device
        self.w = {name[len(prefix):]: tensor.to(device=device, dtype=dtype if tensor.is_floating_point() else None)
                  for name, tensor in weights.items() if name.startswith(prefix)}
        self.dim = int(self.config["hidden_size"])
        self.heads = int(self.config["num_attention_heads"])
        self.layers = int(self.config["num_hidden_layers"])
        self.eps = float(self.config.get("layer_norm_eps", 1e-12))
        self.tokenizer = fast_tokenizer(path)
        self.normalisations = 1 + module_kinds(root).count("Normalize")  # its Normalize modules, then encode's own

    def ids(self, text: str) -> list[int]:
        """The token ids of one text, as sentence-transformers tokenizes it (not thread-safe)."""
        return self.tokenizer.encode(text.strip()).ids

    def vector(self, ids: list[int]) -> np.ndarray:
        """(dim,) float32: the mean of the last layer over the text's tokens, L2-normalised (pooled in
        float32 whatever the weights' type)."""
        import torch
        import torch.nn.functional as F

        w = self.w
        with torch.inference_mode():
            tokens = torch.tensor([ids], device=self.device)
            length = tokens.shape[1]
            x = F.embedding(tokens, w["embeddings.word_embeddings.weight"]) + F.embedding(
                torch.zeros_like(tokens), w["embeddings.token_type_embeddings.weight"])
            positions = F.embedding(torch.arange(length, device=self.device).unsqueeze(0),
                                    w["embeddings.position_embeddings.weight"])
            x = self._norm(x + positions, "embeddings.LayerNorm")
            head = self.dim // self.heads
            shape = (1, length, -1, head)
            for i in range(self.layers):
                p = f"encoder.layer.{i}."
                q, k, v = (self._linear(x, p + f"attention.self.{n}").view(*shape).transpose(1, 2)
                           for n in ("query", "key", "value"))
                a = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, scale=head ** -0.5,
                                                   is_causal=False)
                a = a.transpose(1, 2).contiguous().reshape(1, length, -1).contiguous()
                x = self._norm(self._linear(a, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
                x = self._norm(self._linear(F.gelu(self._linear(x, p + "intermediate.dense")), p + "output.dense") + x,
                               p + "output.LayerNorm")
            x = x.float()  # float32 already: the same tensor
            ones = torch.ones(1, length, 1, device=self.device)
            pooled = (x * ones).sum(1) / ones.sum(1).clamp(min=1e-9)  # sentence-transformers' mean pooling
            for _ in range(self.normalisations):
                pooled = F.normalize(pooled, p=2, dim=1)
            return pooled[0].cpu().numpy()

    def _linear(self, x, name: str):
        import torch.nn.functional as F

        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def _norm(self, x, name: str):
        import torch.nn.functional as F

        return F.layer_norm(x, (self.dim,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)
