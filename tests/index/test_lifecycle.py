"""The index lifecycle: build beside and swap, incremental updates, merges, faults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

import index
from index import SearchRequest
from index.documents import whoosh_documents
from index.reader import Reader, SharedColumns
from index.storage import live_build, open_build, write_lock
from tests.index.conftest import LIBRARY, edition, link


def many(count: int, word: str = "common") -> list[index.EditionDocument]:
    """Return `count` editions that all match `word`, two documents each."""
    return [
        edition(
            f"e{n:04d}",
            f"Edition {n} about {word}",
            dt.date(2020, 1, 1) + dt.timedelta(days=n),
            link(f"A {word} link"),
        )
        for n in range(count)
    ]


def test_rebuild_swaps_in_a_new_build_and_keeps_the_previous(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    builds = []
    for _ in range(3):
        index.rebuild(folder, LIBRARY)
        builds.append(live_build(folder))
    assert len(set(builds)) == 3
    assert sorted(p.name for p in folder.glob("build-*")) == sorted(b.name for b in builds[1:])
    assert (builds[-1] / "meta.json").exists()


def test_searches_keep_answering_while_the_index_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    library = many(150)
    index.rebuild(folder, library)
    searcher = index.SearchIndex(folder, cache_size=0)
    totals: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_until_stopped() -> None:
        while not stop.is_set():
            try:
                totals.append(
                    searcher.search(SearchRequest("common", page=1 + len(totals) % 3)).total
                )
            except BaseException as error:  # any failure is the test's failure
                errors.append(error)

    readers = [threading.Thread(target=search_until_stopped) for _ in range(2)]
    for reader in readers:
        reader.start()
    for _ in range(3):
        index.rebuild(folder, library)
    stop.set()
    for reader in readers:
        reader.join()
    assert errors == []
    assert len(totals) > 10
    assert set(totals) == {300}


def test_a_rebuild_that_fails_midway_leaves_the_live_index_alone(
    folder: Path, searcher: index.SearchIndex
) -> None:
    live = live_build(folder)

    def broken() -> list[index.EditionDocument]:
        yield LIBRARY[0]
        raise RuntimeError("killed midway")

    with pytest.raises(RuntimeError):
        index.rebuild(folder, broken())
    assert live_build(folder) == live
    assert [p.name for p in folder.glob("build-*")] == [live.name]
    assert searcher.search(SearchRequest("stripe")).total == 1


def test_update_reindexes_changed_editions_and_drops_removed_ones(
    folder: Path, searcher: index.SearchIndex
) -> None:
    assert searcher.search(SearchRequest("stripe")).total == 1
    changed = dataclasses.replace(LIBRARY[0], title="Platforms ate the world", content_hash="new")
    documents = {changed.slug: changed, LIBRARY[1].slug: LIBRARY[1]}
    wanted = {changed.slug: "new", LIBRARY[1].slug: LIBRARY[1].content_hash}
    reindexed, removed = index.update(folder, wanted, lambda slugs: [documents[s] for s in slugs])
    assert (reindexed, removed) == (["platforms"], ["danger"])
    assert searcher.search(SearchRequest('"ate the world"')).total == 1
    assert searcher.search(SearchRequest("stakeholders")).total == 0
    assert index.update(folder, wanted, lambda slugs: []) == ([], [])


def test_many_updates_and_merges_never_duplicate_hits(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    library = many(40)
    index.rebuild(folder, library[:1])
    searcher = index.SearchIndex(folder, cache_size=0)
    by_slug = {doc.slug: doc for doc in library}
    for count in range(2, 41):
        wanted = {doc.slug: doc.content_hash for doc in library[:count]}
        index.update(folder, wanted, lambda slugs: [by_slug[s] for s in slugs])
        results = searcher.search(SearchRequest("common", page_size=100))
        assert results.total == 2 * count
        assert (
            len({(h.edition_slug, h.position) for h in results.hits})
            == len(results.hits)
            == min(2 * count, 100)
        )
    assert index.status(folder).editions == 40


def test_segments_stay_separate_files(folder: Path) -> None:
    """A compound segment (.seg) is read through a private copy of its postings per searcher."""
    changed = dataclasses.replace(LIBRARY[0], title="Platforms ate the world", content_hash="new")
    wanted = {doc.slug: doc.content_hash for doc in LIBRARY} | {changed.slug: "new"}
    index.update(folder, wanted, lambda slugs: [changed])
    names = [path.name for path in live_build(folder).iterdir()]
    assert any(name.endswith(".pst") for name in names)
    assert not [name for name in names if name.endswith(".seg")]


def test_status_counts_documents_and_knows_the_schema(folder: Path) -> None:
    found = index.status(folder)
    assert (found.editions, found.links, found.schema_version) == (3, 5, index.SCHEMA_VERSION)
    assert found.hashes == {doc.slug: doc.content_hash for doc in LIBRARY}


def test_no_index_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(index.IndexUnavailable, match="flask index rebuild"):
        index.SearchIndex(tmp_path / "nothing").search(SearchRequest("stripe"))
    with pytest.raises(index.IndexUnavailable):
        index.status(tmp_path / "nothing")


def test_a_pointer_to_a_missing_build_is_unavailable(folder: Path) -> None:
    (folder / "current").write_text("build-gone")
    with pytest.raises(index.IndexUnavailable, match="missing build"):
        index.SearchIndex(folder).search(SearchRequest("stripe"))


# Whoosh leaves a file open when a damaged TOC fails to load; collect it here, inside the filter.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("damage", ["truncate", "garble", "delete"])
def test_a_damaged_index_is_unavailable(folder: Path, damage: str) -> None:
    build = live_build(folder)
    for path in build.iterdir():
        if path.name == "meta.json" or path.is_dir():
            continue
        if damage == "delete":
            path.unlink()
        else:
            path.write_bytes(b"" if damage == "truncate" else b"\x00garbage" * 50)
    with pytest.raises(index.IndexUnavailable):
        index.SearchIndex(folder).search(SearchRequest("stripe"))
    gc.collect()


def test_a_second_writer_waits_then_gives_up(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("index.storage.WRITER_TIMEOUT_S", 0.2)
    with write_lock(folder), pytest.raises(index.IndexBusy):
        index.update(folder, {}, lambda slugs: [])
    assert index.update(folder, {d.slug: d.content_hash for d in LIBRARY}, lambda slugs: []) == (
        [],
        [],
    )


def test_facets_stay_right_across_segments_and_undated_editions(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    index.rebuild(folder, many(3))
    ix = whoosh_index.open_dir(str(live_build(folder)))
    for n in range(3):  # one unmerged segment each, all undated: their year column is empty
        writer = ix.writer()
        undated = edition(
            f"u{n}", f"Undated {n} about common", None, link("A common link", themes=("risk",))
        )
        for document in whoosh_documents(undated):
            writer.add_document(**document)
        writer.commit(merge=False)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 4
    ix.close()
    results = index.SearchIndex(folder).search(SearchRequest("common"))
    assert results.total == 12
    assert dict(results.facets["year"]) == {"2020": 6}
    assert dict(results.facets["theme"]) == {"risk": 3}
    assert dict(results.facets["source"]) == {"example-weekly": 6}


def test_an_index_of_another_schema_version_is_not_searched(folder: Path) -> None:
    meta = live_build(folder) / "meta.json"
    meta.write_text('{"schema_version": 1}')
    with pytest.raises(index.IndexUnavailable, match="schema version 1"):
        index.SearchIndex(folder).search(SearchRequest("stripe"))
    with pytest.raises(index.IndexUnavailable, match="flask index rebuild"):
        index.update(folder, {}, lambda slugs: [])
    assert index.status(folder).schema_version == 1


def test_threads_share_a_generations_columns_and_read_the_next_ones_afresh(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "index"
    library = many(4)
    index.rebuild(folder, library[:3])
    build = live_build(folder)
    ix = open_build(build)
    shared = SharedColumns()
    readers: list[Reader] = []
    threads = [
        threading.Thread(target=lambda: readers.append(Reader.open(build, ix, shared)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(readers) == 4
    assert len({id(reader.columns) for reader in readers}) == 1
    assert len(readers[0].days) == 6  # three editions, two documents each

    by_slug = {doc.slug: doc for doc in library}
    wanted = {doc.slug: doc.content_hash for doc in library}
    index.update(folder, wanted, lambda slugs: [by_slug[s] for s in slugs])
    newer = Reader.open(build, ix, shared)
    assert newer.generation > readers[0].generation
    assert newer.columns is not readers[0].columns
    assert len(newer.days) == 8
    assert dict(newer.facets["year"].counts(np.ones(8, dtype=np.bool_))) == {"2020": 8}
    assert len(readers[0].days) == 6  # a thread still on the old generation keeps its arrays
    for reader in [*readers, newer]:
        reader.close()


def test_a_rebuild_records_the_revision_it_reflects(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    index.rebuild(folder, LIBRARY)
    assert index.indexed_revision(folder) is None  # a caller that gives none
    index.rebuild(folder, LIBRARY, revision=7)
    assert index.indexed_revision(folder) == 7


@pytest.mark.parametrize(
    ("recorded", "given", "only_if_behind", "reindexed", "after"),
    [
        (None, 5, True, ["platforms"], 5),  # never recorded: behind
        (4, 5, True, ["platforms"], 5),
        (5, 5, True, [], 5),  # another process caught up first: nothing done
        (6, 5, True, [], 6),
        (5, 5, False, ["platforms"], 5),  # `flask index update` always compares
        (6, 5, False, ["platforms"], 6),  # and never lowers the recorded revision
        (4, None, False, ["platforms"], 4),
    ],
)
def test_update_records_the_revision_and_skips_when_caught_up(
    tmp_path: Path,
    recorded: int | None,
    given: int | None,
    only_if_behind: bool,
    reindexed: list[str],
    after: int | None,
) -> None:
    folder = tmp_path / "index"
    index.rebuild(folder, LIBRARY, revision=recorded)
    changed = dataclasses.replace(LIBRARY[0], content_hash="new")
    wanted = {doc.slug: doc.content_hash for doc in LIBRARY} | {changed.slug: "new"}
    load = lambda slugs: [changed for _ in slugs]  # noqa: E731
    assert index.update(folder, wanted, load, given, only_if_behind=only_if_behind) == (
        reindexed,
        [],
    )
    assert index.indexed_revision(folder) == after


def test_the_revision_of_an_index_of_another_schema_is_unavailable(folder: Path) -> None:
    (live_build(folder) / "meta.json").write_text('{"schema_version": 0, "revision": 3}')
    with pytest.raises(index.IndexUnavailable):
        index.indexed_revision(folder)


@pytest.mark.parametrize("age", [0.0, 30.0], ids=["just-written", "long-settled"])
def test_a_commit_is_seen_by_the_next_search_however_old_the_build(
    folder: Path, searcher: index.SearchIndex, age: float
) -> None:
    """The latest generation is listed again only when the build's folder changed: a folder
    untouched for a while is trusted, and a commit changes it."""
    build = live_build(folder)
    past = time.time() - age
    os.utime(build, (past, past))
    assert searcher.search(SearchRequest("zeppelin")).total == 0
    assert searcher.search(SearchRequest("zeppelin")).total == 0  # answered from what was kept
    added = edition("airships", "Zeppelin economics", dt.date(2024, 1, 1))
    wanted = {doc.slug: doc.content_hash for doc in [*LIBRARY, added]}
    index.update(folder, wanted, lambda _slugs: [added])
    assert searcher.search(SearchRequest("zeppelin")).total == 1
