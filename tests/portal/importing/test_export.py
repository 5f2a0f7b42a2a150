"""`flask editions export` and `flask editions demo`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask

from portal.db import get_session
from portal.demo.editions import DEMO_COMMENT, demo_editions
from portal.editions.store import all_edition_records
from portal.importing.files import read_edition_file
from tests.conftest import ARCHIVE, FIXTURES, AppFactory


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_export_then_import_into_an_empty_database_reproduces_it(
    make_app: AppFactory, tmp_path: Path
) -> None:
    first, second = make_app(), make_app()
    run(first, "editions", "demo", "--count", "25", str(tmp_path / "demo"))
    plaintext = [
        str(p)
        for p in sorted((FIXTURES / "plaintext").glob("*.txt"))
        if not p.name.startswith("bad")
    ]
    run(first, "editions", "import", str(ARCHIVE), str(tmp_path / "demo"), *plaintext)
    assert "Exported" in run(first, "editions", "export", str(tmp_path / "one"))
    run(second, "editions", "import", str(tmp_path / "one"))
    run(second, "editions", "export", str(tmp_path / "two"))
    with first.app_context():
        records = all_edition_records(get_session())
    with second.app_context():
        assert all_edition_records(get_session()) == records
    assert len(records) == 26 + len(plaintext)
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert one == two


def test_the_bundled_archive_exports_as_it_is_committed(app: Flask, tmp_path: Path) -> None:
    run(app, "editions", "import", str(ARCHIVE))
    run(app, "editions", "export", str(tmp_path))
    name = "will-platforms-conquer-the-world.md"
    assert (tmp_path / name).read_text() == (ARCHIVE / name).read_text()


def test_demo_archive_is_deterministic_and_marked(app: Flask, tmp_path: Path) -> None:
    run(app, "editions", "demo", "--count", "40", str(tmp_path / "a"))
    run(app, "editions", "demo", "--count", "40", str(tmp_path / "b"))
    files = sorted((tmp_path / "a").iterdir())
    assert len(files) == 40
    assert all(f.read_bytes() == (tmp_path / "b" / f.name).read_bytes() for f in files)
    assert all(f.name.startswith("demo-") and "# DEMO DATA" in f.read_text() for f in files)
    assert all(read_edition_file(f).record.slug.startswith("demo-") for f in files)


def test_demo_editions_have_realistic_sizes() -> None:
    records = list(demo_editions(300, ["platforms", "risk", "stakeholders", "metrics"]))
    assert len({r.slug for r in records}) == 300
    assert all(4 <= len(r.curated) <= 8 for r in records)
    blurbs = [p for r in records for _s, _n, link in r.links() for p in link.blurb]
    assert all(30 <= len(p.split()) <= 80 for p in blurbs)
    assert all(1 <= len(r.themes) <= 3 for r in records)
    years = {r.date.year for r in records if r.date}
    assert min(years) <= 2015 and max(years) >= 2025
    assert DEMO_COMMENT.startswith("DEMO DATA")
    assert any(r.date is None for r in records)
    assert all(r.date is None or r.date <= dt.date.today() for r in records)
