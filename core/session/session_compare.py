"""Two versions of a project side by side, as the door hands them to the Compare page: their titles,
how the texts moved between the clusters two views show, and the texts that changed cluster
(``core.clustering.compare`` computes; this module turns views into its sides). Plain Python: no Streamlit."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from core.clustering.compare import Comparison, Side, compare, moved_texts, version_title

if TYPE_CHECKING:
    from core.storage.projects import Project
    from core.session.view import View


def version_titles(project: Project | None) -> dict[str, str]:
    """{version id: its title} of ``project``'s versions, oldest first (the one shown now marked)."""
    if project is None:
        return {}
    shown = project.view.get("version")
    return {v.id: version_title(v, shown) for v in sorted(project.versions, key=lambda v: v.created)}


def compare_views(a: View, b: View, title_a: str, title_b: str) -> Comparison:
    """How the texts moved between the clusters ``a`` and ``b`` show, on the texts both hold (matched by
    their row ids); ``title_a``/``title_b`` name the sides."""
    return compare(Side(a.corpus.frame["id"].to_numpy(), a.labels, a.names(), title_a),
                   Side(b.corpus.frame["id"].to_numpy(), b.labels, b.names(), title_b))


def moved_between(comparison: Comparison, a: View, b: View, query: str = "") -> pd.DataFrame:
    """The texts that changed cluster in ``comparison`` of ``a`` and ``b`` (those holding ``query``)."""
    texts = pd.concat([b.corpus.frame.set_index("id")["text"], a.corpus.frame.set_index("id")["text"]])
    return moved_texts(comparison, texts[~texts.index.duplicated(keep="last")], query)
