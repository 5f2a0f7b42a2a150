"""Relevance: the top hit for queries a reader would type, over the bundled and fixture archives."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ARCHIVE, FIXTURES

PLATFORMS = "will-platforms-conquer-the-world"
ROADMAP = "why-your-roadmap-is-not-a-release-plan"
HIRING = "hiring-your-first-product-manager-and-what-to-expect-from-them"

# (query, the url of the expected top hit, why it must win)
TOP_HITS = [
    ("stakeholder", f"{PLATFORMS}#post-1", "headline word beats blurb mentions elsewhere"),
    ("internal scaling", f"{PLATFORMS}#link-1", "the link whose link text is the phrase"),
    ('"internal scaling"', f"{PLATFORMS}#link-1", "exact phrase"),
    ("source:wired", f"{PLATFORMS}#link-2", "the Stripe story"),
    ("aws", f"{PLATFORMS}#link-1", "How AWS came to be"),
    ("twilio", f"{PLATFORMS}#link-4", "The insider story of Twilio"),
    ("author:thompson", f"{PLATFORMS}#link-3", "Ben Thompson"),
    ("platform of platforms", f"{PLATFORMS}#link-3", "the title is the phrase"),
    ("goldman sachs", f"{PLATFORMS}#link-3", "a blurb-only match still finds its link"),
    ("risk aversion", f"{PLATFORMS}#post-2", "recent post"),
    ("agency", f"{PLATFORMS}#post-3", "The agency trap"),
    ("theme:risk", f"{PLATFORMS}#post-2", "the only link tagged risk"),
    ("in:intro panel", PLATFORMS, "the edition's own intro"),
    ("hippo", f"{ROADMAP}#link-4", "How to say no to the HiPPO"),
    ("now next later", f"{ROADMAP}#link-3", "Now, next, later"),
    ("outcome-based roadmaps", f"{ROADMAP}#link-2", "a hyphenated word"),
    ("dual-track agile", "discovery-is-never-done#link-1", "a hyphenated word in a headline"),
    ("mom test", "talking-to-customers-is-a-habit-not-a-project#link-3", "The mom test, revisited"),
    (
        "key results tasks",
        "okrs-without-the-theatre#link-2",
        "Why your key results are really tasks",
    ),
    (
        "willingness to pay",
        "pricing-is-a-product-decision#link-2",
        "Researching willingness to pay",
    ),
    ("author:braun", f"{HIRING}#link-2", "Felix Braun"),
    ("first ninety days", f"{HIRING}#link-1", "a long headline"),
    (
        "rewrite refactor",
        "technical-debt-is-a-product-problem#post-1",
        "When to rewrite, and when to refactor",
    ),
    ("resume", "product-careers#link-1", "accent folding: resume finds résumé"),
    ("flywheel", "flywheel-headline#link-1", "a headline match outranks a blurb match"),
    (
        "north star metric",
        "flywheel-blurb#link-2",
        "the exact phrase outranks the same words scattered",
    ),
    ("pricing tiers explained", "tie-new#link-1", "a newer edition wins a tie"),
]


@pytest.fixture
def archive(app: Flask, client: FlaskClient) -> FlaskClient:
    """Return a client over the bundled archive plus the fixture editions, indexed."""
    plaintext = [str(p) for p in sorted((FIXTURES / "plaintext").glob("*.txt"))]
    args = ["editions", "import", str(ARCHIVE), str(FIXTURES / "search"), *plaintext]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return client


def test_the_table_is_long_enough() -> None:
    assert len(TOP_HITS) >= 25


@pytest.mark.parametrize(("q", "expected", "why"), TOP_HITS, ids=[q for q, *_ in TOP_HITS])
def test_top_hit(archive: FlaskClient, q: str, expected: str, why: str) -> None:
    hits = archive.get("/api/search", query_string={"q": q}).json["hits"]  # type: ignore[index]
    assert hits, why
    # The `?hl=` words that mark the query on the edition page are tested in test_highlight.py.
    assert re.sub(r"\?[^#]*", "", hits[0]["url"]) == f"/editions/{expected}", why
