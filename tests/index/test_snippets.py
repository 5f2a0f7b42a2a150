"""Snippets made from kept word analyses are exactly Whoosh's own `hit.highlights()`."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from whoosh import highlight
from whoosh import index as whoosh_index
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Or, Term

import index
from index import snippets
from index.analysis import text_analyzer
from index.query import make_parsers, parse
from index.schema import build_schema
from index.storage import live_build
from tests.index.conftest import LIBRARY, edition, link

# Accents, ligatures, full-width letters, stop words, markup, numbers with dots, long texts.
ODD = edition(
    "odd",
    "Odd text",
    dt.date(2023, 5, 1),
    link(
        "\uff26\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48 \ufb01nance",
        "The \ufb01nancial résumé of the Résumé writers: v1.2.3 of <b>pricing</b> & the "
        + "scaling stakeholders' pricing. " * 12
        + "Naïve café owners price in 2.5 seconds; pricing again at the very end.",
    ),
    link("Stop words", "The and of a an is it to be. Scaling, and the scaling of scale."),
)
QUERIES = [
    "pricing",
    "scaling stakeholders",
    "resume",
    "finance",
    "full width",
    "cafe naive",
    "scaling OR stripe OR résumé",
    '"internal scaling"',
    "pricing -stripe",
    "theme:platforms scaling",
    "scale",
    "seconds owners",
]


@pytest.fixture
def odd_folder(tmp_path: Path) -> Path:
    target = tmp_path / "odd"
    index.rebuild(target, [*LIBRARY, ODD])
    return target


@pytest.mark.parametrize("text", QUERIES)
def test_the_same_snippets_as_whoosh(odd_folder: Path, text: str) -> None:
    ix = whoosh_index.open_dir(str(live_build(odd_folder)))
    query = parse(make_parsers(build_schema()), text).query
    with ix.searcher() as searcher:
        results = searcher.search(query, limit=None)
        results.fragmenter, results.formatter = snippets.FRAGMENTER, snippets.FORMATTER
        page = snippets.Page(results)
        assert len(results) > 0, text
        for hit in results:
            assert page.highlights(hit) == hit.highlights("body", top=2), (text, hit["key"])


def test_a_stop_word_is_never_marked_and_escaping_holds(odd_folder: Path) -> None:
    hits = index.SearchIndex(odd_folder).search(index.SearchRequest("pricing")).hits
    odd = next(hit for hit in hits if hit.edition_slug == "odd" and hit.position == 1)
    assert "<mark>pricing</mark>" in odd.snippet
    assert "&lt;b&gt;" in odd.snippet and "<b>" not in odd.snippet


def test_the_kept_words_stay_within_their_budget(
    odd_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snippets, "MAX_WORDS_KEPT", 5)
    monkeypatch.setattr(snippets, "_WORDS", {})  # none kept from other tests
    ix = whoosh_index.open_dir(str(live_build(odd_folder)))
    query = parse(make_parsers(build_schema()), "pricing OR scaling").query
    with ix.searcher() as searcher:
        results = searcher.search(query, limit=None)
        results.fragmenter, results.formatter = snippets.FRAGMENTER, snippets.FORMATTER
        page = snippets.Page(results)
        for hit in results:
            assert page.highlights(hit) == hit.highlights("body", top=2)
            assert len(snippets._WORDS) <= 5


# Words of every length that matters to Whoosh's fragmenter: shorter and longer than its
# context (`surround`) and than a whole fragment (`maxchars`), stop words, dotted numbers.
VOCABULARY = ["price", "Pricing", "scales", "the", "of", "a", "cost", "v1.2", "naïve", "x" * 12]
VOCABULARY += ["Scale" + "s" * 70, "y" * 300, "ab", "z"]
SEPARATORS = [" ", " ", " ", ", ", ".  ", "\n\n", " — "]


def random_text(rng: random.Random) -> str:
    """Return a text of random words and separators, sometimes empty or a single word."""
    words = rng.choices(VOCABULARY, k=rng.choice((0, 1, 3, 40, 400)))
    return "".join(word + rng.choice(SEPARATORS) for word in words)


@pytest.mark.parametrize(
    ("maxchars", "surround", "charlimit"),
    [(240, 60, 2**15), (40, 10, 600), (30, 5, 0), (16, 3, 200), (100, 25, 0)],
)
def test_random_texts_make_the_same_fragments_as_whoosh(
    maxchars: int, surround: int, charlimit: int
) -> None:
    """Runs skipped, fragments cut short, a countdown landing on zero, the character limit."""
    rng = random.Random(maxchars * surround)
    schema = Schema(body=TEXT(analyzer=text_analyzer(), stored=True))
    storage = RamStorage()
    ix = storage.create_index(schema)
    with ix.writer() as writer:
        for _ in range(300):
            writer.add_document(body=random_text(rng))
    query = Or([Term("body", "price"), Term("body", "scale")])
    with ix.searcher() as searcher:
        results = searcher.search(query, limit=None)
        results.fragmenter = highlight.ContextFragmenter(maxchars, surround, charlimit)
        results.formatter = snippets.FORMATTER
        page = snippets.Page(results)
        assert len(results) > 100
        for hit in results:
            assert page.highlights(hit) == hit.highlights("body", top=2), hit["body"]
