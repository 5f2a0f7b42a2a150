"""The sitemap, robots.txt and OpenSearch description documents, from absolute URLs.

Sitemaps: https://www.sitemaps.org/protocol.html. OpenSearch 1.1:
https://github.com/dewitt/opensearch/blob/master/opensearch-1-1-draft-6.md
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from portal.publishing.feeds import timestamp, xml_bytes

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPENSEARCH_NAMESPACE = "http://a9.com/-/spec/opensearch/1.1/"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
# The protocol's limit for one file; past it a sitemap index would be needed.
SITEMAP_LIMIT = 50_000


def sitemap_document(pages: Iterable[tuple[str, dt.datetime | None]]) -> bytes:
    """Return a sitemap listing (absolute URL, last change or None) pairs."""
    root = ET.Element("urlset", xmlns=SITEMAP_NAMESPACE)
    for count, (url, lastmod) in enumerate(pages, start=1):
        if count > SITEMAP_LIMIT:
            raise ValueError(f"a sitemap holds at most {SITEMAP_LIMIT} URLs")
        entry = ET.SubElement(root, "url")
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
