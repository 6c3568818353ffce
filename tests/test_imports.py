"""The house's joints (issue 30): no import cycle among core's modules or among the pages' helpers,
counting imports made inside functions (a cycle deferred into a function is still a cycle); imports
for type checking only are not imports."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports_of(folder: str) -> dict[str, set[str]]:
    """{module: the modules of the same package it imports}, for the ``.py`` files of ``folder``."""
    package = folder.replace("/", ".")
    graph: dict[str, set[str]] = {}
    for file in sorted((ROOT / folder).glob("*.py")):
        name = f"{package}.{file.stem}" if file.stem != "__init__" else package
        tree = ast.parse(file.read_text(encoding="utf-8"))
        typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
        found = graph.setdefault(name, set())
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(f"{package}.{node.module.split('.')[0]}")
                else:
                    found.update(f"{package}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package + "."):
                found.add(".".join(node.module.split(".")[:2]))
            elif isinstance(node, ast.ImportFrom) and node.module == package:
                found.update(f"{package}.{alias.name}" for alias in node.names)
        found.discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that lies on one (depth-first search), as the list of its modules."""
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_core_has_no_import_cycle():
    assert cycles(imports_of("core")) == []


def test_the_pages_have_no_import_cycle():
    assert cycles(imports_of("pages")) == []


#: The core modules the UI may import (issue 30, "one door"): the door (a session over a project), what a
#: page reads of a view, the configs, the error type, the figures, the registries' entries, and the
#: link's format (pure functions of a view's URL query, shared by the sidebar and the Projects page).
UI_MAY_IMPORT = {"core.session.session", "core.session.view", "core.config", "core.errors", "core.plots.plots", "core.choices",
                 "core.session.view_link"}
UI_AT_MOST = 8


def core_imports(file: Path) -> set[str]:
    """The core modules ``file`` imports, as ``core.x`` (``from core import x`` and ``from core.x.y import z``
    both count as ``core.x``), counting imports inside functions; imports under ``if TYPE_CHECKING:`` (for
    type hints only) do not count."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(".".join(a.name.split(".")[:2]) for a in node.names if a.name.startswith("core."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "core":
            found.update(f"core.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("core."):
            found.add(".".join(node.module.split(".")[:2]))
    return found


def ui_core_imports() -> dict[str, set[str]]:
    """{core module: the UI files (app.py, pages/*.py) that import it}."""
    users: dict[str, set[str]] = {}
    for file in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for module in core_imports(file):
            users.setdefault(module, set()).add(file.relative_to(ROOT).as_posix())
    return users


def test_the_import_counter_counts_what_a_page_imports(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("from typing import TYPE_CHECKING\nimport core.a\nfrom core import b, c as d\n"
                    "from core.e.f import g\nfrom . import _state\nimport corex\n"
                    "def f():\n    from core.h import i\n"
                    "if TYPE_CHECKING:\n    from core.j import k\n")
    assert core_imports(page) == {"core.a", "core.b", "core.c", "core.e", "core.h"}


def test_the_ui_goes_through_the_door():
    """app.py and pages/ import at most 8 core modules, all of the door's set: everything else a page needs
    is a method of the session (core.session.session) or of the view (core.session.view)."""
    users = ui_core_imports()
    outside = {module: sorted(files) for module, files in sorted(users.items()) if module not in UI_MAY_IMPORT}
    assert not outside, f"the UI reaches past the door: {outside}"
    assert len(users) <= UI_AT_MOST, sorted(users)
