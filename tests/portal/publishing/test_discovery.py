"""Sitemap, robots.txt, OpenSearch, and the head tags every page carries for crawlers and readers."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from portal.site import canonical_url
from tests.conftest import ARCHIVE
from tests.support.builders import edition, import_editions

BASE = "http://127.0.0.1:8000"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# W3C Datetime, the forms the sitemap protocol accepts (https://www.w3.org/TR/NOTE-datetime).
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$")
EDITION = "/editions/will-platforms-conquer-the-world"
PAGES = [
    "/",
    "/editions/",
    EDITION,
    "/themes/",
    "/themes/platforms",
    "/sources/",
    "/sources/wired",
]


class HeadTags(HTMLParser):
    """Collects a page's <link>, <meta> and <script> tags, and any style attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.meta: dict[str, str] = {}
        self.scripts: list[dict[str, str]] = []
        self.styled: list[str] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "style" in found:
            self.styled.append(tag)
        if tag == "link":
            self.links.append(found)
        elif tag == "meta" and ("property" in found or "name" in found):
            self.meta[found.get("property") or found["name"]] = found.get("content", "")
        elif tag == "script":
            self.scripts.append(found)
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def head_tags(client: FlaskClient, url: str) -> HeadTags:
    response = client.get(url)
    assert response.status_code == 200, url
    tags = HeadTags()
    tags.feed(response.text)
    return tags


def links_with(tags: HeadTags, rel: str) -> list[dict[str, str]]:
    return [link for link in tags.links if link.get("rel") == rel]


def test_the_sitemap_lists_every_page_with_lastmod(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    response = client.get("/sitemap.xml")
    assert response.content_type == "application/xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    urls = root.findall(f"{SITEMAP}url")
    assert all(child.tag == f"{SITEMAP}url" for child in root)
    locs = [url.findtext(f"{SITEMAP}loc") or "" for url in urls]
    assert len(locs) == len(set(locs)) == 18
    assert {BASE + page for page in PAGES} <= set(locs)
    assert f"{BASE}/themes/roadmaps" in locs and f"{BASE}/sources/i-manage-products" in locs
    for url in urls:
        assert len(url.findall(f"{SITEMAP}loc")) == 1
        assert {child.tag for child in url} <= {f"{SITEMAP}loc", f"{SITEMAP}lastmod"}
        lastmod = url.findtext(f"{SITEMAP}lastmod")
        assert lastmod is None or W3C_DATETIME.match(lastmod), lastmod
    lastmods = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in urls}
    assert lastmods[BASE + EDITION] is not None and lastmods[f"{BASE}/themes/roadmaps"] is None
    for loc in locs:
        assert client.get(loc.removeprefix(BASE)).status_code == 200, loc


def test_robots_txt_points_at_the_sitemap(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.text.splitlines()[0] == "User-agent: *"
    assert f"Sitemap: {BASE}/sitemap.xml" in response.text.splitlines()


def test_robots_txt_allows_one_search_but_not_its_combinations(client: FlaskClient) -> None:
    rules = [line for line in client.get("/robots.txt").text.splitlines() if "allow" in line]
    # Lighthouse's SEO audit fails a page that robots.txt or a robots meta tag keeps out.
    assert rules == ["Disallow: /search?*&", "Disallow: /api/"]
    assert 'name="robots"' not in client.get("/search?q=platforms").text


def test_the_opensearch_description_has_the_required_elements(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.content_type == "application/opensearchdescription+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    short_name = root.findtext(f"{OPENSEARCH}ShortName") or ""
    description = root.findtext(f"{OPENSEARCH}Description") or ""
    assert 0 < len(short_name) <= 16 and 0 < len(description) <= 1024
    html = root.find(f"{OPENSEARCH}Url[@type='text/html']")
    assert html is not None
    assert html.get("template") == f"{BASE}/search?q={{searchTerms}}"


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_feeds_search_canonical_and_card_tags(
    client: FlaskClient, seeded: FlaskCliRunner, url: str
) -> None:
    tags = head_tags(client, url)
    [search] = links_with(tags, "search")
    assert search["type"] == "application/opensearchdescription+xml"
    assert search["href"] == "/opensearch.xml"
    feeds = {(link["type"], link["href"]) for link in links_with(tags, "alternate")}
    assert ("application/atom+xml", "/feed.xml") in feeds
    assert ("application/feed+json", "/feed.json") in feeds
    [canonical] = links_with(tags, "canonical")
    assert canonical["href"] == BASE + url
    assert tags.meta["og:url"] == BASE + url
    for name in ("og:title", "og:description", "og:type", "twitter:title", "twitter:description"):
        assert tags.meta[name].strip(), name
    assert tags.meta["twitter:card"] == "summary"


@pytest.mark.parametrize("url", [*PAGES, "/themes/platforms?page=1", "/no-such-page"])
def test_no_page_has_inline_scripts_or_styles(
    client: FlaskClient, seeded: FlaskCliRunner, url: str
) -> None:
    tags = HeadTags()
    tags.feed(client.get(url).text)
    assert tags.styled == []
    # Data blocks (JSON-LD) and deferred external scripts only, which a strict CSP allows.
    data = [script for script in tags.scripts if script == {"type": "application/ld+json"}]
    external = [script for script in tags.scripts if script not in data]
    assert all(set(script) == {"src", "defer"} for script in external)
    assert len(tags.script_text) <= len(data)  # no code inside an external script's element


def test_theme_pages_advertise_their_own_feeds(client: FlaskClient, seeded: FlaskCliRunner) -> None:
    hrefs = [link["href"] for link in links_with(head_tags(client, "/themes/risk"), "alternate")]
    assert "/themes/risk/feed.xml" in hrefs and "/themes/risk/feed.json" in hrefs


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/editions/?page=2&utm_source=x", "/editions/?page=2"),
        ("/editions/?page=1", "/editions/"),
        ("/editions/?page=03", "/editions/?page=3"),
        ("/themes/risk?q=x", "/themes/risk"),
    ],
)
def test_the_canonical_url_keeps_only_a_later_page_number(
    app: Flask, url: str, canonical: str
) -> None:
    with app.test_request_context(url):
        assert canonical_url() == BASE + canonical


