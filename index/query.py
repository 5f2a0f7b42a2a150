"""The reader's query language, parsed into Whoosh queries.

Offered: words (all must match), "quoted phrases", OR, NOT or a leading minus,
parentheses, and the fields theme:, source:, author:, year:, in:intro, in:links.
Not offered: wildcards, ranges, boosts and raw field names; a lone `*` reads
every posting list, so it is just punctuation here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS
from whoosh.qparser import QueryParser, plugins
from whoosh.qparser.plugins import MultifieldPlugin
from whoosh.query import Query
from whoosh.support.charset import accent_map

from index.analysis import text_analyzer
from index.results import SearchRequest

MAX_QUERY_CHARS = 200
MAX_WORDS = 16
MAX_GROUP_DEPTH = 3
# Where plain words are looked for, and how much a match in each field counts.
FIELD_BOOSTS = {
    "title": 4.0,
    "highlights": 2.0,
    "link_text": 2.0,
    "body": 1.0,
    "author": 1.5,
    "source": 1.0,
}
# A hit whose text holds the query's words in a row ranks as if it scored this much more.
PHRASE_BOOST = 2.0
READER_FIELDS = ("theme", "source", "author", "year")
_IN = re.compile(r"(?<!\S)in:(intro|links)(?!\S)", re.IGNORECASE)
_PLAIN = re.compile(r"^[^\W_][\w\u2019'\-]*(?: [^\W_][\w\u2019'\-]*)+$")
_OPERATORS = {"AND", "OR", "NOT"}
_ANALYZER = text_analyzer()
# Anything but letters, digits, quotes, parentheses, colons, hyphens and apostrophes is a space:
# Whoosh keeps a word that analyses to nothing (`***`) as a raw term instead of dropping it.
_PUNCTUATION = re.compile(r"[^\w\s\"():\-'\u2019]")
# A hyphen inside a word joins it ("dual-track"); Whoosh would read it as "dual NOT track".
_JOINING_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


class QueryError(ValueError):
    """A query the reader must change; the message says how."""


@dataclass(frozen=True)
class ParsedQuery:
    """The query, the kind of document, and words.

    `query` spreads plain words over the weighted fields; `phrase`, for a query of plain
    words, finds them next to each other in a document's text, to lift such documents in the
    ranking.
    """

    query: Query
    kind: str | None
    words: tuple[str, ...]
    phrase: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Parsers:
    """The parser of the reader's query language, spreading words over the weighted fields."""

    ranking: QueryParser


def make_parsers(schema: object) -> Parsers:
    """Return the parsers of the reader's query language."""
    return Parsers(_parser(schema, FIELD_BOOSTS))


def _parser(schema: object, boosts: dict[str, float]) -> QueryParser:
    """Return a parser that understands exactly the reader's query language."""
    parser = QueryParser(
        None,
        schema,
        plugins=[
            # Only the documented field names are fields; "title:x" stays two plain words.
            plugins.FieldsPlugin(expr=rf"(?P<text>{'|'.join(READER_FIELDS)}):"),
            plugins.PhrasePlugin(),
            plugins.GroupPlugin(),
            plugins.OperatorsPlugin(),
            plugins.PlusMinusPlugin(),
            MultifieldPlugin(list(boosts), fieldboosts=boosts),
        ],
    )
    return parser


def parse(parsers: Parsers, text: str) -> ParsedQuery:
    """Parse a reader's query, or raise QueryError with a message for the reader."""
    _check_size(" ".join(text.split()))
    text = " ".join(_JOINING_HYPHEN.sub(" ", _PUNCTUATION.sub(" ", text)).split())
    # Counted once punctuation is gone: "a,b,c" is three words to look up, not one.
    if len(text.split()) > MAX_WORDS:
        raise QueryError(
            f"Searches are limited to {MAX_WORDS} words; keep the ones that matter most."
        )
    kinds = {match.lower() for match in _IN.findall(text)}
    text = " ".join(_IN.sub(" ", text).split())
    kind = {"intro": "edition", "links": "link"}[kinds.pop()] if len(kinds) == 1 else None
    parser = parsers.ranking
    try:
        query = parser.parse(text)
    except Exception as error:  # Whoosh's parser can fail in many ways on odd input
        raise QueryError("This search could not be understood; try plain words.") from error
    if not _has_positive(query):
        raise QueryError(
            "Add a word to look for: this search has only punctuation, very common words or words to leave out."
        )
    phrase = _phrase(text) if _PLAIN.match(text) and not _OPERATORS & set(text.split()) else None
    return ParsedQuery(query, kind, _words(text), phrase)


def _phrase(text: str) -> re.Pattern[str] | None:
    """Return a pattern for the words in a row: each stem as a word start, stop words between.

    Checked on the stored, accent-folded text of the top hits only: Whoosh's phrase query
    reads word positions in every document holding all the words (docs/benchmarks.md).
    """
    stems = [token.text for token in _ANALYZER(text)]
    if len(stems) < 2:
        return None
    gap = rf"\W+(?:(?:{'|'.join(sorted(STOP_WORDS))})\W+)*"
    return re.compile(r"\b" + gap.join(rf"{re.escape(stem)}\w*" for stem in stems))


def fold(text: str) -> str:
    """Return text lower-cased and accent-folded like the index's words, for phrase checks."""
    return text.translate(accent_map).lower()


def _check_size(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"Searches are limited to {MAX_QUERY_CHARS} characters; try fewer words.")
    depth = deepest = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_GROUP_DEPTH:
        raise QueryError(f"Parentheses can be nested {MAX_GROUP_DEPTH} deep at most.")


def _has_positive(query: Query) -> bool:
    """Return whether the query asks for something, rather than only excluding things."""
    if query is wq.NullQuery or isinstance(query, wq.Not):
        return False
    if isinstance(query, wq.AndNot):
        return _has_positive(query.a)
    if isinstance(query, wq.Or | wq.And):
        return any(_has_positive(sub) for sub in query.subqueries)
    if isinstance(query, wq.Phrase):
        return bool(query.words)
    return query.is_leaf() and query is not wq.NullQuery


def _words(text: str) -> tuple[str, ...]:
    """Return the plain words of a query (no field values or operators), for spell-checking."""
    without_fields = re.sub(rf"\b(?:{'|'.join(READER_FIELDS)}):(\"[^\"]*\"|\S+)", " ", text)
    words = re.findall(r"[^\W\d_]{3,}", without_fields)
    return tuple(dict.fromkeys(word for word in words if word not in _OPERATORS))


def filter_terms(request: SearchRequest, kind: str | None) -> list[Query]:
    """Return the filters a request asks for (theme, year, source) and the kind `in:` chose."""
    wanted = (
        ("theme", request.theme),
        ("year", request.year),
        ("source_slug", request.source),
        ("kind", kind),
    )
    return [wq.Term(name, value) for name, value in wanted if value]
