"""`flask themes suggest [--apply]` on the editions in the database, imported from any form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from flask import Flask

from portal.editions.catalogue import load_catalogue
from portal.editions.records import Section
from portal.tagging.database import store_accepted
from portal.tagging.suggest import UntaggedLink
from tests.conftest import CATALOGUE_FILE, SHARED

INGEST = SHARED / "ingest"
SLUG = "will-platforms-conquer-the-world"
STRIPE = "Stripe: platform of platforms"


def invoke(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=input)


def imported(app: Flask, *forms: str) -> Flask:
    """Import these files of ../shared/ingest into the app's database."""
    result = invoke(app, "editions", "import", *(str(INGEST / form) for form in forms))
    assert result.exit_code == 0, result.output
    return app


def exported_links(app: Flask, folder: Path) -> list[dict[str, Any]]:
    """Return the curated links of the edition as `flask editions export` writes them."""
    assert invoke(app, "editions", "export", str(folder)).exit_code == 0
    front = (folder / f"{SLUG}.md").read_text().split("\n---\n", 1)[0]
    links: list[dict[str, Any]] = yaml.safe_load(front.removeprefix("---\n"))["curated"]
    return links


def api_search(app: Flask, query: str) -> dict[str, Any]:
    response = app.test_client().get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = json.loads(response.text)
    return found


@pytest.mark.parametrize("form", ["wordpress-page.html", "feed.rss", "export.wxr.xml"])
def test_suggest_lists_the_untagged_links_of_an_imported_edition(app: Flask, form: str) -> None:
    result = invoke(imported(app, form), "themes", "suggest")
    assert result.exit_code == 0, result.output
    assert f"edition {SLUG}: curated link 3, {STRIPE!r}\n    platforms (matched: " in result.output
    assert "themes proposed for" in result.output
    assert "[y/N]" not in result.output


def test_apply_stores_the_tags_and_every_reader_sees_them_at_once(
    app: Flask, tmp_path: Path
) -> None:
    imported(app, "wordpress-page.html")
    client = app.test_client()
    assert f"/editions/{SLUG}#link-3" not in client.get("/themes/platforms").text
    assert SLUG not in client.get("/themes/platforms/feed.xml").text
    assert "platforms" not in api_search(app, "stripe")["facets"].get("theme", {})
    result = invoke(app, "themes", "suggest", "--apply", "--yes")
    assert result.exit_code == 0, result.output
    assert "Tagged " in result.output
    assert "Search index: 1 editions re-indexed" in result.output
    assert f"/editions/{SLUG}#link-3" in client.get("/themes/platforms").text
    assert SLUG in client.get("/themes/platforms/feed.xml").text
    assert api_search(app, "stripe")["facets"]["theme"]["platforms"] >= 1
    titles = [hit["title"] for hit in api_search(app, "theme:platforms")["hits"]]
    assert STRIPE in titles
    assert "platforms" in exported_links(app, tmp_path / "out")[2]["themes"]
    assert invoke(app, "index", "check").exit_code == 0


def test_apply_asks_and_stores_only_the_accepted(app: Flask, tmp_path: Path) -> None:
    imported(app, "wordpress-page.html")
    asked = invoke(app, "themes", "suggest", "--apply", input="n\n" * 50).output.count("[y/N]")
    assert asked > 1
    result = invoke(app, "themes", "suggest", "--apply", input="y\n" + "n\n" * asked)
    assert result.exit_code == 0, result.output
    assert "Tagged 1 link in 1 edition" in result.output
    themes = [link.get("themes", []) for link in exported_links(app, tmp_path / "out")]
    assert sum(len(tags) for tags in themes) == 1


def test_a_second_apply_finds_nothing_more_to_store(app: Flask) -> None:
    imported(app, "wordpress-page.html")
    assert "Tagged " in invoke(app, "themes", "suggest", "--apply", "--yes").output
    again = invoke(app, "themes", "suggest", "--apply", "--yes")
    assert again.exit_code == 0, again.output
    assert "Tagged" not in again.output
    assert "themes proposed for 0." in again.output


@pytest.mark.parametrize("form", ["feed.rss", "export.wxr.xml", "wordpress-amp.html"])
def test_tags_survive_a_reimport_from_a_form_without_themes(
    app: Flask, tmp_path: Path, form: str
) -> None:
    imported(app, "wordpress-page.html")
    assert invoke(app, "themes", "suggest", "--apply", "--yes").exit_code == 0
    before = exported_links(app, tmp_path / "before")
    result = invoke(app, "editions", "import", str(INGEST / form))
    assert result.exit_code == 0, result.output
    assert exported_links(app, tmp_path / "after") == before
    assert "platforms" in before[2]["themes"]
    assert f"/editions/{SLUG}#link-3" in app.test_client().get("/themes/platforms").text


def test_a_link_changed_since_the_survey_is_not_tagged_and_nothing_is_written(
    app: Flask, tmp_path: Path
) -> None:
    imported(app, "wordpress-page.html")
    catalogue = load_catalogue(CATALOGUE_FILE)
    stale = UntaggedLink(SLUG, Section.CURATED, 1, "A headline it no longer has", ())
    fine = UntaggedLink(SLUG, Section.CURATED, 3, STRIPE, ())
    gone = UntaggedLink("no-such-edition", Section.CURATED, 1, "H", ())
    with app.app_context():
        report = store_accepted([(fine, "platforms"), (stale, "risk"), (gone, "risk")], catalogue)
    assert report.problems == [
        f"edition {SLUG}, curated link 1: now 'How AWS came to be', "
        "not 'A headline it no longer has'; run `flask themes suggest` again",
        "edition no-such-edition: no longer in the database; run `flask themes suggest` again",
    ]
    assert (report.links, report.changed) == (0, [])
    assert all(not link.get("themes") for link in exported_links(app, tmp_path / "out"))