def test_edition_pages_carry_json_ld_article_data(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    tags = head_tags(client, EDITION)
    assert tags.meta["og:type"] == "article"
    [data] = [json.loads(text) for text in tags.script_text]
    assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
    assert data["headline"] == "Will platforms conquer the world?"
    assert data["url"] == data["mainEntityOfPage"] == BASE + EDITION
    assert data["author"]["name"] == "Jock Busuttil"
    assert "datePublished" not in data  # the edition's date is unknown
    assert data["keywords"] == ["Platforms"]


def test_json_ld_cannot_close_its_script_element(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    record = dataclasses.replace(edition("e", "2021-06-07"), title="</script><script>alert(1)")
    import_editions(runner, tmp_path, record)
    page = client.get("/editions/e").text
    assert "</script><script>alert(1)" not in page
    data = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert json.loads(data)["headline"] == "</script><script>alert(1)"
    assert json.loads(data)["datePublished"] == "2021-06-07"


def test_error_pages_name_no_canonical_url(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert 'rel="canonical"' not in response.text
    assert '<meta name="robots" content="noindex">' in response.text


def sitemap_locs(client: FlaskClient, path: str, kind: str) -> list[str]:
    """Return the <loc> of each entry of a sitemap (kind "url") or sitemap index ("sitemap")."""
    response = client.get(path)
    assert response.status_code == 200 and response.content_type.startswith("application/xml")
    root = ET.fromstring(response.data)
    assert root.tag == SITEMAP + ("urlset" if kind == "url" else "sitemapindex"), path
    for entry in root:
        lastmod = entry.findtext(f"{SITEMAP}lastmod")
        assert lastmod is None or W3C_DATETIME.match(lastmod), lastmod
    return [entry.findtext(f"{SITEMAP}loc") or "" for entry in root.findall(SITEMAP + kind)]


def test_past_the_limit_the_sitemap_is_an_index_of_parts(make_app: Callable[..., Flask]) -> None:
    app = make_app(SITEMAP_LIMIT=5)
    imported = app.test_cli_runner().invoke(args=["editions", "import", str(ARCHIVE)])
    assert imported.exit_code == 0, imported.output
    client = app.test_client()
    parts = sitemap_locs(client, "/sitemap.xml", "sitemap")
    assert parts == [f"{BASE}/sitemap-{number}.xml" for number in (1, 2, 3, 4)]
    listed = [sitemap_locs(client, part.removeprefix(BASE), "url") for part in parts]
    assert [len(urls) for urls in listed] == [5, 5, 5, 3]
    every = [url for urls in listed for url in urls]
    assert len(set(every)) == 18 and {BASE + page for page in PAGES} <= set(every)
    for beyond in ("/sitemap-0.xml", "/sitemap-5.xml", "/sitemap-x.xml"):
        assert client.get(beyond).status_code == 404, beyond
    assert f"Sitemap: {BASE}/sitemap.xml" in client.get("/robots.txt").text.splitlines()


def test_a_sitemap_within_the_limit_has_no_parts(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    assert len(sitemap_locs(client, "/sitemap.xml", "url")) == 18
    assert client.get("/sitemap-1.xml").status_code == 404


@pytest.mark.parametrize("limit", [0, -1, 50_001])
def test_a_sitemap_limit_outside_the_protocol_fails_at_start(
    make_app: Callable[..., Flask], limit: int
) -> None:
    with pytest.raises(ValueError, match="PORTAL_SITEMAP_LIMIT must be from 1 to 50000"):
        make_app(SITEMAP_LIMIT=limit)
