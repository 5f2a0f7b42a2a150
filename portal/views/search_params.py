"""The parameters of /search and /api/search, read and checked before any search work.

The cheap checks come first: a page number out of range or a malformed filter is
refused before the query is parsed or the index is opened. A search asked again (most are:
instant search, popular words) is read once per process, by its raw query string.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from portal.search import SearchRequest, Sort

MAX_PAGE = 1000
# Query strings read and kept (each at most a request line, which gunicorn caps at 4 KB).
KEPT_QUERY_STRINGS = 1024
_YEAR = re.compile(r"^\d{4}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class BadSearch(ValueError):
    """A search parameter that is not of the documented form; the message says which."""


def parse_search(args: Mapping[str, str], page_size: int) -> SearchRequest:
    """Return the SearchRequest the URL's parameters ask for, or raise BadSearch."""
    page = args.get("page", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= 4 and 1 <= int(page) <= MAX_PAGE):
        raise BadSearch(f"page is a whole number from 1 to {MAX_PAGE}.")
    theme, year, source = (
        args.get(name, "").strip() or None for name in ("theme", "year", "source")
    )
    if (theme and not _SLUG.match(theme)) or (source and not _SLUG.match(source)):
        raise BadSearch("theme and source take a slug, such as theme=platforms or source=wired.")
    if year and not _YEAR.match(year):
        raise BadSearch("year takes four digits, such as year=2021.")
    try:
        sort = Sort(args.get("sort", "relevance"))
    except ValueError:
        raise BadSearch("sort is either relevance or newest.") from None
    q = args.get("q", "").strip()
    return SearchRequest(q, theme, year, source, sort, int(page), page_size)


@functools.lru_cache(maxsize=KEPT_QUERY_STRINGS)
def parse_query_string(query_string: bytes, page_size: int) -> SearchRequest:
    """Return the SearchRequest a raw query string asks for, or raise BadSearch (not kept)."""
    return parse_search(first_values(query_string), page_size)


def first_values(query_string: bytes) -> dict[str, str]:
    """Return each parameter's first value, decoded as werkzeug decodes `request.args`."""
    # werkzeug's Request.args: UTF-8, blank values kept, and invalid bytes left
    # percent-encoded by the error handler werkzeug registers (werkzeug/urls.py).
    pairs = parse_qsl(query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    first: dict[str, str] = {}
    for name, value in pairs:
        first.setdefault(name, value)
    return first
