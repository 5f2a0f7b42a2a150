"""The sitemap, robots.txt and OpenSearch description documents, from absolute URLs.

Sitemaps: https://www.sitemaps.org/protocol.html. OpenSearch 1.1:
https://github.com/dewitt/opensearch/blob/master/opensearch-1-1-draft-6.md
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

from portal.publishing.feeds import timestamp, xml_bytes

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPENSEARCH_NAMESPACE = "http://a9.com/-/spec/opensearch/1.1/"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
# The protocol's limit for one file (and for one index); past it the sitemap is split.
SITEMAP_LIMIT = 50_000

Page = tuple[str, dt.datetime | None]


def sitemap_document(pages: Iterable[Page], limit: int = SITEMAP_LIMIT) -> bytes:
    """Return a sitemap listing (absolute URL, last change or None) pairs."""
    return _listing("urlset", "url", pages, limit)


def sitemap_index_document(parts: Iterable[Page], limit: int = SITEMAP_LIMIT) -> bytes:
    """Return a sitemap index listing (absolute URL of a part, its last change) pairs."""
    return _listing("sitemapindex", "sitemap", parts, limit)


def sitemap_parts(pages: Sequence[Page], limit: int) -> list[Sequence[Page]]:
    """Split pages into parts of at most `limit` each; one part when they fit in one file."""
    if limit < 1:
        raise ValueError(f"a sitemap part must hold at least one URL, not {limit}")
    return [pages[start : start + limit] for start in range(0, len(pages), limit)] or [pages]


def newest(pages: Iterable[Page]) -> dt.datetime | None:
    """Return the latest last change among pages, or None when none has one."""
    return max((lastmod for _url, lastmod in pages if lastmod is not None), default=None)


def _listing(root_tag: str, entry_tag: str, entries: Iterable[Page], limit: int) -> bytes:
    root = ET.Element(root_tag, xmlns=SITEMAP_NAMESPACE)
    for count, (url, lastmod) in enumerate(entries, start=1):
        if count > limit:
            raise ValueError(f"a sitemap or sitemap index holds at most {limit} entries")
        entry = ET.SubElement(root, entry_tag)
        ET.SubElement(entry, "loc").text = url
        if lastmod is not None:
            ET.SubElement(entry, "lastmod").text = timestamp(lastmod)
    return xml_bytes(root)


def robots_text(sitemap_url: str) -> str:
    """Return robots.txt: no search combinations or API, and find the sitemap here."""
    # A search for one thing may be crawled (its canonical URL is /search, so it is never
    # indexed as a page of its own), but filters, sorting and paging multiply searches without
    # end: `*` (RFC 9309) keeps out every search URL with a second parameter. The sitemap
    # reaches every page.
    return f"User-agent: *\nDisallow: /search?*&\nDisallow: /api/\n\nSitemap: {sitemap_url}\n"


def opensearch_document(
    short_name: str, description: str, search_template: str, self_url: str, language: str
) -> bytes:
    """Return an OpenSearch description of the site's search page."""
    root = ET.Element("OpenSearchDescription", xmlns=OPENSEARCH_NAMESPACE)
    ET.SubElement(root, "ShortName").text = short_name
    ET.SubElement(root, "Description").text = description
    ET.SubElement(root, "InputEncoding").text = "UTF-8"
    ET.SubElement(root, "Language").text = language
    ET.SubElement(root, "Url", type="text/html", method="get", template=search_template)
    ET.SubElement(root, "Url", type=OPENSEARCH_TYPE, rel="self", template=self_url)
    return xml_bytes(root)
