"""`flask themes suggest [--apply]` on edition files in a temp folder, and keyword matching."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from portal.demo.editions import write_demo_archive
from portal.editions.catalogue import load_catalogue
from portal.importing.files import read_edition_file
from portal.tagging.suggest import KeywordMatcher, Proposal
from tests.conftest import ARCHIVE, CATALOGUE_FILE, FIXTURES
from tests.support.builders import edition, link, write

BUNDLED = "will-platforms-conquer-the-world.md"
CATALOGUE = load_catalogue(CATALOGUE_FILE)


def suggest(runner: FlaskCliRunner, path: Path, *flags: str, input: str | None = None) -> Result:
    """Run `flask themes suggest --files PATH` with the flags."""
    return runner.invoke(args=["themes", "suggest", "--files", str(path), *flags], input=input)


def changes(before: str, after: str) -> list[str]:
    """Return the lines added (+) and removed (-) between two texts."""
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line.rstrip() for line in diff if line[:1] in "+-"]


def line_of(path: Path, text: str) -> int:
    """Return the number of the first line of the file containing the text."""
    lines = path.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Building an API for developers", [("platforms", ("api", "developers"))]),
        ("Rapid growth at Apigee", []),
        ("A risk-averse culture", [("risk", ("risk-averse",)), ("leadership", ("culture",))]),
        ("STAKEHOLDER buy-in", [("stakeholders", ("stakeholder", "buy-in"))]),
        ("Stripe\u2019s platform", [("platforms", ("platform", "stripe"))]),
        ("Nothing to see here", []),
    ],
)
def test_keywords_match_whole_words_in_any_case(
    text: str, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    proposals = KeywordMatcher(CATALOGUE).propose(text)
    assert proposals == tuple(Proposal(slug, words) for slug, words in expected)


def test_themes_with_more_matching_words_come_first() -> None:
    proposals = KeywordMatcher(CATALOGUE).propose("Team culture, and the risk of hiring")
    assert [p.slug for p in proposals] == ["leadership", "risk"]
    assert proposals[0].words == ("team", "hiring", "culture")


def test_suggest_lists_untagged_links_with_their_line_and_changes_nothing(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    edition_file = tmp_path / BUNDLED
    shutil.copy(ARCHIVE / BUNDLED, edition_file)
    result = suggest(runner, tmp_path)
    assert result.exit_code == 0, result.output
    line = line_of(edition_file, "- headline: The agency trap")
    assert f"{edition_file}:{line}: recent post 3, 'The agency trap'\n" in result.output
    assert "    leadership (matched: agency)\n" in result.output
    assert "1 link without a theme; themes proposed for 1." in result.output
    assert edition_file.read_bytes() == (ARCHIVE / BUNDLED).read_bytes()


def test_without_files_the_catalogues_folder_is_not_read(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    shutil.copy(CATALOGUE_FILE, tmp_path / "themes.yaml")
    write(tmp_path, edition("e", None, links=(link("Nothing matches", blurb="Hello."),)))
    app.config["THEMES_FILE"] = str(tmp_path / "themes.yaml")
    result = runner.invoke(args=["themes", "suggest"])
    assert result.exit_code == 0, result.output
    assert "e.md" not in result.output
    assert "0 links without a theme" in result.output


@pytest.fixture
def untagged(tmp_path: Path) -> Path:
    """Return a folder with one edition: two untagged links with proposals, one tagged link."""
    links = (
        link("Platform APIs", blurb="Developers first."),
        link("Tagged already", themes=("metrics",), blurb="Metric talk, and risk."),
        link("A roadmap", blurb="Planning without dates."),
    )
    return write(tmp_path / "editions", edition("e", "2021-06-07", links=links))


def test_apply_asks_about_each_proposal_and_writes_only_the_accepted(
    app: Flask, runner: FlaskCliRunner, untagged: Path
) -> None:
    path = untagged / "e.md"
    before = path.read_text()
    result = suggest(runner, untagged, "--apply", input="y\nn\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("[y/N]") == 2
    assert "Wrote themes for 1 link into 1 file" in result.output
    record = read_edition_file(path).record
    assert [lk.themes for lk in record.curated] == [("platforms",), ("metrics",), ()]
    assert changes(before, path.read_text()) == ["+   themes:", "+   - platforms"]
    assert runner.invoke(args=["editions", "import", str(path)]).exit_code == 0
    assert "/editions/e#link-1" in app.test_client().get("/themes/platforms").text


def test_apply_yes_accepts_every_proposal_and_a_second_run_finds_nothing(
    runner: FlaskCliRunner, untagged: Path
) -> None:
    result = suggest(runner, untagged, "--apply", "--yes")
    assert result.exit_code == 0, result.output
    assert "[y/N]" not in result.output
    assert "Wrote themes for 2 links into 1 file" in result.output
    record = read_edition_file(untagged / "e.md").record
    assert [lk.themes for lk in record.curated] == [("platforms",), ("metrics",), ("roadmaps",)]
    again = suggest(runner, untagged)
    assert "0 links without a theme" in again.output


def test_apply_keeps_the_demo_comment_and_everything_else(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    write_demo_archive(folder, 3, ["metrics", "risk"])
    before = {path: path.read_text() for path in folder.iterdir()}
    result = suggest(runner, folder, "--apply", "--yes")
    assert result.exit_code == 0, result.output
    assert "Wrote themes for" in result.output
    changed = [path for path, text in before.items() if path.read_text() != text]
    assert changed
    for path in changed:
        after = path.read_text()
        assert after.startswith("---\n# DEMO DATA: a synthetic edition")
        assert all(line.startswith("+ ") for line in changes(before[path], after)), path


def test_a_file_laid_out_by_hand_is_not_rewritten(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "hand.md"
    text = (
        "---\ntitle: By hand\ncurated:\n"
        "- {headline: Platform APIs, link_text: L, source: S}  # a comment\n---\nIntro.\n"
    )
    path.write_text(text)
    result = suggest(runner, path, "--apply", "--yes")
    assert result.exit_code == 1
    assert (
        f"error: {path}:4: not rewritten, the file is laid out differently from what "
        "`flask editions export` writes: add `themes: [platforms]` to this link by hand"
    ) in result.output
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("title: T\nthemes: [astrology]\ncurated:\n- {headline: H, link_text: L, source: S}\n", 3),
        ("title: T\ncurated:\n- headline: H\n  link_text: L\n  source: S\n  themes: [tarot]\n", 7),
    ],
    ids=["edition", "link"],
)
def test_an_unknown_theme_is_rejected_with_file_and_line(
    runner: FlaskCliRunner, tmp_path: Path, front: str, line: int
) -> None:
    path = tmp_path / "bad.md"
    path.write_text(f"---\n{front}---\n")
    for command in (["themes", "suggest", "--files"], ["editions", "import"]):
        result = runner.invoke(args=[*command, str(path)])
        assert result.exit_code == 1, command
        assert f"{path}:{line}: unknown theme '" in result.output, command
        assert "(not in the theme catalogue)" in result.output


def test_plain_text_files_are_skipped_and_missing_paths_reported(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    shutil.copy(FIXTURES / "plaintext" / "dated.txt", tmp_path / "dated.txt")
    result = suggest(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"skipped {tmp_path / 'dated.txt'}: plain text carries no themes" in result.output
    missing = suggest(runner, tmp_path / "nowhere")
    assert missing.exit_code == 1
    assert f"{tmp_path / 'nowhere'}:0: no such file or folder" in missing.output


def test_yes_without_apply_is_a_usage_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = suggest(runner, tmp_path, "--yes")
    assert result.exit_code == 2
    assert "--yes only makes sense with --apply" in result.output
