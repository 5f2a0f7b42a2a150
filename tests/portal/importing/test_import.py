"""`flask editions import`: the seed, idempotence, updates, and files that are refused whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from portal.db import get_session
from portal.models import Edition, Link, Source
from portal.queries import archive
from tests.conftest import ARCHIVE, FIXTURES, SEED

SEED_LINKS = [
    ("How AWS came to be", "A struggle with internal scaling", "Ron Miller", "TechCrunch"),
    (
        "The untold story of Stripe, the secretive $20bn startup driving Apple, Amazon and Facebook",
        "402 Payment Required",
        "Stephen Armstrong",
        "WIRED",
    ),
    ("Stripe: platform of platforms", "The power of platforms", "Ben Thompson", "Stratechery"),
    ("The insider story of Twilio", "Summary article / Full podcast episode", "Pete Flint", "NfX"),
]
SEED_POSTS = [
    "An exercise in stakeholder alignment",
    "The 4 unintended side-effects of risk aversion and what to do about them",
    "The agency trap",
]


def import_(runner: FlaskCliRunner, *paths: Path | str) -> tuple[int, str]:
    result = runner.invoke(args=["editions", "import", *map(str, paths)])
    return result.exit_code, result.output


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        session = get_session()
        return tuple(
            session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Edition, Link, Source)
        )  # type: ignore[return-value]


def test_the_seed_imports_every_field(app: Flask, runner: FlaskCliRunner) -> None:
    code, output = import_(runner, SEED)
    assert code == 0, output
    assert "1 added, 0 updated, 0 unchanged, 0 rejected" in output
    with app.app_context():
        edition = archive.get_edition(get_session(), "will-platforms-conquer-the-world")
        assert edition is not None
        assert edition.title == "Will platforms conquer the world?"
        assert edition.date is None
        assert len(edition.highlights) == 4
        assert edition.highlights[0].startswith("In solving their own internal scaling problem")
        assert edition.intro[0].startswith("I recently participated")
        assert edition.intro[-1].endswith("be the first to read it.")
        assert [
            (x.headline, x.link_text, x.author, x.source.name) for x in edition.curated
        ] == SEED_LINKS
        assert [x.position for x in edition.curated] == [1, 2, 3, 4]
        assert [x.headline for x in edition.recent_posts] == SEED_POSTS
        assert {(x.author, x.source.name) for x in edition.recent_posts} == {
            (None, "I Manage Products")
        }
        assert len(edition.curated[3].blurb) == 3
        assert all(x.url is None for x in edition.links)


def test_date_option_dates_an_undated_text(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["editions", "import", "--date", "2021-06-07", str(SEED)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        edition = archive.get_edition(get_session(), "will-platforms-conquer-the-world")
        assert edition is not None and str(edition.date) == "2021-06-07"


def test_bad_date_option_is_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["editions", "import", "--date", "7 June", str(SEED)])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output or "%Y-%m-%d" in result.output


def test_every_plaintext_fixture_imports(app: Flask, runner: FlaskCliRunner) -> None:
    fixtures = sorted((FIXTURES / "plaintext").glob("*.txt"))
    good = [path for path in fixtures if not path.name.startswith("bad")]
    assert len(good) >= 6
    code, output = import_(runner, *good)
    assert code == 0, output
    assert f"{len(good)} added" in output


def test_importing_twice_changes_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["editions", "demo", "--count", "5", str(tmp_path)])
    assert import_(runner, ARCHIVE, tmp_path)[0] == 0
    before = counts(app)
    with app.app_context():
        stamps = get_session().execute(select(Edition.slug, Edition.updated_at)).all()
    code, output = import_(runner, ARCHIVE, tmp_path)
    assert code == 0
    assert "0 added, 0 updated, 6 unchanged, 0 rejected" in output
    assert counts(app) == before
    with app.app_context():
        assert get_session().execute(select(Edition.slug, Edition.updated_at)).all() == stamps


def test_an_edited_file_updates_its_edition(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    edition_file = tmp_path / "edition.md"
    original = (ARCHIVE / "will-platforms-conquer-the-world.md").read_text()
    edition_file.write_text(original)
    import_(runner, edition_file)
    edition_file.write_text(
        original.replace("How AWS came to be", "How AWS began").replace(
            "date: null", "date: 2021-06-07"
        )
    )
    code, output = import_(runner, edition_file)
    assert code == 0 and "0 added, 1 updated" in output
    with app.app_context():
        edition = archive.get_edition(get_session(), "will-platforms-conquer-the-world")
        assert edition is not None
        assert edition.curated[0].headline == "How AWS began"
        assert str(edition.date) == "2021-06-07"
    assert counts(app)[1] == 7


BAD_FILES = {
    "no-title.txt": ("hello\n\nworld\n", None),
    "broken.md": ("---\ntitle: T\ncurated:\n- headline: H\n  link_text: L\n---\nIntro\n", 4),
    "unknown-theme.md": (
        "---\ntitle: T\ncurated:\n- headline: H\n  link_text: L\n  source: S\n  themes: [astrology]\n---\n",
        7,
    ),
    "latin1.txt": (b"PRODUCTHEAD: Caf\xe9\n".decode("latin-1"), 1),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_reported_with_its_line_and_nothing_is_written(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, name: str
) -> None:
    text, line = BAD_FILES[name]
    bad = tmp_path / name
    bad.write_bytes(text.encode("latin-1" if name == "latin1.txt" else "utf-8"))
    code, output = import_(runner, bad)
    assert code == 1
    assert f"{bad}:{line if line is not None else ''}" in output
    assert "0 added, 0 updated, 0 unchanged, 1 rejected" in output
    assert counts(app) == (0, 0, 0)


def test_good_files_import_beside_a_bad_one(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    shutil.copy(ARCHIVE / "will-platforms-conquer-the-world.md", tmp_path / "good.md")
    (tmp_path / "bad.md").write_text("---\ntitle: [\n---\n")
    code, output = import_(runner, tmp_path)
    assert code == 1
    assert "1 added, 0 updated, 0 unchanged, 1 rejected" in output
    assert counts(app)[0] == 1


def test_two_files_with_one_slug_are_not_both_imported(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    for name in ("a.md", "b.md"):
        shutil.copy(ARCHIVE / "will-platforms-conquer-the-world.md", tmp_path / name)
    code, output = import_(runner, tmp_path)
    assert code == 1
    assert (
        f"{tmp_path / 'b.md'}:1: slug 'will-platforms-conquer-the-world' is also used by" in output
    )


def test_a_missing_path_is_reported(runner: FlaskCliRunner, tmp_path: Path) -> None:
    code, output = import_(runner, tmp_path / "nowhere", ARCHIVE)
    assert code == 1
    assert "nowhere:0: no such file or folder" in output
    assert "1 added" in output


def test_readmes_and_other_files_in_a_folder_are_skipped(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    shutil.copy(ARCHIVE / "will-platforms-conquer-the-world.md", tmp_path / "edition.md")
    (tmp_path / "README.md").write_text("# Not an edition\n")
    (tmp_path / "notes.yaml").write_text("a: b\n")
    code, output = import_(runner, tmp_path)
    assert code == 0 and "1 added, 0 updated, 0 unchanged, 0 rejected" in output


def test_a_broken_theme_catalogue_stops_the_import(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    catalogue = tmp_path / "themes.yaml"
    catalogue.write_text("themes:\n- slug: Bad Slug\n  name: Bad\n  description: x\n")
    app.config["THEMES_FILE"] = str(catalogue)
    code, output = import_(runner, ARCHIVE)
    assert code == 1
    assert f"{catalogue}:2" in output
    assert counts(app) == (0, 0, 0)


def test_many_files_show_progress_and_one_summary(runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert runner.invoke(args=["editions", "demo", "--count", "12", str(tmp_path)]).exit_code == 0
    code, output = import_(runner, tmp_path)
    assert code == 0
    assert "Checking" in output and "Importing" in output
    assert (
        output.strip().splitlines()[-1] == "Imported: 12 added, 0 updated, 0 unchanged, 0 rejected."
    )
