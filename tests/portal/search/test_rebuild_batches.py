"""A rebuild reads the editions a batch at a time and its writers spill postings to disk past
a bound: every edition indexed once, whatever the batch, and the same index whatever the bound."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

import index.storage
from portal import search
from portal.db import get_session
from portal.search import adapter
from tests.support.builders import edition, import_editions

SLUGS = ("alpha", "bravo", "charlie", "delta", "echo")


# Batches of 2 end on a short batch (5 editions), an exact one (4), and none at all (0).
@pytest.mark.parametrize("count", [5, 4, 0])
def test_a_rebuild_in_small_batches_indexes_every_edition_once(
    app: Flask,
    runner: FlaskCliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    count: int,
) -> None:
    records = [edition(slug, "2022-01-03") for slug in SLUGS[:count]]
    if records:
        import_editions(runner, tmp_path / "editions", *records)
    monkeypatch.setattr(adapter, "BATCH", 2)
    with app.app_context():
        session = get_session()
        slugs = [document.slug for document in adapter.all_edition_documents(session)]
        documents = search.rebuild_index(session)
        assert search.check_index(session) == []
    assert slugs == sorted(SLUGS[:count])
    assert documents == 2 * count  # each edition and its one link


def postings_by_key(folder: Path) -> dict[tuple[str, bytes], list[tuple[str, bytes]]]:
    """Return every term's postings in the live build, documents named by their key."""
    _build, ix = index.storage.open_live(folder)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        keys = {n: fields["key"] for n, fields in enumerate(reader.all_stored_fields())}
        found = {
            (name, term): sorted(
                (keys[n], value) for n, value in reader.postings(name, term).all_items()
            )
            for name, term in reader.all_terms()
        }
    ix.close()
    return found


def test_writers_spilling_postings_to_disk_build_the_same_index(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(args=["editions", "demo", "--count", "40", str(tmp_path)]).exit_code == 0
    assert runner.invoke(args=["editions", "import", str(tmp_path)]).exit_code == 0
    with app.app_context():
        folder = search.index_folder()
        built: list[dict[tuple[str, bytes], list[tuple[str, bytes]]]] = []
        for pool_mb in (128, 1):  # all in memory; a run on disk every 1 MB of postings
            monkeypatch.setattr(index.storage, "WRITER_POOL_MB", pool_mb)
            search.rebuild_index(get_session())
            built.append(postings_by_key(folder))
    assert len(built[0]) > 5_000 and built[0] == built[1]
