"""`flask themes suggest`: propose themes for untagged links, in the database or in files."""

from __future__ import annotations

from pathlib import Path

import click

from portal.commands.common import plural, theme_catalogue
from portal.commands.groups import SchemaGroup
from portal.db import get_session
from portal.editions.catalogue import ThemeEntry
from portal.importing import collect_edition_files
from portal.tagging.apply import apply_proposals
from portal.tagging.database import store_accepted, survey_database
from portal.tagging.suggest import Survey, UntaggedLink, survey_files

# Every command checks the database's schema first (portal/commands/groups.py).
themes_cli = SchemaGroup("themes", help="Tag the links of editions with themes.")


@themes_cli.command("suggest")
@click.option(
    "--files",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Read these edition files or folders instead of the database (repeatable).",
)
@click.option(
    "--apply", "apply_", is_flag=True, help="Ask about each proposal; store the accepted."
)
@click.option("--yes", is_flag=True, help="With --apply: accept every proposal without asking.")
def suggest_command(paths: tuple[Path, ...], apply_: bool, yes: bool) -> None:
    """List links with no theme in the database's editions (or --files) and propose themes."""
    if yes and not apply_:
        raise click.UsageError("--yes only makes sense with --apply.")
    catalogue = theme_catalogue()
    if paths:
        _suggest_in_files(list(paths), catalogue, apply_, ask=not yes)
    else:
        _suggest_in_database(catalogue, apply_, ask=not yes)


def _suggest_in_database(catalogue: list[ThemeEntry], apply_: bool, *, ask: bool) -> None:
    session = get_session()
    survey = survey_database(session, catalogue)
    # End the read transaction: the questions may take minutes, and an open one would hold
    # PostgreSQL's snapshot and keep SQLite from checkpointing its WAL meanwhile.
    session.rollback()
    for link in survey.untagged:
        _echo_untagged(link)
    accepted = _accepted(survey.untagged, ask=ask) if apply_ else []
    _echo_survey(survey)
    if not accepted:
        return
    report = store_accepted(accepted, catalogue)
    _fail_on([str(problem) for problem in report.problems])
    click.echo(
        f"Tagged {plural(report.links, 'link')} in {plural(len(report.changed), 'edition')}; "
        "pages, feeds and search show them now."
    )
    if report.index_problem:
        raise click.ClickException(report.index_problem)
    if report.changed:
        changed, removed = report.reindexed
        click.echo(f"Search index: {changed} editions re-indexed, {removed} removed.")


def _suggest_in_files(
    paths: list[Path], catalogue: list[ThemeEntry], apply_: bool, *, ask: bool
) -> None:
    files, missing = collect_edition_files(paths)
    with click.progressbar(length=len(files), label="Reading", hidden=len(files) < 10) as bar:
        survey = survey_files(files, catalogue, bar.update)
    for link in survey.untagged:
        _echo_untagged(link)
    report = apply_proposals(_accepted(survey.untagged, ask=ask) if apply_ else [])
    for path in survey.plain_text:
        click.echo(f"skipped {path}: plain text carries no themes (import, then export it)")
    _echo_survey(survey)
    if report.links:
        click.echo(
            f"Wrote themes for {plural(report.links, 'link')} into {plural(report.files, 'file')}; "
            "import them to update the site."
        )
    _fail_on([str(p) for p in missing + survey.problems + report.problems])


def _echo_untagged(link: UntaggedLink) -> None:
    click.echo(f"{link.where()}: {link.place()}, {link.headline!r}")
    for proposal in link.proposals:
        click.echo(f"    {proposal.slug} (matched: {', '.join(proposal.words)})")
    if not link.proposals:
        click.echo("    no keyword of the theme catalogue matches")


def _accepted(untagged: list[UntaggedLink], *, ask: bool) -> list[tuple[UntaggedLink, str]]:
    """Return the proposals the editor accepts: each one asked about, or all with --yes."""
    proposals = [(link, proposal.slug) for link in untagged for proposal in link.proposals]
    return [
        (link, slug)
        for link, slug in proposals
        if not ask or click.confirm(f"Tag {link.headline!r} ({_short_place(link)}) with {slug}?")
    ]


def _short_place(link: UntaggedLink) -> str:
    if link.path is None:
        return f"edition {link.edition}, {link.place()}"
    return f"{link.path.name}:{link.line}"


def _echo_survey(survey: Survey) -> None:
    proposed = sum(1 for link in survey.untagged if link.proposals)
    untagged = plural(len(survey.untagged), "link")
    click.echo(f"{untagged} without a theme; themes proposed for {proposed}.")


def _fail_on(problems: list[str]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s); see the lines above.")
