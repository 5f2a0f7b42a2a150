"""What a search returns is pinned: results, their order, snippets, totals, facets, suggestions.

Speed work must not change answers. Over 400 demo editions (about 3,500 documents) a fixed
set of searches (bench/queries.py's mix: words, phrases, fields, filters, OR/NOT, typos,
newest first, later pages) must give exactly what pinned_results.json recorded: each hit's
key in rank order, a digest of everything the hit carries (snippet included), the total,
the facets and the suggestion. After a deliberate change to ranking or snippets, write the
file again with `python -m tests.index.test_pinned_results` and review its diff.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import index
from bench.queries import THEMES, query_mix
from index import EditionDocument, LinkDocument, SearchRequest, Sort
from portal.demo.editions import demo_editions
from portal.editions.records import EditionRecord, slugify

PINNED = Path(__file__).with_name("pinned_results.json")
EDITIONS = 400


def documents(count: int = EDITIONS) -> list[EditionDocument]:
    """Return the first `count` demo editions as index documents."""
    return [_document(record) for record in demo_editions(count, THEMES)]


def _document(record: EditionRecord) -> EditionDocument:
    links = tuple(
        LinkDocument(
            section=section.value,
            position=position,
            headline=link.headline,
            blurb=link.blurb,
            link_text=link.link_text,
            source=link.source,
            source_slug=slugify(link.source),
            author=link.author,
            url=link.url,
            themes=link.themes,
        )
        for section, position, link in record.links()
    )
    return EditionDocument(
        slug=record.slug,
        title=record.title,
        date=record.date,
        highlights=record.highlights,
        intro=record.intro,
        themes=record.themes,
        content_hash=record.slug,
        links=links,
    )


def requests() -> list[SearchRequest]:
    """Return the pinned searches: the benchmark's mix, some on a later page or page size."""
    mix = query_mix(96, seed=23)
    later = [dataclasses.replace(r, page=2) for r in mix[:12]]
    wide = [dataclasses.replace(r, page_size=50, sort=Sort.NEWEST) for r in mix[12:18]]
    extra = [
        SearchRequest("in:links strategy"),
        SearchRequest("in:intro platform"),
        SearchRequest('"product strategy" OR roadmap'),
        SearchRequest(theme="risk"),
        SearchRequest(theme="metrics", year="2014"),
    ]
    return [*mix, *later, *wide, *extra]


def _key(request: SearchRequest) -> str:
    return json.dumps(dataclasses.astuple(request), ensure_ascii=False)


def answer(searcher: index.SearchIndex, request: SearchRequest) -> dict[str, Any]:
    """Return what a search answered, in the pinned form."""
    try:
        found = searcher.search(request)
    except index.QueryError as error:
        return {"error": str(error)}
    hits = []
    for hit in found.hits:
        whole = json.dumps(dataclasses.asdict(hit), sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(whole.encode()).hexdigest()[:16]
        hits.append(f"{hit.kind}:{hit.edition_slug}:{hit.section}:{hit.position} {digest}")
    facets = {name: [list(pair) for pair in pairs] for name, pairs in found.facets.items()}
    return {
        "total": found.total,
        "suggestion": found.suggestion,
        "facets": facets,
        "hits": hits,
    }


def answers(folder: Path) -> dict[str, dict[str, Any]]:
    """Return every pinned search's answer from the index in `folder`, uncached."""
    searcher = index.SearchIndex(folder, cache_size=0)
    return {_key(request): answer(searcher, request) for request in requests()}


def build(folder: Path) -> None:
    """Index the demo editions in one writer, so document numbers (which break ties between
    documents of the same day and score) come out the same every time: a rebuild's writer
    processes share documents out as they come free."""
    editions = documents()
    index.rebuild(folder, [])
    wanted = {edition.slug: edition.content_hash for edition in editions}
    index.update(folder, wanted, lambda _slugs: editions)


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pinned") / "index"
    build(folder)
    return folder


def test_the_pinned_set_is_varied() -> None:
    pinned = json.loads(PINNED.read_text())
    assert len(pinned) >= 100
    assert sum(bool(a.get("suggestion")) for a in pinned.values()) >= 3
    assert sum(len(a.get("hits", ())) >= 20 for a in pinned.values()) >= 30
    assert sum("error" in a for a in pinned.values()) <= 5


def test_searches_answer_exactly_what_was_pinned(demo_index: Path) -> None:
    pinned = json.loads(PINNED.read_text())
    found = answers(demo_index)
    assert found.keys() == pinned.keys()
    for key, expected in pinned.items():
        assert found[key] == expected, key


def test_a_cached_answer_is_the_uncached_one(demo_index: Path) -> None:
    searcher = index.SearchIndex(demo_index)
    for request in requests()[:24]:
        first = answer(searcher, request)
        assert answer(searcher, request) == first == answer(index.SearchIndex(demo_index), request)


def main() -> None:
    """Write pinned_results.json from the code as it is (after a deliberate change)."""
    import tempfile

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "index"
        build(folder)
        found = answers(folder)
    # One search a line, so a diff shows which answers changed.
    lines = [
        f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
        for k, v in found.items()
    ]
    PINNED.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"wrote {len(found)} answers to {PINNED}")


if __name__ == "__main__":
    main()
