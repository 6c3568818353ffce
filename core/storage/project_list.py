"""The Projects page's list: one row per project, with what a user needs to pick one (its data, size,
k, when it was last opened, whether it holds edits). Plain Python: no Streamlit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from core.storage.projects import Project, untouched

KINDS = {"demo": "the demo corpus", "hub": "Hugging Face hub", "upload": "uploaded file", "path": "file on the server"}


@dataclass(frozen=True)
class ProjectRow:
    """A project as the list shows it. ``texts``/``k``: of the version shown last (None before any);
    ``edited``: a version holds edits, names or notes; ``untouched``: the user changed nothing."""

    id: str
    name: str
    source: str
    texts: int | None
    k: int | None
    opened: str
    edited: bool
    untouched: bool
    versions: int

    def caption(self) -> str:
        """``uploaded file news.csv · 200 texts · k=4 · 3 versions · edited · opened 5 minutes ago``."""
        parts = [self.source]
        if self.texts is not None:
            parts.append(f"{self.texts:,} texts")
        if self.k is not None:
            parts.append(f"k={self.k}")
        parts.append(f"{self.versions} version{'s' if self.versions != 1 else ''}")
        parts.append("edited" if self.edited else "no edits")
        parts.append(f"opened {self.opened}")
        return " · ".join(parts)


def project_row(project: Project, now: datetime | None = None) -> ProjectRow:
    current = project.current
    k = ((project.view.get("settings") or {}).get("cluster") or {}).get("k")
    src = project.source
    kind = KINDS.get(src.kind, src.kind)
    return ProjectRow(id=project.id, name=project.name, source=kind if src.kind == "demo" else f"{kind} {src.name}",
                      texts=current.n if current is not None else None, k=int(k) if k is not None else None,
                      opened=ago(project.opened, now), edited=any(v.edited for v in project.versions),
                      untouched=untouched(project), versions=len(project.versions))


def ago(stamp: str, now: datetime | None = None) -> str:
    """An ISO time as "just now", "5 minutes ago", "3 hours ago", "2 days ago", else its date."""
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = ((now or datetime.now(timezone.utc)) - then).total_seconds()
    for unit, size, limit in (("minute", 60, 60), ("hour", 3600, 24), ("day", 86400, 14)):
        count = int(seconds // size)
        if seconds < 60:
            return "just now"
        if count < limit:
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return then.strftime("%Y-%m-%d")
