"""The manual: every relative link and #anchor in README.md and docs/*.md leads somewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.settings import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
# [text](target) outside code; images and reference-style links are not used here.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
CODE = re.compile(r"`[^`\n]*`")


def anchors(page: Path) -> set[str]:
    """Return the #anchors GitHub gives a Markdown page's headings (duplicates get -1, -2)."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", page.read_text()), re.MULTILINE):
        base = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        name, n = base, 0
        while name in found:
            n += 1
            name = f"{base}-{n}"
        found.add(name)
    return found


def relative_links(page: Path) -> Iterator[str]:
    """Yield every link of a page that is not to another site or an email address."""
    for target in LINK.findall(CODE.sub("", FENCE.sub("", page.read_text()))):
        target = target.split(" ")[0].strip("<>")
        if not re.match(r"^[a-z]+:", target):
            yield target


CASES = list(dict.fromkeys((page, target) for page in PAGES for target in relative_links(page)))


def test_the_manual_has_pages_and_links() -> None:
    assert len(PAGES) >= 10
    assert len(CASES) >= 20


@pytest.mark.parametrize(("page", "target"), CASES, ids=[f"{p.name}->{t}" for p, t in CASES])
def test_every_relative_link_and_anchor_leads_somewhere(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    assert destination.exists(), f"{page.name}: {target} names a missing file"
    if anchor:
        assert destination.suffix == ".md", f"{page.name}: {target}: an anchor into a non-page"
        assert anchor in anchors(destination), f"{page.name}: {target}: no such heading"


def test_a_broken_anchor_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Setting up, fast\n\n```\n## not a heading\n```\n`[a](b)`\n")
    assert anchors(page) == {"title", "setting-up-fast"}
    assert list(relative_links(page)) == []
