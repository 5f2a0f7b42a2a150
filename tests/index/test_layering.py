"""`index/` is a library of its own: it never reaches for Flask, SQLAlchemy or the portal."""

from __future__ import annotations

import ast
import subprocess
import sys

from portal.settings import PROJECT_ROOT

FORBIDDEN = {"flask", "flask_wtf", "sqlalchemy", "portal", "werkzeug", "jinja2"}


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


def test_no_index_module_names_a_forbidden_package() -> None:
    files = list((PROJECT_ROOT / "index").rglob("*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & FORBIDDEN, f"{path}:{node.lineno}"  # type: ignore[attr-defined]
