"""The house's joints (issue 30): no import cycle among core's modules or among the pages' helpers,
counting imports made inside functions (a cycle deferred into a function is still a cycle); imports
for type checking only are not imports."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def type_hints_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes in the bodies of ``if TYPE_CHECKING:`` blocks (imports for type hints only,
    never run); their ``else:`` branches run, and count."""
    return {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
            and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
            for statement in block.body for node in ast.walk(statement)}


def imports_of(folder: str, root: Path = ROOT) -> dict[str, set[str]]:
    """{module: the modules of the same package tree it imports}, for every ``.py`` file under ``folder``
    (its subpackages included; a package's ``__init__`` is the package's own name). An import of a
    package's name or of a name from a package counts as an import of that package's ``__init__``,
    except where the name is one of its modules."""
    package = folder.replace("/", ".")
    files = {}
    for file in sorted((root / folder).rglob("*.py")):
        parts = file.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = file
    graph: dict[str, set[str]] = {}

    def known(dotted: str) -> str | None:
        """The longest prefix of ``dotted`` that is a module of the tree."""
        bits = dotted.split(".")
        for end in range(len(bits), 0, -1):
            if ".".join(bits[:end]) in files:
                return ".".join(bits[:end])
        return None

    for name, file in files.items():
        tree = ast.parse(file.read_text(encoding="utf-8"))
        typing_only = type_hints_only(tree)
        here = name if file.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = graph.setdefault(name, set())
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source != package and not source.startswith(package + "."):
                    continue
                for alias in node.names:  # a module imported from its package, or a name from a module
                    target = known(f"{source}.{alias.name}")
                    found.add(target if target and target != known(source) else known(source) or source)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == package or alias.name.startswith(package + "."):
                        found.add(known(alias.name) or alias.name)
        found.discard(name)
    return graph


def test_imports_of_reads_subpackages_and_relative_imports(tmp_path):
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "a.py").write_text("from pkg.sub import b\nfrom .sub.c import thing\n")
    (root / "sub" / "b.py").write_text("from ..a import x\nimport pkg.sub.c\n")
    (root / "sub" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n")
    graph = imports_of("pkg", tmp_path)
    assert graph["pkg.a"] == {"pkg.sub.b", "pkg.sub.c"}
    assert graph["pkg.sub.b"] == {"pkg.a", "pkg.sub.c"}
    assert graph["pkg.sub.c"] == set()
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


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
UI_MAY_IMPORT = {"core.session.session", "core.session.view", "core.session.view_link", "core.config", "core.errors",
                 "core.plots", "core.choices"}
UI_AT_MOST = 8


def core_imports(file: Path, root: Path = ROOT) -> set[str]:
    """The core modules ``file`` imports, each as the module a name comes from: ``from core.a.b import c``
    counts ``core.a.b`` (or ``core.a.b.c`` when ``c`` is a module of the package ``core.a.b``), ``from core
    import x`` counts ``core.x``, ``import core.a.b`` counts ``core.a.b``. Imports inside functions count;
    imports under ``if TYPE_CHECKING:`` (for type hints only) do not."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    typing_only = type_hints_only(tree)

    def is_module(dotted: str) -> bool:
        path = root.joinpath(*dotted.split("."))
        return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()

    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name == "core" or a.name.startswith("core."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "core":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if is_module(sub) else node.module)
    return found


def test_the_import_counter_counts_what_a_page_imports(tmp_path):
    for folder in ("core/b", "core/e/f"):
        (tmp_path / folder).mkdir(parents=True)
    for module in ("core/__init__.py", "core/b/__init__.py", "core/c.py", "core/e/__init__.py", "core/e/f/__init__.py",
                   "core/e/f/g.py"):
        (tmp_path / module).write_text("")
    page = tmp_path / "page.py"
    page.write_text("from typing import TYPE_CHECKING\nimport core.a\nfrom core import b, c as d\n"
                    "from core.e.f import g, h\nfrom . import _state\nimport corex\n"
                    "def f():\n    from core.i import j\n"
                    "if TYPE_CHECKING:\n    from core.k import l\nelse:\n    from core.m import n\n"
                    "def g():\n    import core\n")
    assert core_imports(page, tmp_path) == {"core", "core.a", "core.b", "core.c", "core.e.f", "core.e.f.g", "core.i",
                                            "core.m"}


def ui_core_imports() -> dict[str, set[str]]:
    """{core module: the UI files (app.py, pages/*.py) that import it}."""
    users: dict[str, set[str]] = {}
    for file in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for module in core_imports(file):
            users.setdefault(module, set()).add(file.relative_to(ROOT).as_posix())
    return users


def test_the_ui_goes_through_the_door():
    """app.py and pages/ import at most 8 core modules, all of the door's set: the session and its view
    and link, the configs, the errors, the registries' choices and the drawing package's public names;
    everything else a page needs is a method of the session or of the view."""
    users = ui_core_imports()
    outside = {module: sorted(files) for module, files in sorted(users.items()) if module not in UI_MAY_IMPORT}
    assert not outside, f"the UI reaches past the door: {outside}"
    assert len(users) <= UI_AT_MOST, sorted(users)
