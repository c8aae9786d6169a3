"""The package's import graph, read from the source with ast: no cycle, and in-package imports at module top."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "addin"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, modules: set[str]):
    """(in-package module imported, at module level?) for every import statement of a module; imports under
    `if TYPE_CHECKING:` are not run and do not count."""
    typing_only = {id(n) for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for n in ast.walk(node)}
    top = {id(n) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.Try)) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from addin import catalogue` imports the module addin.catalogue
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names]
        else:
            continue
        for name in names:
            if name in modules:
                yield name, id(node) in top


def _graph():
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    graph, inner = {}, []
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for target, at_top in _imports(tree, modules):
            if target != name:
                edges.add(target)
            if not at_top:
                inner.append((name, target))
        graph[name] = edges
    return graph, inner


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_no_import_cycle_among_the_package_modules():
    graph, _ = _graph()   # an import inside a function is an edge too
    assert _cycle(graph) is None


HEAVY = {"openpyxl", "jsonschema", "xlwings", "distributed", "rich", "pdfplumber", "docx", "fastapi", "starlette",
         "sqlalchemy", "alembic", "uvicorn"}


def _heavy_gateways() -> set[str]:
    """Package modules that import a heavy library at their top: importing them inside a function is the lazy
    import of that library (the add-in entry points in addin/__init__ load xlwings through addin.excel)."""
    out = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(n.split(".")[0] in HEAVY for n in names):
                out.add(_module_name(path))
    return out


def test_in_package_imports_are_at_module_top():
    _, inner = _graph()
    heavy = _heavy_gateways()
    assert "addin.excel" in heavy   # the allowance is not vacuous: it is found from the source
    assert [(a, b) for a, b in inner if b not in heavy] == []


def test_no_module_imports_another_modules_private_names():
    """A helper two modules need has a public home (e.g. writing/finding_sheets.py for the summary and the
    collector's workbook); `from addin.x import _helper` would tie one module to another's internals."""
    private = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("addin") and node.level == 0:
                private += [(_module_name(path), node.module, a.name) for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")]
    assert private == []
