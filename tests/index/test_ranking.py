"""The word-at-a-time ranker finds exactly Whoosh's documents, with Whoosh's scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import index
from index.counting import TermDocs
from index.flat import SUFFIX
from index.query import make_parsers, parse
from index.ranking import Postings, Unsupported
from index.schema import build_schema
from index.storage import live_build
from tests.index.conftest import LIBRARY, edition, link

WORDS = [
    "scaling",
    "platform",
    "market",
    "team",
    "roadmap",
    "pricing",
    "growth",
    "interview",
    "risk",
]

# Enough documents that common words span several posting blocks (128 postings each).
MANY = [
    edition(
        f"bulk-{n}",
        f"{WORDS[n % 9]} notes {n}",
        dt.date(2015, 1, 1) + dt.timedelta(days=7 * n),
        link(
            f"On {WORDS[(n * 7) % 9]} and {WORDS[(n * 5) % 9]}",
            " ".join(WORDS[(n + k) % 9] for k in range(n % 13 + 1)),
            author=f"Writer {n % 5}",
            source=f"Source {n % 4}",
            source_slug=f"source-{n % 4}",
        ),
        intro=(" ".join(WORDS[(n * k) % 9] for k in range(n % 7 + 2)),),
    )
    for n in range(400)
] + [
    # "risk scaling" and "scaling market" are here, but never the three words in a row.
    edition("apart", "Apart", dt.date(2016, 1, 1), intro=("risk scaling, then scaling market",)),
    edition("in-a-row", "In a row", dt.date(2016, 1, 8), intro=("risk scaling market",)),
]

QUERIES = [
    "scaling",
    "internal scaling",
    "scaling OR stripe OR résumé",
    "scaling -politics",
    "scaling NOT politics",
    "(stripe OR aws) wired",
    "theme:platforms scaling",
    "source:wired",
    "author:armstrong",
    "year:2022 scaling",
    "zebra",
    "roadmap pricing",
    "roadmap OR pricing OR growth",
    "(roadmap OR risk) -market",
    "team NOT (growth OR interview)",
    "market team pricing risk",
]


def compare(folder: Path, text: str) -> None:
    """Check our documents against TermDocs' set algebra over posting lists, and our scores
    against Whoosh's. (Whoosh's own AndNot over a union of fields can let through a document
    holding the excluded word: '(roadmap OR risk) -market' did here. So the documents are
    checked against TermDocs, itself checked against Whoosh in test_counting.py.)"""
    ix = whoosh_index.open_dir(str(live_build(folder)))
    parsed = parse(make_parsers(build_schema()), text)
    with ix.searcher() as searcher:
        scores = {hit.docnum: hit.score for hit in searcher.search(parsed.query, limit=None)}
        expected = TermDocs().matching(searcher, parsed.query, ("v",))
        for postings in (Postings(), Postings(max_kept=10)):  # kept, and read every time
            for _ in range(2):
                found = postings.matches(searcher, ("v",), parsed.query)
                ours = {int(d): float(found.scores[d]) for d in found.mask.nonzero()[0]}
                assert ours.keys() == expected, text
                for docnum in expected:
                    assert ours[docnum] == pytest.approx(scores[docnum], rel=1e-12), (text, docnum)


@pytest.fixture(params=["flat arrays", "whoosh blocks"])
def many(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The index, read from its flat arrays (index/flat.py) or, without them, Whoosh's blocks."""
    target = tmp_path / "many"
    index.rebuild(target, [*LIBRARY, *MANY])
    if request.param == "whoosh blocks":
        for arrays in live_build(target).glob(f"*{SUFFIX}"):
            shutil.rmtree(arrays)
    return target


@pytest.mark.parametrize("text", QUERIES)
def test_the_same_documents_and_scores_as_whoosh(many: Path, text: str) -> None:
    compare(many, text)


