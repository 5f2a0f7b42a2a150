"""Every page type passes axe-core (pinned in package-lock.json): light and dark, phone and laptop.

axe runs every rule tagged WCAG 2.0, 2.1 or 2.2 level A or AA, and its best practices. It is
injected as a script file; the audit context bypasses the site's Content-Security-Policy,
which allows no script from elsewhere.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page, Route

from portal.settings import PROJECT_ROOT
from tests.browser.audit_pages import UNAVAILABLE_PATH, AuditedPage, AuditSite

AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Return axe's violations on the page as loaded."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: `make install-test` installs it")
    page.add_script_tag(path=AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)", options
    )
    return violations


def describe(page_name: str, violations: list[dict[str, Any]]) -> list[str]:
    """Return one line per violation: page, rule id, impact, help and the offending nodes."""
    return [
        f"{page_name}: {violation['id']} ({violation['impact']}): {violation['help']}; nodes: "
        + ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
        for violation in violations
    ]


def open_page(page: Page, audited: AuditedPage) -> None:
    """Load the page in the browser, pressing its button when it is a form's answer."""
    response = page.goto(audited.path)
    if audited.press is not None:
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name=audited.press).click()
        response = navigation.value
    assert response is not None and response.status == audited.status, audited.name


# Colours change only with the colour scheme and layout only with the width (style.css), so
# each scheme at one width covers both; the full four runs would add about 40 s.
@pytest.mark.parametrize(("scheme", "width"), [("light", 375), ("dark", 1280)])
def test_every_page_type_passes_axe(
    browser: Browser, audit_site: AuditSite, width: int, scheme: Literal["light", "dark"]
) -> None:
    context = browser.new_context(
        base_url=audit_site.site.url,
        viewport={"width": width, "height": 800},
        color_scheme=scheme,
        bypass_csp=True,
    )
    context.set_default_timeout(15_000)

    def unavailable(route: Route) -> None:
        route.fulfill(status=503, body=audit_site.unavailable_html, content_type="text/html")

    context.route(audit_site.site.url + UNAVAILABLE_PATH, unavailable)
    problems = []
    try:
        page = context.new_page()
        for audited in audit_site.pages:
            if audited.in_browser:
                open_page(page, audited)
                problems += describe(audited.name, run_axe(page))
    finally:
        context.close()
    assert not problems, f"axe violations at {width} px, {scheme}:\n" + "\n".join(problems)
