"""A host's index catching up by itself with what another process wrote to the database.

The writes here leave out the importer's index update, as an import on another host
does: the database's revision moves, this host's index stays behind until it catches up.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

import index.storage
from portal import search
from portal.db import get_session
from portal.editions.catalogue import load_catalogue
from portal.importing.run import validate_files, write_editions
from portal.search import adapter
from tests.support.builders import edition, link, write

DEADLINE = 10.0  # seconds a host may take to find another host's edition
FRESH = edition("zanzibar", "2022-01-03", (link("A quixotic zeppelin over the archive"),))


def write_elsewhere(app: Flask, folder: Path, *records: object) -> None:
    """Store editions as another host's import would, leaving this host's index alone."""
    files = sorted(write(folder, *records).iterdir())  # type: ignore[arg-type]
    with app.app_context():
        catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))
        good, report = validate_files(files, {t.slug for t in catalogue}, None, lambda _n: None)
        write_editions(good, catalogue, report)
    assert report.added + report.updated == len(records)


def found(client: FlaskClient, words: str, slug: str) -> bool:
    """Return whether /search answers 200 with a result on the edition `slug`."""
    response = client.get(f"/search?q={words}")
    assert response.status_code == 200, response.text
    return f"/editions/{slug}" in response.text


def poll(client: FlaskClient, words: str, slug: str) -> bool:
    """Return whether the edition turns up in search before the deadline."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if found(client, words, slug):
            return True
        time.sleep(0.1)
    return False


def test_a_search_request_starts_the_catch_up(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    write_elsewhere(app, tmp_path / "elsewhere", FRESH)
    assert poll(client, "zeppelin", "zanzibar")
    with app.app_context():
        assert search.check_index(get_session()) == []
    assert client.get("/healthz").json["status"] == "ok"  # type: ignore[index]


def test_searches_answer_from_the_old_index_while_another_writer_holds_it(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        folder = search.index_folder()
    with index.storage.write_lock(folder):  # another process (a timer's update) is writing
        write_elsewhere(app, tmp_path / "elsewhere", FRESH)
        for _ in range(5):
            assert found(client, "platforms", "will-platforms-conquer-the-world")
            assert not found(client, "zeppelin", "zanzibar")
            time.sleep(0.1)
    assert poll(client, "zeppelin", "zanzibar")


def test_a_host_without_an_index_leaves_it_to_the_rebuild(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    write_elsewhere(app, tmp_path / "elsewhere", FRESH)
    assert client.get("/").status_code == 200
    time.sleep(0.5)
    with app.app_context():
        assert not search.index_folder().exists()


@pytest.mark.parametrize("racers", [2, 4])
def test_workers_catching_up_at_once_build_it_once(
    app: Flask, seeded: FlaskCliRunner, tmp_path: Path, racers: int
) -> None:
    """Every worker of a host sees the index behind at the same moment; the index's writer
    lock lets one update it, and the others find it already there."""
    records = [edition(f"fresh-{n}", "2022-01-03", (link(f"Zeppelin number {n}"),)) for n in "abc"]
    write_elsewhere(app, tmp_path / "elsewhere", *records)
    gate = threading.Barrier(racers)
    outcomes: list[tuple[list[str], list[str]]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                session = get_session()
                gate.wait()
                outcomes.append(adapter.catch_up(session))
        except BaseException as error:  # reported below, on the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [([], [])] * (racers - 1) + [(["fresh-a", "fresh-b", "fresh-c"], [])]
    client = app.test_client()
    page = client.get("/search?q=zeppelin").text
    for record in records:
        assert page.count(f">{record.title}</a></h2>") == 1
    with app.app_context():  # counts every edition and link document: none twice
        assert search.check_index(get_session()) == []
