"""Facet and date columns are kept per segment: a new generation reads only its new segments."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np

import index
from index.reader import Columns, Facet, SharedColumns, segment_column
from index.storage import live_build, open_build
from tests.index.conftest import LIBRARY, edition, link


def _columns(shared: SharedColumns, folder: Path) -> tuple[Columns, Columns]:
    """Return the shared columns of the live generation, and the same read whole."""
    build = live_build(folder)
    with open_build(build).reader() as reader:
        return shared.of(build, reader.generation(), reader), Columns.read(reader)


def _same(joined: Columns, whole: Columns) -> None:
    assert np.array_equal(joined.days, whole.days)
    everything = np.ones(len(whole.days), dtype=np.bool_)
    for name, facet in whole.facets.items():
        assert joined.facets[name].names == facet.names
        assert joined.facets[name].counts(everything) == facet.counts(everything)
        some = np.arange(len(whole.days)) % 3 == 0
        assert joined.facets[name].counts(some) == facet.counts(some) == _counted(facet, some)


def _counted(facet: Facet, matched: np.ndarray) -> list[tuple[str, int]]:
    """Count a facet's names over matched documents one pair at a time."""
    found = Counter(
        facet.names[code] for doc, code in zip(facet.docs, facet.codes, strict=True) if matched[doc]
    )
    return [(name, found[name]) for name in facet.names if found[name]]


def test_an_import_reads_only_the_new_segments_columns(folder: Path) -> None:
    shared = SharedColumns()
    joined, whole = _columns(shared, folder)
    _same(joined, whole)
    before = dict(shared._segments)
    added = edition(
        "added",
        "A new edition on pricing",
        dt.date(2026, 3, 1),
        link("Pricing pages", "How to price", source="Fresh Source", source_slug="fresh-source"),
        themes=("pricing-new",),
    )
    wanted = {doc.slug: doc.content_hash for doc in [*LIBRARY, added]}
    index.update(folder, wanted, lambda slugs: [doc for doc in [added] if doc.slug in slugs])
    joined, whole = _columns(shared, folder)
    _same(joined, whole)
    assert "fresh-source" in joined.facets["source"].names
    assert "pricing-new" in joined.facets["theme"].names
    for key, columns in before.items():  # the older segments' arrays were not read again
        assert shared._segments[key] is columns
    assert len(shared._segments) == len(before) + 1


def test_columns_read_in_one_piece_are_whooshs_value_by_value(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    undated = edition("undated", "No date here", None, link("Undated link", source_slug=""))
    index.rebuild(folder, LIBRARY)
    added = edition("later", "Later", dt.date(2026, 5, 1), link("Later link"))
    wanted = {doc.slug: doc.content_hash for doc in [*LIBRARY, added, undated]}
    index.update(folder, wanted, lambda slugs: [added, undated])
    seen: dict[str, list[object]] = {}
    with open_build(live_build(folder)).reader() as reader:
        leaves = [leaf for leaf, _offset in reader.leaf_readers()]
        assert len(leaves) > 1
        for leaf in leaves:
            for name in ("day", "year", "source_slug", "theme_set"):
                column = leaf.column_reader(name)
                count = leaf.doc_count_all()
                expected = [column[docnum] for docnum in range(count)]
                assert segment_column(column, count) == expected, name
                seen.setdefault(name, []).extend(expected)
    # Documents without a value were among them: no date, no year, no source, no theme.
    assert 0 in seen["day"] and "" in seen["year"] and "" in seen["source_slug"]
    assert b"" in seen["theme_set"]
