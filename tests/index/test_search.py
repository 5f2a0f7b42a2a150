"""Searching a real index on disk: the query language, facets, snippets and suggestions."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import index
from index import SearchRequest, Sort
from tests.index.conftest import edition, link


def keys(results: index.SearchResults) -> list[str]:
    """Return "slug" for edition hits and "slug#position" for link hits, in rank order."""
    return [
        h.edition_slug if h.kind == "edition" else f"{h.edition_slug}#{h.position}"
        for h in results.hits
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("platform", {"platforms"}),  # stemming: platform finds "platforms" in the title
        ("resume", {"careers", "careers#1"}),  # accent folding: resume finds résumé
        ("RÉSUMÉ", {"careers", "careers#1"}),
        ('"internal scaling"', {"platforms#1"}),  # a phrase, not scattered words
        ("internal scaling", {"platforms#1", "careers#2"}),
        ("stripe OR résumé", {"platforms#2", "careers", "careers#1"}),
        ("scaling -politics", {"platforms#1"}),
        ("scaling NOT politics", {"platforms#1"}),
        ("source:wired", {"platforms#2"}),
        ("author:miller", {"platforms#1"}),
        ("theme:leadership scaling", {"careers#2"}),
        ("year:2022 scaling", {"careers#2"}),
        ("in:intro panel", {"platforms"}),
        ("in:links platforms", set()),
        ("in:links stripe", {"platforms#2"}),
        ("(stripe OR aws) wired", {"platforms#2"}),
        ("title:stripe", set()),  # raw field names are plain words: "title" matches nothing here
        ("plat*", set()),  # no wildcards: "plat" is just a word
    ],
)
def test_query_language(searcher: index.SearchIndex, q: str, expected: set[str]) -> None:
    assert set(keys(searcher.search(SearchRequest(q)))) == expected


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("*", "Add a word"),
        ("***", "Add a word"),
        ("a*", "Add a word"),
        ("-platforms", "Add a word"),
        ("NOT platforms", "Add a word"),
        ("the", "Add a word"),
        ("x" * 201, "200 characters"),
        (" ".join(["word"] * 17), "16 words"),
        (",".join(["word"] * 17), "16 words"),  # words are counted once punctuation is gone
        ("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q", "16 words"),
        ("((((deep))))", "nested 3 deep"),
        ("", "Type a word"),
    ],
)
def test_queries_the_reader_must_change(searcher: index.SearchIndex, q: str, message: str) -> None:
    with pytest.raises(index.QueryError, match=message):
        searcher.search(SearchRequest(q))


def test_filters_and_facets(searcher: index.SearchIndex) -> None:
    everything = searcher.search(SearchRequest("scaling OR stakeholders OR stripe"))
    assert everything.total == 5
    assert dict(everything.facets["theme"]) == {"platforms": 2, "leadership": 1}
    assert dict(everything.facets["year"]) == {"2021": 2, "2022": 1}
    assert dict(everything.facets["source"]) == {"example-weekly": 2, "wired": 1, "techcrunch": 1}
    narrowed = searcher.search(
        SearchRequest("scaling OR stakeholders OR stripe", theme="platforms")
    )
    assert set(keys(narrowed)) == {"platforms#1", "platforms#2"}
    assert narrowed.total == 2
    assert searcher.search(SearchRequest("scaling", year="2022")).total == 1
    assert searcher.search(SearchRequest("scaling", source="techcrunch")).total == 1


def test_filters_alone_list_newest_first(searcher: index.SearchIndex) -> None:
    results = searcher.search(SearchRequest(theme="leadership"))
    assert keys(results) == ["careers", "careers#1", "careers#2"]


def test_sort_newest_and_pages(searcher: index.SearchIndex) -> None:
    request = SearchRequest("scaling OR stripe OR résumé", sort=Sort.NEWEST, page_size=2)
    first = searcher.search(request)
    assert first.total == 5 and first.pages == 3
    dates = [h.edition_date for h in first.hits]
    assert dates == ["2022-03-01", "2022-03-01"]
    third = searcher.search(SearchRequest(request.q, sort=Sort.NEWEST, page_size=2, page=3))
    assert [h.edition_date for h in third.hits] == ["2021-06-07"]
    beyond = searcher.search(SearchRequest(request.q, sort=Sort.NEWEST, page_size=2, page=4))
    assert beyond.hits == ()  # not the last page again, as Whoosh would give


def test_snippets_mark_matches_and_escape_everything_else(searcher: index.SearchIndex) -> None:
    results = searcher.search(SearchRequest("stakeholders"))
    assert results.total == 2
    for hit in results.hits:
        assert "<mark>stakeholders</mark>" in hit.snippet
        assert set(re.findall(r"</?(\w+)", hit.snippet)) == {"mark"}
        assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert any("&lt;script&gt;" in hit.snippet for hit in results.hits)
    assert any("&lt;img" in hit.snippet for hit in results.hits)


def test_titles_come_back_as_plain_text(searcher: index.SearchIndex) -> None:
    hit = searcher.search(SearchRequest("bold")).hits[0]
    assert hit.title == "A <b>bold</b> headline"  # escaping titles is the template's job


def test_suggestion_when_a_word_is_misspelled(searcher: index.SearchIndex) -> None:
    results = searcher.search(SearchRequest("stakholders"))
    assert results.total == 0
    assert results.suggestion == "stakeholders"
    assert searcher.search(SearchRequest("stakeholders")).suggestion is None


def test_no_suggestion_when_nothing_close_exists(searcher: index.SearchIndex) -> None:
    assert searcher.search(SearchRequest("zzyzzx")).suggestion is None


def test_link_hits_carry_what_a_page_needs(searcher: index.SearchIndex) -> None:
    hit = searcher.search(SearchRequest('"internal scaling"')).hits[0]
    assert (hit.kind, hit.section, hit.position) == ("link", "curated", 1)
    assert (hit.title, hit.author, hit.source, hit.source_slug) == (
        "How AWS came to be",
        "Ron Miller",
        "TechCrunch",
        "techcrunch",
    )
    assert (hit.edition_slug, hit.edition_title, hit.edition_date) == (
        "platforms",
        "Will platforms conquer the world?",
        "2021-06-07",
    )
    assert hit.themes == ("platforms",)


def test_repeated_searches_come_from_the_cache(searcher: index.SearchIndex) -> None:
    first = searcher.search(SearchRequest("stripe"))
    assert searcher.search(SearchRequest("stripe")) is first


def test_words_in_a_row_outrank_the_same_words_scattered(tmp_path: Path) -> None:
    scattered = edition(
        "scattered",
        "One",
        dt.date(2024, 1, 1),
        link("Notes", "The north of the company, a star performer, and a metric or two."),
    )
    in_a_row = edition(
        "in-a-row",
        "Two",
        dt.date(2020, 1, 1),
        link("Notes", "Choose one north star metric, and a company performer or two."),
    )
    index.rebuild(tmp_path / "ix", [scattered, in_a_row])
    hits = index.SearchIndex(tmp_path / "ix").search(SearchRequest("north star metric")).hits
    assert [hit.edition_slug for hit in hits] == ["in-a-row", "scattered"]
    hits = index.SearchIndex(tmp_path / "ix").search(SearchRequest("platform of platforms")).hits
    assert hits == ()


@pytest.mark.parametrize(
    ("request_", "total", "themes"),
    [
        (SearchRequest('"internal scaling"'), 1, {"platforms": 1}),
        (SearchRequest('"internal scaling" OR résumé'), 3, {"platforms": 1, "leadership": 2}),
        (SearchRequest('"internal scaling" OR résumé', theme="leadership"), 2, {"leadership": 2}),
        (SearchRequest('"no such words here"'), 0, {}),
    ],
)
def test_totals_and_facets_of_phrase_queries_are_exact(
    searcher: index.SearchIndex, request_: SearchRequest, total: int, themes: dict[str, int]
) -> None:
    results = searcher.search(request_)
    assert results.total == total == len(results.hits)
    assert dict(results.facets["theme"]) == themes


def test_only_the_first_few_unknown_words_are_corrected(searcher: index.SearchIndex) -> None:
    # Each correction is a lookup in the spelling field; a query of typos must not cost 16.
    results = searcher.search(SearchRequest("stakholders OR platfroms OR scalng OR strpe"))
    assert results.suggestion == "stakeholders OR platforms OR scaling OR strpe"


def test_a_page_past_the_end_is_answered_from_the_first_page(searcher: index.SearchIndex) -> None:
    far = searcher.search(SearchRequest("scaling OR stripe", page_size=2, page=1000))
    assert (far.total, far.hits, far.request.page) == (3, (), 1000)
    # Counting the pages ran (and kept) the first page, not a window of 2,000 hits: the
    # first page asked for now is that same answer.
    first = searcher.search(SearchRequest("scaling OR stripe", page_size=2))
    assert first.facets is far.facets
    assert searcher.search(SearchRequest("scaling OR stripe", page_size=2, page=2)).hits
