"""Instant search (static/search.js): results as you type, the live region, and the keyboard.

These need JavaScript; test_journeys.py runs the same searches with it off.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.test_journeys import LANDED_ON_A_LINK, expect_targeted

FLYWHEEL = "Flywheel economics for subscription products"


@pytest.fixture
def javascript() -> bool:
    """Run these tests with JavaScript on only."""
    return True


@pytest.fixture(autouse=True)
def no_script_errors(page: Page) -> Iterator[None]:
    """Fail a test whose page threw or logged an error (a CSP refusal is logged as one)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def logged(message: ConsoleMessage) -> None:
        # An HTTP error answer is logged too; the API error test asks for one on purpose.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    page.on("console", logged)
    yield
    assert errors == []


def stay_marker(page: Page) -> None:
    """Mark the loaded document, so a later check can tell that no page load replaced it."""
    page.evaluate("window.stayedOnThePage = true")


def still_the_same_page(page: Page) -> bool:
    return bool(page.evaluate("window.stayedOnThePage === true"))


def type_search(page: Page, text: str) -> None:
    """Replace the words in /search's box by typing them key by key."""
    box = page.locator("#search-q")
    box.fill("")
    box.press_sequentially(text)


def test_typing_updates_the_results_and_the_url_without_a_page_load(page: Page) -> None:
    page.goto("/search")
    stay_marker(page)
    type_search(page, "flywheel")
    expect(page.locator("ol.hits > li > a.hit-title").first).to_be_visible()
    expect(page.locator("a.hit-title", has_text=FLYWHEEL)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/search\?q=flywheel$"))
    expect(page).to_have_title("“flywheel” · Search · PRODUCTHEAD")
    type_search(page, "résumé")
    expect(page.locator("a.hit-title", has_text="The product manager résumé")).to_be_visible()
    expect(page.locator("a.hit-title", has_text=FLYWHEEL)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/search\?q=r%C3%A9sum%C3%A9$"))
    assert still_the_same_page(page)


def test_typing_keeps_the_active_filters(page: Page) -> None:
    page.goto("/search?q=growth&theme=metrics&sort=newest")
    stay_marker(page)
    type_search(page, "flywheel")
    expect(page).to_have_url(re.compile(r"/search\?q=flywheel&theme=metrics&sort=newest$"))
    expect(page.locator(".active-filters")).to_contain_text("Theme: Metrics")
    expect(page.locator(".sort strong")).to_have_text("newest")
    expect(page.locator("#search-status")).to_contain_text("for “flywheel”")
    expect(page.locator("a.hit-title").first).to_be_visible()
    expect(page.locator("a.hit-title:not([href*='hl=flywheel#'])")).to_have_count(0)
    assert still_the_same_page(page)


def test_the_live_region_announces_the_count(page: Page) -> None:
    page.goto("/search")
    status = page.locator("#search-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_attribute("role", "status")
    type_search(page, "flywheel")
    expect(status).to_have_text(re.compile(r"^\s*2 results for “flywheel”\.\s*$"))
    type_search(page, "flywheel economics")
    expect(status).to_have_text(re.compile(r"^\s*1 result for “flywheel economics”\.\s*$"))


def test_keyboard_alone_from_slash_to_the_marked_link(page: Page) -> None:
    page.goto("/search")
    page.keyboard.press("/")
    expect(page.locator("#search-q")).to_be_focused()
    page.keyboard.type("flywheel economics")
    expect(page.locator("#search-status")).to_contain_text("1 result for “flywheel economics”")
    first = page.locator("a.hit-title").first
    expect(first).to_have_text(FLYWHEEL)
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(LANDED_ON_A_LINK)
    assert "?hl=flywheel+economics#link-1" in page.url
    expect_targeted(page)
    expect(page.locator(":target h3 mark")).to_have_text(["Flywheel", "economics"])
    assert page.locator(":target").evaluate("li => getComputedStyle(li).borderLeftStyle") == "solid"


def test_arrows_move_between_box_and_results_and_escape_returns(page: Page) -> None:
    page.goto("/search?q=growth")
    box, links = page.locator("#search-q"), page.locator("a.hit-title")
    assert links.count() >= 2
    box.focus()
    for key, focused in [
        ("ArrowDown", links.nth(0)),
        ("ArrowDown", links.nth(1)),
        ("ArrowUp", links.nth(0)),
        ("ArrowUp", box),
        ("ArrowDown", links.nth(0)),
        ("ArrowDown", links.nth(1)),
        ("Escape", box),
    ]:
        page.keyboard.press(key)
        expect(focused).to_be_focused()


def test_slash_focuses_the_header_box_unless_typing(page: Page) -> None:
    page.goto("/subscribe")
    page.keyboard.press("/")
    expect(page.locator("#header-q")).to_be_focused()
    expect(page.locator("#header-q")).to_have_value("")
    email = page.locator("main form.signup").get_by_label("Email")
    email.click()
    page.keyboard.type("a/b")
    expect(email).to_have_value("a/b")
    expect(email).to_be_focused()


def test_an_api_error_is_shown_in_the_status_region(page: Page) -> None:
    page.goto("/search")
    type_search(page, "-platforms")
    status = page.locator("#search-status")
    expect(status).to_contain_text("Add a word to look for")
    expect(page.locator("#search-results a.hit-title")).to_have_count(0)

    def unavailable(route: Route) -> None:
        route.fulfill(
            status=503, json={"error": "Search is unavailable for a moment.", "status": 503}
        )

    page.route(re.compile(r"/api/search\?"), unavailable)
    type_search(page, "flywheel")
    expect(status).to_have_text("Search is unavailable for a moment.")


def test_snippets_are_rendered_as_text_and_marks(page: Page) -> None:
    page.goto("/search")
    type_search(page, "script")
    snippet = page.locator(".hit-link .snippet", has_text="Some blurbs quote markup")
    expect(snippet).to_contain_text('<script>alert("x")</script> and <b>bold</b>')
    expect(snippet.locator("mark").first).to_have_text("script")
    expect(snippet.locator("script, b")).to_have_count(0)


def test_a_late_answer_never_replaces_a_newer_one(page: Page) -> None:
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # answered below, in the order the test chooses

    page.goto("/search")
    page.route(re.compile(r"/api/search\?"), hold)
    type_search(page, "flywheel")
    page.wait_for_function("() => document.getElementById('search-results').ariaBusy === 'true'")
    page.locator("#search-q").press_sequentially(" economics")
    expect(page.locator("#search-q")).to_have_value("flywheel economics")
    while len(held) < 2:
        page.wait_for_timeout(50)
    newest, stale = held[-1], held[0]
    newest.fulfill(response=newest.fetch())
    expect(page.locator("#search-status")).to_contain_text("1 result for “flywheel economics”")
    stale_answer = {"total": 9, "pages": 1, "facets": {}, "names": {}, "hits": [], "query": "x"}
    with contextlib.suppress(PlaywrightError):  # the page may have dropped the aborted request
        stale.fulfill(json=stale_answer)
    page.wait_for_timeout(300)
    expect(page.locator("#search-status")).to_contain_text("1 result for “flywheel economics”")
    expect(page.locator("a.hit-title")).to_have_text([FLYWHEEL])
