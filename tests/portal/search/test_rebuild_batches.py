"""A rebuild reads the editions a batch at a time: every edition indexed once, whatever the batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

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
