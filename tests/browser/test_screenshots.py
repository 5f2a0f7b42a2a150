"""Full-page screenshots of each page type at phone and laptop widths, light and dark.

They are test artifacts for a person to look at (test-artifacts/screenshots/, git-ignored);
the test only checks that each page rendered and the file was written.
"""

from __future__ import annotations

from typing import Literal

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, Site

SCREENSHOTS = ARTIFACTS / "screenshots"
PAGES = {
    "home": "/",
    "edition": "/editions/flywheel-headline?hl=flywheel+economics#link-1",
    "search": "/search?q=flywheel",
    "theme": "/themes/strategy",
    "source": "/sources/growth-review",
    "subscribe": "/subscribe",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots(
    browser: Browser, site: Site, width: int, scheme: Literal["light", "dark"]
) -> None:
    context = browser.new_context(
        base_url=site.url,
        viewport={"width": width, "height": 800},
        color_scheme=scheme,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        for name, path in PAGES.items():
            response = page.goto(path)
            assert response is not None and response.ok, path
            expect(page.locator("main h1").first).to_be_visible()
            shot = SCREENSHOTS / f"{name}-{width}-{scheme}.png"
            page.screenshot(path=shot, full_page=True)
            assert shot.stat().st_size > 0
    finally:
        context.close()
