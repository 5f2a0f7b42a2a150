"""The import rules of the layout: `index/` is a library of its own that never reaches for
Flask, SQLAlchemy or the portal, and inside `portal/` only the search package imports it;
no module reaches into another package's private modules, and every writer keeps the index
current through `portal.search.content_changed`."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import index
from portal.settings import PROJECT_ROOT

FORBIDDEN = {"flask", "flask_wtf", "sqlalchemy", "portal", "werkzeug", "jinja2"}
ADAPTER = PROJECT_ROOT / "portal" / "search" / "adapter.py"


def test_importing_index_pulls_in_no_web_or_database_package() -> None:
    code = (
        "import sys, index, pkgutil, importlib\n"
        "for m in pkgutil.walk_packages(index.__path__, 'index.'): importlib.import_module(m.name)\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert "index" in loaded
    assert not loaded & FORBIDDEN


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, module) for every absolute import in a Python file."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_no_index_module_names_a_forbidden_package() -> None:
    files = list((PROJECT_ROOT / "index").rglob("*.py"))
    assert files
    for path in files:
        for line, name in imported_names(path):
            assert name.split(".")[0] not in FORBIDDEN, f"{path}:{line} imports {name}"


def test_inside_the_portal_only_the_search_package_imports_index() -> None:
    files = list((PROJECT_ROOT / "portal").rglob("*.py"))
    assert ADAPTER in files
    importers = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in files
        for _line, name in imported_names(path)
        if name.split(".")[0] == "index"
    }
    assert importers == {"portal/search/adapter.py"}


def test_the_adapter_uses_only_what_index_exports() -> None:
    tree = ast.parse(ADAPTER.read_text())
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "index"
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "index":
            used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("index."):
            raise AssertionError(f"the adapter reaches inside the library: {node.module}")
    assert used, "the adapter uses nothing of index?"
    assert used <= set(index.__all__), sorted(used - set(index.__all__))


# The commented schema reads best whole; migrations are written once and never edited.
LONG_ALLOWED = {("index/schema.py", "build_schema")}


def test_no_function_is_over_40_lines() -> None:
    long = []
    for folder in ("portal", "index", "bench", "tools"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            name = path.relative_to(PROJECT_ROOT).as_posix()
            if name.startswith("portal/migrations/versions/"):
                continue
            for node in ast.walk(ast.parse(path.read_text(), name)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > 40 and (name, node.name) not in LONG_ALLOWED:
                        long.append(f"{name}:{node.name} ({lines} lines)")
    assert long == []
