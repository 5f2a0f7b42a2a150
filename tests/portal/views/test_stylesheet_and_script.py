"""The hand-written static files: a stylesheet that parses, and a script a strict CSP allows."""

from __future__ import annotations

import re

import pytest

from portal.settings import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"


def test_the_stylesheet_braces_balance() -> None:
    # A stray brace silently drops the rule after it; no browser reports it.
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "style.css").read_text(), flags=re.DOTALL)
    depth = 0
    for line_number, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"style.css:{line_number}: a closing brace without an opening one"
    assert depth == 0


@pytest.mark.parametrize(
    "forbidden",
    [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        ".style",
        "eval(",
        "Function(",
    ],
)
def test_the_script_builds_no_html_and_writes_no_styles(forbidden: str) -> None:
    script = re.sub(r"/\*.*?\*/|//[^\n]*", "", (STATIC / "search.js").read_text(), flags=re.DOTALL)
    assert "createElement" in script
    assert forbidden not in script
