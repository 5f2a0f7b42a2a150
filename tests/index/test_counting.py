"""TermDocs answers exactly what Whoosh's own matching answers, and keeps within its budget."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import index
from index.counting import TermDocs
from index.query import make_parsers, parse
from index.schema import build_schema
from index.storage import live_build
from tests.index.conftest import LIBRARY

QUERIES = [
    "scaling",
    "internal scaling",
    "scaling OR stripe OR résumé",
    "scaling -politics",
    "scaling NOT politics",
    '"internal scaling"',
    "(stripe OR aws) wired",
    "theme:platforms scaling",
    "source:wired",
    "year:2022 scaling",
    "zebra",
]


def whoosh_and_ours(folder: Path, text: str) -> tuple[set[int], set[int]]:
    ix = whoosh_index.open_dir(str(live_build(folder)))
    query = parse(make_parsers(build_schema()), text).query
    with ix.searcher() as searcher:
        expected = set(searcher.docs_for_query(query))
        ours = TermDocs().matching(searcher, query, ("v",))
        again = TermDocs().matching(searcher, query, ("v",))
    return expected, ours | again


@pytest.mark.parametrize("text", QUERIES)
def test_the_same_documents_as_whoosh(folder: Path, text: str) -> None:
    expected, ours = whoosh_and_ours(folder, text)
    assert ours == expected


def test_deleted_documents_are_left_out(folder: Path) -> None:
    changed = dataclasses.replace(LIBRARY[0], content_hash="new", links=LIBRARY[0].links[:1])
    wanted = {doc.slug: doc.content_hash for doc in LIBRARY} | {changed.slug: "new"}
    index.update(folder, wanted, lambda slugs: [changed])
    expected, ours = whoosh_and_ours(folder, "stripe OR scaling")
    assert ours == expected
    assert whoosh_and_ours(folder, "stripe") == (set(), set())  # the Stripe link was deleted


def test_the_budget_is_kept(folder: Path) -> None:
    ix = whoosh_index.open_dir(str(live_build(folder)))
    terms = TermDocs(max_kept=3)
    query = parse(
        make_parsers(build_schema()), "scaling OR stakeholders OR stripe OR platform"
    ).query
    with ix.searcher() as searcher:
        found = terms.matching(searcher, query, ("v",))
        assert found == set(searcher.docs_for_query(query))
    assert terms._size <= 3
