"""Reading /search's parameters: what is accepted, and the message for what is not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from werkzeug.wrappers import Request

from portal.search import SearchRequest, Sort
from portal.views.search_params import MAX_PAGE, BadSearch, parse_query_string, parse_search


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        ({}, SearchRequest("", page_size=10)),
        ({"q": "  platforms  "}, SearchRequest("platforms", page_size=10)),
        (
            {"q": "risk", "theme": "platforms", "year": "2021", "source": "wired"},
            SearchRequest("risk", "platforms", "2021", "wired", page_size=10),
        ),
        ({"q": "x", "sort": "newest"}, SearchRequest("x", sort=Sort.NEWEST, page_size=10)),
        ({"q": "x", "page": str(MAX_PAGE)}, SearchRequest("x", page=MAX_PAGE, page_size=10)),
        ({"q": "x", "theme": " "}, SearchRequest("x", page_size=10)),  # an emptied select
    ],
)
def test_parameters_that_make_a_search(args: dict[str, str], wanted: SearchRequest) -> None:
    assert parse_search(args, page_size=10) == wanted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"page": "0"}, "page is a whole number from 1 to 1000"),
        ({"page": "1001"}, "page is a whole number"),
        ({"page": "-1"}, "page is a whole number"),
        ({"page": "٣"}, "page is a whole number"),  # an Arabic-Indic digit is a digit to str
        ({"page": "9" * 5000}, "page is a whole number"),  # never turned into a huge int
        ({"theme": "Platforms!"}, "theme and source take a slug"),
        ({"source": "../etc"}, "theme and source take a slug"),
        ({"year": "21"}, "year takes four digits"),
        ({"sort": "oldest"}, "sort is either relevance or newest"),
    ],
)
def test_parameters_refused_with_a_reason(args: dict[str, str], message: str) -> None:
    with pytest.raises(BadSearch, match=message):
        parse_search({"q": "platforms", **args}, page_size=10)


def test_the_page_is_checked_before_anything_else() -> None:
    # The cheapest check first: a bad page is named even when other parameters are bad too.
    with pytest.raises(BadSearch, match="page"):
        parse_search({"page": "5000", "sort": "oldest", "year": "x"}, page_size=10)


def _outcome(read: Callable[[], SearchRequest]) -> SearchRequest | str:
    try:
        return read()
    except BadSearch as error:
        return f"BadSearch: {error}"


@pytest.mark.parametrize(
    "query_string",
    [
        b"",
        b"q=platforms",
        b"q=risk&theme=platforms&year=2021&source=wired&sort=newest&page=3",
        b"q=a+b%20c&theme=",
        b"q=caf%C3%A9",
        "q=café ünïcode".encode(),  # raw UTF-8, as some clients send it
        b"q=%E9t%E9",  # Latin-1 percent-escapes: not UTF-8, left percent-encoded
        b"q=%ZZ&q2=%",
        b"q=first&q=second&page=2&page=9",  # the first value counts, as args.get gives it
        b"q=x;page=2",  # a semicolon is no separator
        b"q&page",  # names without values
        b"page=0",
        b"q=x&sort=oldest",
        b"q=x&year=21",
    ],
)
def test_a_raw_query_string_reads_as_werkzeugs_request_args(query_string: bytes) -> None:
    args = Request({"QUERY_STRING": query_string.decode("latin-1")}).args
    expected = _outcome(lambda: parse_search(args, page_size=10))
    assert _outcome(lambda: parse_query_string(query_string, 10)) == expected
    assert _outcome(lambda: parse_query_string(query_string, 10)) == expected  # kept
