"""The reader's main journeys in a real browser, each run with JavaScript on and off."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site

LANDED_ON_A_LINK = re.compile(r"/editions/[\w-]+(\?[^#]*)?#(link|post)-\d+$")
ON_AN_EDITION = re.compile(r"/editions/[\w-]+(\?[^#]*)?(#[\w-]+)?$")
ON_SEARCH = re.compile(r"/search\?q=")
# A theme list entry with links: "0 links" but not "10 links".
NO_LINKS = re.compile(r"\b0 links")


def expect_targeted(page: Page) -> None:
    """Check the URL's fragment names an element on the page and that it is the :target."""
    anchor = page.url.split("#", 1)[1]
    expect(page.locator(f"[id='{anchor}']")).to_be_visible()
    expect(page.locator(":target")).to_have_id(anchor)


def tab_until(page: Page, selector: str, most: int = 40) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.locator(f"{selector}:focus").count():
            return
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


def test_search_from_the_header_lands_on_the_link(page: Page) -> None:
    page.goto("/")
    page.locator("#header-q").fill("flywheel economics")
    page.locator("#header-q").press("Enter")
    page.wait_for_url(ON_SEARCH)
    expect(page.locator(".search-summary")).to_contain_text("for “flywheel economics”")
    hit = page.locator("a.hit-title[href*='#link-']").first
    expect(hit).to_contain_text("Flywheel economics")
    hit.click()
    page.wait_for_url(LANDED_ON_A_LINK)
    expect_targeted(page)
    expect(page.locator(":target h3")).to_have_text("Flywheel economics for subscription products")


def test_browse_a_theme_to_a_link(page: Page) -> None:
    page.goto("/themes/")
    theme = page.locator("ul.themes > li").filter(has_not_text=NO_LINKS).first
    name = theme.locator("h2 a").inner_text()
    theme.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/themes/[\w-]+$"))
    expect(page.locator("h1")).to_have_text(name)
    link = page.locator(".theme-links > li > a").first
    headline = link.inner_text()
    link.click()
    page.wait_for_url(LANDED_ON_A_LINK)
    expect_targeted(page)
    expect(page.locator(":target h3")).to_have_text(headline)


def test_page_through_the_archive_with_older(page: Page) -> None:
    page.goto("/editions/")
    summary = page.locator("main > p.meta").first
    found = re.search(r"(\d+) editions, page 1 of (\d+)", summary.inner_text())
    assert found, summary.inner_text()
    total, pages = int(found.group(1)), int(found.group(2))
    assert pages >= 3
    seen = page.locator(".edition-summary h3 a").all_inner_texts()
    for number in range(2, pages + 1):
        page.locator(".pagination a[rel=next]").click()
        page.wait_for_url(re.compile(rf"/editions/\?page={number}$"))
        expect(page.locator(".pagination")).to_contain_text(f"Page {number} of {pages}")
        seen += page.locator(".edition-summary h3 a").all_inner_texts()
    expect(page.locator(".pagination a[rel=next]")).to_have_count(0)
    expect(page.locator(".pagination a[rel=prev]")).to_have_text("← Newer")
    assert len(seen) == total


def test_search_by_keyboard_alone(page: Page) -> None:
    page.goto("/")
    tab_until(page, "#header-q")
    page.keyboard.type("flywheel")
    page.keyboard.press("Enter")
    page.wait_for_url(ON_SEARCH)
    tab_until(page, "a.hit-title")
    page.keyboard.press("Enter")
    page.wait_for_url(ON_AN_EDITION)
    expect(page.locator("h1")).to_be_visible()


def test_sign_up_confirm_and_unsubscribe_by_email(page: Page, site: Site, javascript: bool) -> None:
    address = f"reader-{'js' if javascript else 'nojs'}@example.com"
    page.goto("/subscribe")
    form = page.locator("main form.signup")
    form.get_by_label("Email").fill(address)
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")

    confirmation = site.wait_for_mail(address, 1)[0]
    page.goto(mail_link(confirmation.text, site, r"/subscribe/confirm/[\w.-]+"))
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("h1")).to_have_text("You are subscribed")

    welcome = site.wait_for_mail(address, 2)[1]
    page.goto(mail_link(welcome.text, site, r"/unsubscribe/[\w.-]+"))
    expect(page.locator("h1")).to_have_text("Unsubscribe from PRODUCTHEAD")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("h1")).to_have_text("You are unsubscribed")


def mail_link(text: str, site: Site, path: str) -> str:
    """Return the absolute link to `path` (a regular expression) in a message's text."""
    found = re.search(re.escape(site.url) + path, text)
    assert found, text
    return found.group(0)


def test_search_lands_on_the_link_with_the_words_marked(page: Page) -> None:
    page.goto("/search")
    page.locator("#search-q").fill("flywheel economics")
    page.locator("#search-q").press("Enter")  # a page load without JavaScript, instant with it
    hit = page.locator("a.hit-title", has_text="Flywheel economics for subscription products")
    expect(hit).to_have_attribute("href", re.compile(r"\?hl=flywheel\+economics#link-1$"))
    hit.click()
    page.wait_for_url(LANDED_ON_A_LINK)
    expect_targeted(page)
    expect(page.locator(":target h3 mark")).to_have_text(["Flywheel", "economics"])
    expect(page.locator(".intro mark, .highlights mark")).to_have_count(0)
    canonical = page.locator("link[rel=canonical]").get_attribute("href") or ""
    assert canonical.endswith("/editions/flywheel-headline")


def test_the_home_pages_compact_form_signs_up_without_the_address_in_a_url(
    page: Page, site: Site, javascript: bool
) -> None:
    address = f"compact-{'js' if javascript else 'nojs'}@example.com"
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    page.goto("/")
    compact = page.locator("form.signup-compact")
    compact.get_by_label("Email address").fill(address)
    compact.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/subscribe/continue$"))
    form = page.locator("main form.signup")
    expect(form.get_by_label("Email")).to_have_value(address)
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    assert site.wait_for_mail(address, 1)
    assert visited and not [url for url in visited if "compact-" in url], visited
