"""The archive's Markdown format: what it reads, what it refuses, and exact round trips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from portal.editions.markdown import parse_markdown, render_markdown
from portal.editions.records import EditionFileError, EditionRecord, LinkRecord

PATH = Path("edition.md")

FULL = EditionRecord(
    slug="a-full-edition",
    title="A full edition: every field",
    date=dt.date(2021, 6, 7),
    highlights=("First highlight", "Second — with a dash"),
    intro=("First paragraph with “quotes”.", "Second paragraph: #not-a-heading [not] a link"),
    curated=(
        LinkRecord(
            headline="No: yes",
            blurb=("One.", "Two"),
            link_text="Read it / listen",
            source="WIRED",
            author="Stephen Armstrong",
            url="https://www.wired.co.uk/article/stripe?x=1&y=2",
            themes=("platforms", "risk"),
        ),
        LinkRecord(headline="2021", blurb=(), link_text="null", source="Stratechery"),
    ),
    recent_posts=(
        LinkRecord(headline="Post", blurb=("Blurb",), link_text="More", source="I Manage Products"),
    ),
    themes=("platforms",),
)


def test_render_then_parse_gives_the_same_record() -> None:
    text = render_markdown(FULL)
    assert parse_markdown(text, PATH).record == FULL
    assert render_markdown(parse_markdown(text, PATH).record) == text


def test_unknown_date_and_no_recent_posts_round_trip() -> None:
    record = EditionRecord("x", "X", None, (), ("Intro",), FULL.curated[1:])
    assert parse_markdown(render_markdown(record), PATH).record == record


def test_slug_defaults_to_the_title() -> None:
    text = "---\ntitle: Will platforms conquer the world?\ncurated:\n- {headline: H, link_text: L, source: S}\n---\n"
    assert parse_markdown(text, PATH).record.slug == "will-platforms-conquer-the-world"


def test_theme_lines_point_at_the_themes_key() -> None:
    text = render_markdown(FULL)
    parsed = parse_markdown(text, PATH)
    line = text.splitlines()[parsed.theme_lines["risk"] - 1]
    assert line.strip() == "themes:"


GOOD_LINK = "- {headline: H, link_text: L, source: S}"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("title: T\n", 1, "'---' to open"),
        ("---\ntitle: T\n", 1, "never closed"),
        (f"---\ntitle: [unclosed\ncurated:\n{GOOD_LINK}\n---\n", 3, "YAML"),
        (f"---\ntitle: T\ntitle: U\ncurated:\n{GOOD_LINK}\n---\n", 3, "appears twice"),
        ("---\n- a list\n---\n", 1, "mapping"),
        (f"---\ncurated:\n{GOOD_LINK}\n---\n", 2, "'title' is required"),
        (f"---\ntitle: T\nsubtitle: S\ncurated:\n{GOOD_LINK}\n---\n", 3, "unknown key 'subtitle'"),
        ("---\ntitle: T\n---\n", 2, "'curated' needs at least one link"),
        ("---\ntitle: T\ncurated: []\n---\n", 3, "'curated' needs at least one link"),
        ("---\ntitle: T\ncurated: a link\n---\n", 3, "must be a list of links"),
        (
            "---\ntitle: T\ncurated:\n- headline: H\n  link_text: L\n---\n",
            4,
            "'source' is required",
        ),
        (
            "---\ntitle: T\ncurated:\n- headline: H\n  source: S\n---\n",
            4,
            "'link_text' is required",
        ),
        (f"---\ntitle: T\ndate: 2021-02-31\ncurated:\n{GOOD_LINK}\n---\n", 3, "not a real date"),
        (f"---\ntitle: T\ndate: June 2021\ncurated:\n{GOOD_LINK}\n---\n", 3, "YYYY-MM-DD"),
        (
            f"---\ntitle: T\ndate: 2021-06-07 10:00:00\ncurated:\n{GOOD_LINK}\n---\n",
            3,
            "YYYY-MM-DD",
        ),
        (f"---\ntitle: T\nslug: Not A Slug\ncurated:\n{GOOD_LINK}\n---\n", 3, "lower-case"),
        (f"---\ntitle: true\ncurated:\n{GOOD_LINK}\n---\n", 2, "must be text"),
        (
            f"---\ntitle: T\nhighlights: [ok, '']\ncurated:\n{GOOD_LINK}\n---\n",
            3,
            "non-empty texts",
        ),
        (
            f"---\ntitle: T\nthemes: {{a: b}}\ncurated:\n{GOOD_LINK}\n---\n",
            3,
            "list of non-empty texts",
        ),
        (
            "---\ntitle: T\ncurated:\n- {headline: H, link_text: L, source: S, url: ftp://x}\n---\n",
            4,
            "http",
        ),
        (
            "---\ntitle: T\ncurated:\n- {headline: H, link_text: L, source: S, colour: red}\n---\n",
            4,
            "unknown key",
        ),
    ],
)
def test_bad_files_are_refused_with_their_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(EditionFileError) as caught:
        parse_markdown(text, PATH)
    problems = caught.value.problems
    assert any(p.line == line and fragment in p.message for p in problems), problems


def test_every_problem_in_a_file_is_reported() -> None:
    text = "---\ntitle: T\nslug: BAD\ncurated:\n- headline: H\n- link_text: L\n---\n"
    with pytest.raises(EditionFileError) as caught:
        parse_markdown(text, PATH)
    assert len(caught.value.problems) >= 4
    assert str(caught.value.problems[0]).startswith("edition.md:3: ")
