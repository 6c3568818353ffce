"""The embedders a user chooses between: one entry each, read by the CLI (``--embedder``) and the app's sidebar.

An entry names the model that ``EmbedConfig.model`` holds for it, so the choice flows through every
stage, cache key, project and assign model as the model's name does; the store keys its vectors by
that model's fingerprint (``core.embedding.embed.store_key``), so the two never share vectors.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.config import DEFAULT_MODEL
from core.errors import UserError
from core.embedding.static_embedder import STATIC_MODEL


@dataclass(frozen=True)
class EmbedderChoice:
    """``name``: the CLI's and the link's value; ``label``: the app's option; ``help``: what it trades, in
    one line; ``model``: the ``EmbedConfig.model`` it stands for."""

    name: str
    label: str
    help: str
    model: str

    def fingerprint(self) -> str:
        """The model folder's fingerprint: the store's key for this embedder's vectors (with its backend)."""
        from core.embedding.backends import resolve_model_path
        from core.embedding.embed_fingerprint import model_fingerprint

        return model_fingerprint(resolve_model_path(self.model))

    def build(self, backend: str = "auto"):
        """The process's shared embedder for this choice (``backend`` only matters to the transformer)."""
        from core.embedding.embed import get_embedder

        return get_embedder(self.model, backend)


EMBEDDERS: dict[str, EmbedderChoice] = {
    "minilm": EmbedderChoice(
        "minilm", "all-MiniLM-L6-v2 (full model)",
        "The sentence transformer: the best clusters, a few hundred texts a second on two cores.", DEFAULT_MODEL),
    "static": EmbedderChoice(
        "static", "Static (distilled from MiniLM, fast)",
        "A static model distilled from MiniLM: about 40x faster, a fine first look at broad topics, "
        "coarser on fine-grained intents.", STATIC_MODEL),
}
DEFAULT_EMBEDDER = "minilm"


def embedder_named(name: str) -> EmbedderChoice:
    """The entry called ``name`` (case and spaces ignored); a UserError naming the choices otherwise."""
    key = name.strip().lower()
    if key not in EMBEDDERS:
        raise UserError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}")
    return EMBEDDERS[key]


def embedder_for_model(model: str) -> str | None:
    """The entry whose model is ``model`` (None for any other model, e.g. a folder given with --model)."""
    wanted = model.strip().lower()
    return next((e.name for e in EMBEDDERS.values() if e.model.lower() == wanted), None)
