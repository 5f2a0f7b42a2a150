"""What stops a parsed edition from being stored, whoever parsed it (import, tagging)."""

from __future__ import annotations

from portal.editions.records import ParsedEdition, Problem, slugify


def check_edition(parsed: ParsedEdition, theme_slugs: set[str]) -> list[Problem]:
    """Return what stops a parsed edition from being stored: unknown themes, empty names."""
    record, path = parsed.record, parsed.path
    problems = [
        Problem(
            path,
            parsed.theme_lines.get(slug, 1),
            f"unknown theme '{slug}' (not in the theme catalogue)",
        )
        for slug in sorted(_theme_slugs(parsed) - theme_slugs)
    ]
    if not record.slug:
        problems.append(Problem(path, 1, "the title has no letters or digits to make a slug from"))
    elif record.slug.replace("-", "").isdigit():
        problems.append(
            Problem(path, 1, f"slug '{record.slug}' needs a letter (digits alone look like a year)")
        )
    for _section, n, link in record.links():
        if not slugify(link.source):
            problems.append(
                Problem(path, 1, f"link {n} '{link.headline}': the source has no letters or digits")
            )
    return problems


def _theme_slugs(parsed: ParsedEdition) -> set[str]:
    record = parsed.record
    return set(record.themes).union(*(link.themes for _s, _n, link in record.links()))