def test_several_segments_with_deleted_documents(many: Path) -> None:
    changed = [
        dataclasses.replace(doc, content_hash="new", links=doc.links[:0]) for doc in MANY[::3]
    ]
    wanted = {doc.slug: doc.content_hash for doc in [*LIBRARY, *MANY]} | {
        doc.slug: "new" for doc in changed
    }
    index.update(many, wanted, lambda slugs: [doc for doc in changed if doc.slug in slugs])
    ix = whoosh_index.open_dir(str(live_build(many)))
    with ix.searcher() as searcher:
        assert not searcher.reader().is_atomic() or searcher.reader().has_deletions()
    for text in QUERIES:
        compare(many, text)


# Quoted phrases come from word positions (index/phrases.py): two words, three and
# four, a word repeated, a stop word inside, a phrase beside words, in OR and NOT, in a
# field, and one whose words are all there, each next to another, but never all in a row.
PHRASES = [
    '"scaling platform"',
    '"platform market team"',
    '"scaling platform market team"',
    '"scaling scaling"',
    '"roadmap the pricing"',
    '"internal scaling" stripe',
    '"scaling platform" OR "risk scaling"',
    '"scaling platform" -team',
    'source:"source 2" scaling',
    '"risk scaling market"',
    '"market scaling"',
    '"zebra scaling"',
]


@pytest.mark.parametrize("text", PHRASES)
def test_phrases_find_whooshs_documents_and_scores(many: Path, text: str) -> None:
    compare(many, text)


def test_phrases_over_several_segments_with_deleted_documents(many: Path) -> None:
    changed = [dataclasses.replace(doc, content_hash="new", links=()) for doc in MANY[1::4]]
    wanted = {doc.slug: doc.content_hash for doc in [*LIBRARY, *MANY]} | {
        doc.slug: "new" for doc in changed
    }
    index.update(many, wanted, lambda slugs: [doc for doc in changed if doc.slug in slugs])
    for text in PHRASES:
        compare(many, text)


def test_words_each_next_to_another_but_not_all_in_a_row_are_no_phrase(many: Path) -> None:
    ix = whoosh_index.open_dir(str(live_build(many)))
    query = parse(make_parsers(build_schema()), '"risk scaling market"').query
    with ix.searcher() as searcher:
        found = Postings().matches(searcher, ("v",), query)
        slugs = {searcher.stored_fields(int(d))["edition"] for d in found.mask.nonzero()[0]}
    assert "apart" not in slugs
    assert "in-a-row" in slugs


def test_a_phrase_in_a_field_without_positions_is_left_to_whoosh(folder: Path) -> None:
    ix = whoosh_index.open_dir(str(live_build(folder)))
    query = parse(make_parsers(build_schema()), 'theme:"platforms risk" stripe').query
    with ix.searcher() as searcher, pytest.raises(Unsupported):
        Postings().matches(searcher, ("v",), query)


def test_the_budget_is_kept(many: Path) -> None:
    ix = whoosh_index.open_dir(str(live_build(many)))
    postings = Postings(max_kept=50)
    query = parse(make_parsers(build_schema()), "scaling OR team OR risk").query
    with ix.searcher() as searcher:
        postings.matches(searcher, ("v",), query)
    assert postings._size <= 50


def test_a_new_index_version_drops_the_old_ones_postings(many: Path) -> None:
    ix = whoosh_index.open_dir(str(live_build(many)))
    postings = Postings()
    query = parse(make_parsers(build_schema()), "scaling OR team OR risk").query
    with ix.searcher() as searcher:
        old = postings.matches(searcher, ("v1",), query)
        kept = postings._size
        assert kept > 0
        postings.matches(searcher, ("v2",), parse(make_parsers(build_schema()), "risk").query)
        assert 0 < postings._size < kept
        assert {key[0] for key in postings._kept} == {"v2"}
        again = postings.matches(searcher, ("v1",), query)  # a thread still on v1 is answered
    assert (again.mask == old.mask).all()
    assert (again.scores == old.scores).all()
