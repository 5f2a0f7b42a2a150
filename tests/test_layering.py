"""The import rules of the layout: `index/` is a library of its own that never reaches for
Flask, SQLAlchemy or the portal, and inside `portal/` only the search package imports it;
no module reaches into another package's private modules, and every writer keeps the index
current through `portal.search.content_changed`."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
LONG_ALLOWED = {
    ("index/schema.py", "build_schema"),
    # Whoosh's ContextFragmenter loop statement for statement, so the two read side by side;
    # it runs once per word inside each hit's fragments, where a call per step would cost more.
    ("index/snippets.py", "_fragments"),
}


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


def portal_modules() -> list[tuple[str, Path]]:
    """Return (dotted name, path) of every module under portal/."""
    found = []
    for path in sorted((PROJECT_ROOT / "portal").rglob("*.py")):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def imported_pairs(path: Path) -> Iterator[tuple[int, str, str]]:
    """Yield (line, module, name) for every `from portal... import name` in a file."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        module = node.module if isinstance(node, ast.ImportFrom) and node.level == 0 else None
        if module and module.split(".")[0] == "portal":
            yield from ((node.lineno, module, alias.name) for alias in node.names)


def package_of(module: str) -> str:
    """Return the package a module belongs to (portal.search for portal.search.adapter)."""
    return ".".join(module.split(".")[:2])


def test_nothing_imports_another_packages_private_names() -> None:
    reaching = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}.{name}"
        for importer, path in portal_modules()
        for line, module, name in imported_pairs(path)
        if name.startswith("_") and package_of(module) != package_of(importer)
    ]
    assert reaching == []


# Packages whose `__init__` is their public face: from outside, only the names in its
# `__all__` are imported, never one of its modules.
FACED = ("portal.search", "portal.importing")


@pytest.mark.parametrize("package", FACED)
def test_a_faced_package_is_reached_only_through_its_public_face(package: str) -> None:
    public = set(importlib.import_module(package).__all__)
    outside = [(path, importer) for importer, path in portal_modules()]
    outside = [(p, i) for p, i in outside if package_of(i) != package]
    reaching = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {name}"
        for path, _importer in outside
        for line, name in imported_names(path)
        if name.startswith(f"{package}.")
    ] + [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}.{name}"
        for path, _importer in outside
        for line, module, name in imported_pairs(path)
        if module == package and name not in public
    ]
    assert reaching == []


# The index's lifecycle verbs: writers call `search.content_changed` instead, and only the
# `flask index` commands (rebuild, update, check) name the others.
LIFECYCLE = {"update_index", "rebuild_index", "catch_up", "notice"}


def test_only_the_search_package_and_the_index_commands_drive_the_index() -> None:
    callers = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for importer, path in portal_modules()
        if package_of(importer) != "portal.search"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in LIFECYCLE
    }
    assert callers <= {"portal/commands/index.py"}, sorted(callers)


def test_the_page_cache_starts_no_index_work() -> None:
    names = {name for _line, name in imported_names(PROJECT_ROOT / "portal" / "caching.py")}
    assert not {name for name in names if name.startswith(("portal.search", "index"))}
    source = (PROJECT_ROOT / "portal" / "caching.py").read_text()
    assert (
        "from portal import" not in source
        or "search" not in source.split("from portal import")[1].split("\n")[0]
    )


def test_the_writers_call_the_one_entry_point() -> None:
    for writer in ("portal/importing/run.py", "portal/tagging/database.py"):
        assert "search.content_changed(" in (PROJECT_ROOT / writer).read_text(), writer


# Flask idioms, one way each: template helpers are registered in portal/templating.py only,
# CSRF exemptions and rate limits are declared at the views, never patched in afterwards.
ONE_PLACE = [
    (r"add_template_(filter|global|test)|app_template_|context_processor", "portal/templating.py"),
    (r"view_functions\[[^\]]+\]\s*=", None),
    (r"extensions\[\"csrf\"\]|CSRFProtect\(", "portal/security.py"),
    (r"def require_schema\b", "portal/commands/groups.py"),
    (r"startswith\(\"---\"\)|startswith\(b\"---\"\)", "portal/editions/markdown.py"),
]


@pytest.mark.parametrize(("pattern", "home"), ONE_PLACE, ids=[home or p for p, home in ONE_PLACE])
def test_each_idiom_lives_in_one_place(pattern: str, home: str | None) -> None:
    found = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "portal").rglob("*.py")
        if re.search(pattern, path.read_text())
    }
    assert found == ({home} if home else set())
