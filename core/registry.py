"""One registry for every axis of choice (clustering methods, projections): entries by their ``name``,
in registration order, so the config, the CLI, a link, the sidebar and the docs read one list."""
from __future__ import annotations

from typing import Generic, TypeVar

from core.errors import UserError

T = TypeVar("T")


class Registry(dict[str, T], Generic[T]):
    """{name: entry}; ``what`` names an entry in the error for an unknown name ("projection")."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def register(self, entry: T) -> T:
        self[entry.name] = entry  # type: ignore[attr-defined]
        return entry

    def names(self) -> tuple[str, ...]:
        return tuple(self)

    def named(self, name: str) -> T:
        """The entry called ``name``; a UserError listing the known names otherwise."""
        if name not in self:
            raise UserError(f"unknown {self.what} {name!r}; choose one of {', '.join(self)}")
        return self[name]
