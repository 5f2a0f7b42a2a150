"""The edition email's HTML part in Chromium: no sideways scroll at 320 and 600 px, every link
present and pointing where the edition says, readable in dark mode, and nothing fetched."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from tests.conftest import AppFactory
from tests.portal.newsletter.email_editions import (
    ADA,
    StoredEdition,
    StoredLink,
    body,
    largest,
    parse,
    render,
    store,
    weekly,
)

pytestmark = pytest.mark.sqlite_only(reason="the email is the same HTML on both databases")

SITE = "https://producthead.example"
# A headline and an address with nothing to break at: what overflows a narrow column first.
UNBROKEN = StoredEdition(
    slug="unbroken",
    title="Supercalifragilisticexpialidocious" * 3,
    highlights=("Pneumonoultramicroscopicsilicovolcanoconiosis" * 2,),
    intro=(f"See [{'https://example.org/' + 'a' * 200}](https://example.org/{'a' * 200}).",),
    curated=(
        StoredLink("Antidisestablishmentarianism" * 3, "https://example.org/" + "b" * 300),
        StoredLink("A link with no address", None),
    ),
)


@pytest.fixture
def email_app(make_app: AppFactory) -> Flask:
    """Return an app whose links start with the public site's address."""
    app = make_app(BASE_URL=SITE)
    for edition in (weekly(), largest(), UNBROKEN):
        store(app, edition)
    return app


def html_of(app: Flask, slug: str) -> str:
    """Return the HTML part of the edition's email to Ada."""
    return body(parse(render(app, slug).message_for(ADA)), "html")


# Opens HTML in a new page at a width (px) and colour scheme ("light" or "dark").
Opener = Callable[..., Page]
Emails = tuple[list[str], Opener]


@pytest.fixture
def open_email(browser: Browser) -> Iterator[Emails]:
    """Yield (the addresses requested, a function opening HTML at a width and colour scheme)."""
    requested: list[str] = []
    contexts = []

    def opener(html: str, width: int, scheme: str = "light") -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": 800},
            color_scheme=scheme,  # type: ignore[arg-type]
        )
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.set_content(html)
        return page

    yield requested, opener
    for context in contexts:
        context.close()


def scroll_width(page: Page) -> tuple[int, int]:
    """Return the document's scroll width and the viewport's width."""
    widths: list[int] = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return widths[0], widths[1]


@pytest.mark.parametrize("width", [320, 600])
@pytest.mark.parametrize("slug", ["platforms-week", "largest", "unbroken"])
def test_no_horizontal_scroll(email_app: Flask, open_email: Emails, width: int, slug: str) -> None:
    requested, opener = open_email
    page = opener(html_of(email_app, slug), width)
    content, viewport = scroll_width(page)
    assert content <= viewport == width
    # The column never grows past 600 px, whatever the window.
    column = page.locator(".column").bounding_box()
    assert column is not None and column["width"] <= 600
    # Nothing fetched: no image, no pixel, no font, no stylesheet from anywhere.
    assert requested == []


@pytest.mark.parametrize("width", [320, 600])
def test_every_link_is_there_and_points_where_the_edition_says(
    email_app: Flask, open_email: Emails, width: int
) -> None:
    _, opener = open_email
    page = opener(html_of(email_app, "platforms-week"), width)
    found: list[list[str]] = page.eval_on_selector_all(
        "a", "links => links.map(a => [a.textContent.trim(), a.href])"
    )
    links = [(text, href) for text, href in found]
    edition = weekly()
    for link in (*edition.curated, *edition.recent_posts):
        if link.url:
            # The headline is a link to the article's exact address (no redirect).
            assert (link.headline, link.url) in links
            assert page.get_by_role("link", name=link.headline).is_visible()
        else:
            assert page.get_by_text(link.headline).is_visible()
            assert not [text for text, _ in links if text == link.headline]
    assert ("a panel", "https://example.org/panel?x=1&y=2") in links
    assert ("the memo", "https://memo.example/aws") in links
    assert ("Read it on the web", f"{SITE}/editions/platforms-week") in links
    assert ("Platforms", f"{SITE}/themes/platforms") in links
    assert ("Stakeholders", f"{SITE}/themes/stakeholders") in links
    unsubscribe = [href for text, href in links if text == "Unsubscribe"]
    assert len(unsubscribe) == 1 and unsubscribe[0].startswith(f"{SITE}/unsubscribe/")
    assert page.get_by_role("link", name="Unsubscribe").is_visible()
    # Nothing else: no tracking address, no redirect.
    article_urls = {link.url for link in (*edition.curated, *edition.recent_posts) if link.url}
    assert {href for _, href in links} == article_urls | {
        "https://example.org/panel?x=1&y=2",
        "https://memo.example/aws",
        f"{SITE}/editions/platforms-week",
        f"{SITE}/",
        f"{SITE}/themes/platforms",
        f"{SITE}/themes/stakeholders",
        unsubscribe[0],
    }


def test_dark_mode_turns_the_column_dark_with_light_text(
    email_app: Flask, open_email: Emails
) -> None:
    _, opener = open_email
    html = html_of(email_app, "platforms-week")
    colours = {}
    for scheme in ("light", "dark"):
        page = opener(html, 600, scheme)
        colours[scheme] = page.eval_on_selector(
            ".column",
            "c => [getComputedStyle(c).backgroundColor, getComputedStyle(c.querySelector('.content > p')).color]",
        )
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(28, 28, 28)"]
    assert colours["dark"] == ["rgb(30, 30, 30)", "rgb(232, 232, 232)"]


def test_the_preheader_is_in_the_page_but_not_shown(email_app: Flask, open_email: Emails) -> None:
    _, opener = open_email
    page = opener(html_of(email_app, "platforms-week"), 320)
    preheader = page.locator(".preheader")
    text = preheader.text_content() or ""
    # Then only blank space (zero-width non-joiners and no-break spaces), for the inbox's preview.
    assert text.startswith(weekly().highlights[0])
    assert set(text.removeprefix(weekly().highlights[0])) == {"\u200c", "\xa0"}
    assert not preheader.is_visible()
