"""Writing accepted themes into edition files, changing nothing else in them.

A file is rewritten only when `render_markdown(parse_markdown(file))` gives back the
file exactly, as it does for every file `flask editions export` or `flask editions demo`
wrote. Then the new file differs from the old one in the added `themes:` lines alone.
A file laid out by hand (other comments, flow lists, other wrapping) is never rewritten:
its links are reported with their lines, to be tagged by hand.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from portal.editions.markdown import parse_markdown, render_markdown
from portal.editions.records import Problem
from portal.editions.store import Tags, with_link_themes
from portal.importing import read_edition_text
from portal.tagging.suggest import UntaggedLink


@dataclass
class ApplyReport:
    """What writing accepted themes did."""

    links: int = 0
    files: int = 0
    problems: list[Problem] = field(default_factory=list)


def apply_proposals(accepted: Iterable[tuple[UntaggedLink, str]]) -> ApplyReport:
    """Write each accepted (link, theme slug) into the link's file, one rewrite per file."""
    by_file: dict[Path, dict[UntaggedLink, list[str]]] = defaultdict(lambda: defaultdict(list))
    for link, slug in accepted:
        if link.path is not None:
            by_file[link.path][link].append(slug)
    report = ApplyReport()
    for path, links in by_file.items():
        tags = {(link.section, link.position): slugs for link, slugs in links.items()}
        if rewrite_with_themes(path, tags):
            report.files += 1
            report.links += len(links)
        else:
            report.problems += [_by_hand(link, slugs) for link, slugs in links.items()]
    return report


def _by_hand(link: UntaggedLink, slugs: list[str]) -> Problem:
    return Problem(
        link.path or Path(link.edition),
        link.line,
        "not rewritten, the file is laid out differently from what `flask editions export` "
        f"writes: add `themes: [{', '.join(sorted(slugs))}]` to this link by hand",
    )


def rewrite_with_themes(path: Path, tags: Tags) -> bool:
    """Add themes to links of a Markdown edition file; return False if it cannot be exact."""
    original = path.read_bytes().decode("utf-8", errors="replace")
    comment = _leading_comment(original)
    record = parse_markdown(read_edition_text(path), path).record
    if render_markdown(record, comment=comment) != original:
        return False
    _replace_file(path, render_markdown(with_link_themes(record, tags), comment=comment))
    return True


def _leading_comment(text: str) -> str | None:
    """Return the comment `render_markdown` wrote at the top of the front matter, if any."""
    lines = itertools.takewhile(lambda line: line.startswith("#"), text.split("\n")[1:])
    return "\n".join(line[2:] for line in lines) or None


def _replace_file(path: Path, text: str) -> None:
    """Write the new text beside the file, then swap it in: never a half-written edition."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as new:
        new.write(text)
    os.chmod(new.name, path.stat().st_mode)
    os.replace(new.name, path)
