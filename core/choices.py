"""Every axis of choice (embedder, clustering method, projection, objective), read from its registry, as Markdown: ``docs/choices.md`` is this module's
output (``python docs/make_choices.py``), and a test keeps it so. The sidebar, a link, the CLI and the
docs all name the same entries."""
from __future__ import annotations

from core.clustering import cluster_stage
from core.projection import project
from core.config import ClusterConfig, EncoderConfig, ProjectConfig
from core.embedding.embedders import DEFAULT_EMBEDDER, EMBEDDERS
from core.training.objectives import OBJECTIVES


def _first_line(text: str | None) -> str:
    """The first sentence-line of a docstring, joined across its wrapped lines."""
    paragraph = (text or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def markdown() -> str:
    """The choices of each axis: name (the CLI's and a link's value), what the app shows, what it does."""
    out = ["# Choices", "",
           "Made by `python docs/make_choices.py` from the registries in `core/` (a test checks it is current).",
           "The name is the command line's and a link's value; the label is what the app shows.", ""]

    def table(title: str, flag: str, rows: list[tuple[str, str, str]], default: str) -> None:
        out.extend([f"## {title} (`{flag}`, default `{default}`)", "", "| name | label | what it does |",
                    "|---|---|---|"])
        out.extend(f"| `{name}` | {label} | {what} |" for name, label, what in rows)
        out.append("")

    table("Embedders", "--embedder", [(e.name, e.label, e.help) for e in EMBEDDERS.values()], DEFAULT_EMBEDDER)
    table("Clustering methods", "--clusters", [(m.name, m.label, m.help) for m in cluster_stage.METHODS.values()],
          ClusterConfig.method)
    table("Map projections", "--projection", [(p.name, p.label, p.help) for p in project.REGISTRY.values()],
          ProjectConfig.method)
    table("Training objectives", "--objective",
          [(o.name, o.name, _first_line(type(o).__doc__)) for o in OBJECTIVES.values()], EncoderConfig.objective)
    return "\n".join(out)
