"""The edition email's content: every link at its exact address, the layout, the size of the
largest edition, hostile content made inert, and a bare edition."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.newsletter.message import EditionEmail
from tests.portal.newsletter.email_editions import (
    ADA,
    Elements,
    StoredEdition,
    StoredLink,
    body,
    largest,
    parse,
    render,
    store,
    weekly,
)

SQLITE_ONLY = pytest.mark.sqlite_only(reason="rendering reads the edition the same on both")


@SQLITE_ONLY
def test_html_part_links_each_headline_to_its_exact_address(weekly_email: EditionEmail) -> None:
    message = parse(weekly_email.message_for(ADA))
    html = body(message, "html")
    hrefs = Elements.of(html).hrefs()
    edition = weekly()
    for link in (*edition.curated, *edition.recent_posts):
        if link.url:
            assert re.search(
                rf'<a href="{re.escape(link.url.replace("&", "&amp;"))}"[^>]*>'
                rf"{re.escape(link.headline)}</a>",
                html,
            )
    # A link without an address keeps its headline, as text.
    assert re.search(r"<h3[^>]*>An address-less link</h3>", html)
    assert "Hi Ada," in html and "Amazon built AWS to fix its own scaling" in html
    # Readers are not tracked: every address is the edition's own or a page of the portal
    # (no redirect, no pixel: no image at all).
    site = "http://127.0.0.1:8000"
    assert set(hrefs) == {
        *(link.url for link in (*edition.curated, *edition.recent_posts) if link.url),
        "https://example.org/panel?x=1&y=2",
        "https://memo.example/aws",
        f"{site}/editions/platforms-week",
        f"{site}/",
        f"{site}/themes/platforms",
        f"{site}/themes/stakeholders",
        message["List-Unsubscribe"].strip("<>"),
    }
    assert "<img" not in html


@SQLITE_ONLY
def test_html_is_one_column_with_inlined_styles_and_dark_mode(weekly_email: EditionEmail) -> None:
    html = body(parse(weekly_email.message_for(ADA)), "html")
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert re.search(r'class="column" style="[^"]*max-width: 600px', html)
    assert re.search(r'<h1 style="[^"]*font-size', html)  # inlined, not only in <style>
    assert re.search(r'class="preheader" style="[^"]*display: none[^"]*">Amazon built AWS', html)
    assert "<script" not in html


@SQLITE_ONLY
def test_largest_edition_html_stays_under_gmail_clipping(app: Flask) -> None:
    store(app, largest())
    message = parse(render(app, "largest").message_for(ADA))
    html = body(message, "html")
    assert html.count('<div class="item"') == 50
    assert len(html.encode()) < 100_000, len(html.encode())


@SQLITE_ONLY
def test_hostile_edition_content_comes_out_inert(app: Flask) -> None:
    hostile = StoredEdition(
        slug="hostile",
        title="Evil\r\nBcc: victim@example.com <script>alert(1)</script>",
        highlights=('<img src=x onerror="alert(1)">',),
        intro=("[click](javascript:alert(1)) and <script>alert(2)</script>",),
        curated=(
            StoredLink("<script>alert(3)</script>", "javascript:alert(4)"),
            StoredLink('"><svg onload=alert(5)>', "https://ok.example/\"onmouseover='x'"),
        ),
    )
    store(app, hostile)
    raw = render(app, "hostile").message_for(ADA)
    message = parse(raw)
    html = body(message, "html")
    elements = Elements.of(html)
    assert not {"script", "img", "svg"} & {tag for tag, _ in elements.found}
    assert not [name for _, attrs in elements.found for name in attrs if name.startswith("on")]
    # Every address that can be followed is the web's; `javascript:` stays visible text.
    hrefs = elements.hrefs()
    assert all(re.match(r"https?://", href) for href in hrefs), hrefs
    assert "https://ok.example/\"onmouseover='x'" in hrefs
    assert "[click](javascript:alert(1))" in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    # The title's line break cannot start a header of its own.
    assert message["Bcc"] is None
    assert message["Subject"].startswith("PRODUCTHEAD: Evil Bcc: victim@example.com")


@SQLITE_ONLY
def test_a_bare_edition_leaves_out_what_it_does_not_have(app: Flask) -> None:
    store(
        app,
        StoredEdition(slug="bare", title="Bare", date=None, highlights=(), intro=(), curated=()),
    )
    message = parse(render(app, "bare").message_for(ADA))
    text, html = body(message, "plain"), body(message, "html")
    for absent in ("IN THIS EDITION", "WHAT TO THINK ABOUT THIS WEEK", "RECENT POSTS", "Themes:"):
        assert absent not in text
    assert "In this edition" not in html and "<h3" not in html and "Themes:" not in html
    assert "Read it on the web: <http://127.0.0.1:8000/editions/bare>" in text
    assert "Hi Ada," in text and "Unsubscribe" in html
