"""Design that a browser has to judge: narrow screens, focus, print, the icons, the :target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Site

PAGES = [
    "/",
    "/editions/",
    "/editions/flywheel-headline",
    "/search?q=growth",
    "/search/help",
    "/themes/",
    "/themes/strategy",
    "/sources/",
    "/sources/growth-review",
    "/subscribe",
]


@pytest.fixture
def narrow(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    """Return a context as wide as the narrowest phone the site supports (320 px)."""
    made = browser.new_context(base_url=site.url, viewport={"width": 320, "height": 640})
    yield made
    made.close()


@pytest.mark.parametrize("url", PAGES)
def test_nothing_is_wider_than_a_320_px_screen(narrow: BrowserContext, url: str) -> None:
    page = narrow.new_page()
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = page.locator(".header-search button").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 320


def focus_ring(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.activeElement).outlineStyle"))


def test_focus_is_visible_on_links_fields_and_buttons(page: Page) -> None:
    page.goto("/subscribe")
    seen = set()
    for _ in range(20):
        page.keyboard.press("Tab")
        tag = str(page.evaluate("document.activeElement.tagName"))
        if tag == "BODY":  # past the last control
            break
        seen.add(tag)
        assert focus_ring(page) not in {"none", ""}, tag
    assert {"A", "INPUT", "BUTTON"} <= seen


def test_the_targeted_link_stands_out(page: Page) -> None:
    page.goto("/editions/flywheel-headline#link-1")
    target = page.locator(":target")
    untargeted = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert target.evaluate("li => getComputedStyle(li).backgroundColor") != untargeted
    assert target.evaluate("li => parseFloat(getComputedStyle(li).scrollMarginTop)") > 0


def test_print_shows_the_edition_with_link_addresses(page: Page) -> None:
    page.goto("/")
    page.locator(".latest a.button").click()
    link = page.locator(".link-text a").first
    href = link.get_attribute("href")
    page.emulate_media(media="print")
    for chrome in (".site-header nav", ".header-search", ".site-footer", "form.signup"):
        expect(page.locator(chrome)).to_be_hidden()
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert href and href in after
    item = page.locator(".links > li").first
    headline, text = item.locator("h3").bounding_box(), item.locator(".link-text").bounding_box()
    blurb = item.locator("h3 ~ p:not(.link-text):not(.byline)").first.bounding_box()
    assert headline and text and blurb
    assert headline["y"] < text["y"] < blurb["y"]  # the address comes right after the headline
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"


def test_the_browser_finds_the_icons_and_the_manifest(page: Page, site: Site) -> None:
    page.goto("/")
    for selector in ("link[rel=icon][type='image/svg+xml']", "link[rel=manifest]"):
        href = page.locator(selector).get_attribute("href")
        response = page.request.get(site.url + str(href))
        assert response.ok, href
    assert page.request.get(site.url + "/favicon.ico").ok
