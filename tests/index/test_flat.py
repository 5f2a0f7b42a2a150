"""Each segment's flat arrays hold exactly Whoosh's posting lists, follow the segments through
rebuilds, imports and merges, and a damaged or missing one only sends reads back to Whoosh."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

import index
from index import SearchRequest, flat
from index.blocks import read_list
from index.flat import SUFFIX, FlatSegment, segment_folder, write_missing
from index.storage import live_build
from tests.index.conftest import LIBRARY, edition, link

MORE = [
    edition(
        f"more-{n}",
        f"Roadmap notes {n}",
        dt.date(2020, 1, 1) + dt.timedelta(days=7 * n),
        link(f"Scaling the roadmap {n}", "scaling " * (n % 5 + 1) + "pricing risk"),
    )
    for n in range(400)
]
SEARCHES = ["scaling", '"scaling pricing"', "roadmap OR risk", '"scaling the roadmap" -aws']


@contextlib.contextmanager
def leaves(folder: Path) -> Iterator[list[SegmentReader]]:
    with whoosh_index.open_dir(str(live_build(folder))).reader() as reader:
        yield [leaf for leaf, _ in reader.leaf_readers() if isinstance(leaf, SegmentReader)]


def segment_folders(folder: Path) -> set[Path]:
    with leaves(folder) as found:
        return {segment_folder(leaf) for leaf in found}


def flat_folders(folder: Path) -> set[Path]:
    return set(live_build(folder).glob(f"*{SUFFIX}*"))


def answers(folder: Path) -> list[object]:
    searcher = index.SearchIndex(folder, cache_size=0)
    return [searcher.search(SearchRequest(text)) for text in SEARCHES]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    index.rebuild(folder, [*LIBRARY, *MORE])
    return folder


def test_every_list_is_whooshs_own(built: Path) -> None:
    checked = 0
    with leaves(built) as segments:
        for leaf in segments:
            checked += check_lists(leaf)
    assert checked > 100


def check_lists(leaf: SegmentReader) -> int:
    """Compare every list Whoosh keeps in blocks with the segment's arrays; return how many."""
    flat = FlatSegment(segment_folder(leaf))
    checked = 0
    for fieldname, text in leaf.all_terms():
        info = leaf.term_info(fieldname, text)
        if info.is_inlined():
            continue
        ours = flat.postings(info.extent()[0])
        theirs = read_list(leaf, fieldname, text, with_positions=True)
        assert ours is not None
        assert ours.docs.tolist() == theirs.docs.tolist()
        assert ours.weights.tolist() == theirs.weights.tolist()
        assert ours.positions.tolist() == theirs.positions.tolist()
        assert ours.counts.tolist() == (theirs.counts.tolist() or [0] * len(theirs.docs))
        checked += 1
    return checked


def test_positions_are_those_whoosh_gives(built: Path) -> None:
    with leaves(built) as segments:
        for leaf in segments:
            found = read_list(leaf, "body", "scale", with_positions=True)
            whoosh = leaf.postings("body", "scale")
            starts = np.cumsum(found.counts) - found.counts
            assert len(found.docs) > 128  # several blocks
            for n, doc in enumerate(found.docs.tolist()):
                assert whoosh.id() == doc
                positions = found.positions[starts[n] : starts[n] + found.counts[n]]
                assert positions.tolist() == list(whoosh.value_as("positions"))
                whoosh.next()
            assert not whoosh.is_active()


def test_each_segment_has_its_arrays_through_imports_and_merges(built: Path) -> None:
    docs = [*LIBRARY, *MORE]
    merged_away = set()
    for round_ in range(12):  # enough small segments for Whoosh to merge some
        changed = [dataclasses.replace(d, content_hash=f"r{round_}") for d in docs[round_::40]]
        docs = [next((c for c in changed if c.slug == d.slug), d) for d in docs]
        before = flat_folders(built)
        index.update(
            built,
            {d.slug: d.content_hash for d in docs},
            lambda slugs, changed=changed: [d for d in changed if d.slug in slugs],
        )
        assert flat_folders(built) == segment_folders(built)
        merged_away |= before - flat_folders(built)
    assert merged_away  # Whoosh merged segments, and their arrays went with them


@pytest.mark.parametrize(
    ("name", "cut"), [("docs.i32", 8), ("positions.i32", 3), ("starts.i64", 5)]
)
def test_a_damaged_array_sends_reads_back_to_whoosh(built: Path, name: str, cut: int) -> None:
    for folder in flat_folders(built):
        damaged = folder / name
        damaged.write_bytes(damaged.read_bytes()[:-cut])
    with pytest.raises(ValueError, match="damaged"):
        FlatSegment(next(iter(flat_folders(built))))
    from_whoosh = answers(built)
    assert from_whoosh == answers_from_arrays(built)


def test_missing_arrays_send_reads_back_to_whoosh(built: Path) -> None:
    remove_arrays(built)
    from_whoosh = answers(built)
    assert from_whoosh == answers_from_arrays(built)


def answers_from_arrays(folder: Path) -> list[object]:
    """Write the arrays again, in new folders (this process maps each folder once), and search."""
    remove_arrays(folder)
    ix = whoosh_index.open_dir(str(live_build(folder)))
    write_missing(ix)
    ix.close()
    assert flat_folders(folder) == segment_folders(folder)
    return answers(folder)


def remove_arrays(folder: Path) -> None:
    for arrays in flat_folders(folder):
        shutil.rmtree(arrays)


def test_a_writer_killed_half_way_leaves_nothing_behind(built: Path) -> None:
    leftover = live_build(built) / f"MAIN_gone{SUFFIX}.tmp-99999"
    leftover.mkdir()
    (leftover / "docs.i32").write_bytes(b"\0" * 8)
    index.update(built, {d.slug: d.content_hash for d in LIBRARY}, lambda slugs: [])
    assert not leftover.exists()
    assert flat_folders(built) == segment_folders(built)


def test_an_update_with_nothing_to_change_writes_what_an_older_build_lacks(built: Path) -> None:
    remove_arrays(built)  # a build written before index/flat.py
    docs = [*LIBRARY, *MORE]
    assert index.update(built, {d.slug: d.content_hash for d in docs}, lambda slugs: []) == (
        [],
        [],
    )
    assert flat_folders(built) == segment_folders(built)


def test_arrays_of_a_build_rebuilt_over_are_unmapped(built: Path) -> None:
    answers(built)
    first = flat_folders(built)
    assert first <= set(flat._OPEN._kept)
    for _ in range(2):  # the second rebuild deletes the first build (the previous is kept)
        index.rebuild(built, [*LIBRARY, *MORE])
    assert not any(folder.exists() for folder in first)
    answers(built)
    assert not first & set(flat._OPEN._kept)
