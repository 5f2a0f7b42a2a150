"""The index schema: one document per edition and one per link."""

from __future__ import annotations

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from index.analysis import spelling_analyzer, text_analyzer

# Bump when the schema, the analysis or the file layout changes: `index check` then reports a
# stale index, and `index update` rebuilds it. 3: segments as separate files, not compound,
# and no catch-all field (totals come from the ranking arrays, index/ranking.py).
SCHEMA_VERSION = 3


def build_schema() -> Schema:
    """Return the schema; every field says what it is for."""
    text = text_analyzer()
    return Schema(
        # "edition:<slug>" or "link:<slug>:<section>:<position>": unique per document.
        key=ID(unique=True, stored=True),
        # "edition" or "link": in:intro and in:links filter on it; hits render by it.
        kind=ID(stored=True),
        # The edition's slug on all its documents, so an update can delete them together.
        edition=ID(stored=True),
        # Shown with every hit; not searched (an edition's title is its own document's `title`).
        edition_title=STORED(),
        # ISO date or "" when unknown; shown with every hit.
        edition_date=STORED(),
        # Days since 0001-01-01 (0 when unknown): sort=newest, and the tie-break for equal scores.
        day=NUMERIC(int, bits=32, stored=True, sortable=True),
        # Year as text ("2021"); absent when the date is unknown. Facet and `year:` filter.
        year=ID(stored=True, sortable=True),
        # Edition title or link headline: the strongest match, boosted at query time.
        title=TEXT(analyzer=text, stored=True),
        # An edition's one-line highlights (editions only).
        highlights=TEXT(analyzer=text, stored=True),
        # An edition's intro or a link's blurb, paragraphs joined by blank lines; snippets come from it.
        body=TEXT(analyzer=text, stored=True),
        # The words that were the hyperlink (links only).
        link_text=TEXT(analyzer=text, stored=True),
        # Author of a link, searched by `author:`.
        author=TEXT(analyzer=text, stored=True),
        # Publication name of a link, searched by `source:`.
        source=TEXT(analyzer=text, stored=True),
        # Publication slug: facet and the source= filter.
        source_slug=ID(stored=True, sortable=True),
        # Theme slugs, space separated: searched by `theme:`, filter and facet.
        theme=KEYWORD(stored=True, lowercase=True, scorable=False),
        # The same slugs as a per-document column (UTF-8 bytes): facet counts read it in bulk.
        theme_set=COLUMN(VarBytesColumn()),
        # "curated" or "recent_post" and the 1-based position: the link's anchor on its page.
        section=STORED(),
        position=STORED(),
        # The url of a link, when known.
        url=STORED(),
        # The edition's content hash (editions only): `index update` re-indexes what changed.
        content_hash=STORED(),
        # Every word, unstemmed: the source of "did you mean" suggestions.
        spell=TEXT(analyzer=spelling_analyzer(), spelling=True),
    )
