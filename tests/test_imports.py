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
