"""Importing the published forms of editions (WordPress page, AMP page, RSS feed, WXR export)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from portal.editions import paragraphs
from tests.conftest import ARCHIVE, AppFactory
from tests.conftest import SHARED as SHARED_ROOT

SHARED = SHARED_ROOT / "ingest"
EXPECTED = {p.stem: json.loads(p.read_text()) for p in sorted((SHARED / "expected").glob("*.json"))}
FORMS = ["wordpress-page.html", "wordpress-amp.html", "feed.rss", "export.wxr.xml"]


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def fold(text: str) -> str:
    return " ".join(text.split())


def exported(app: Flask, folder: Path) -> dict[str, dict[str, Any]]:
    code, output = invoke(app, "editions", "export", str(folder))
    assert code == 0, output
    return {p.stem: _front(p) for p in folder.glob("*.md")}


def _front(path: Path) -> dict[str, Any]:
    text = path.read_text()
    front, body = text.split("\n---\n", 1)
    data: dict[str, Any] = yaml.safe_load(front.removeprefix("---\n"))
    data["intro"] = [p for p in body.split("\n\n") if p.strip()]
    return data


def _link(got: dict[str, Any]) -> dict[str, Any]:
    return {
        "headline": fold(got["headline"]),
        "blurb": [fold(paragraphs.plain_text(p)) for p in got.get("blurb", [])],
        "link_text": fold(got["link_text"]),
        "url": got.get("url"),
        "author": got.get("author"),
        "source": got["source"],
    }


def _expected_link(want: dict[str, Any]) -> dict[str, Any]:
    return {**want, "blurb": [fold(p) for p in want["blurb"]], "headline": fold(want["headline"])}


@pytest.mark.parametrize("form", FORMS)
def test_each_form_imports_as_expected(make_app: AppFactory, tmp_path: Path, form: str) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "import", str(SHARED / form))
    assert code == 0, output
    editions = exported(app, tmp_path / "out")
    wanted = {slug: e for slug, e in EXPECTED.items() if form in e["found_in"]}
    assert set(editions) == set(wanted)
    for slug, want in wanted.items():
        got = editions[slug]
        assert got["title"] == want["title"]
        assert str(got["date"]) == want["date"]
        assert [fold(h) for h in got["highlights"]] == [fold(h) for h in want["highlights"]]
        assert [fold(paragraphs.plain_text(p)) for p in got["intro"]] == [
            fold(p) for p in want["intro"]
        ]
        assert [_link(g) for g in got["curated"]] == [_expected_link(w) for w in want["curated"]]
        recent = got.get("recent_posts", [])
        assert [_link(g) for g in recent] == [_expected_link(w) for w in want["recent_posts"]]


def test_every_form_gives_one_edition_and_a_second_run_changes_nothing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "import", *(str(SHARED / f) for f in FORMS))
    assert code == 0, output
    assert "Imported: 3 added, 0 updated" in output
    assert (
        "skipped: 'Five questions to ask before you write a single user story' (not an edition)"
        in output
    )
    # The four forms again (the folder also holds wild/, files of other projects: see
    # test_wild_files.py).
    code, output = invoke(app, "editions", "import", *(str(SHARED / f) for f in FORMS))
    assert code == 0, output
    assert "Imported: 0 added, 0 updated" in output and "0 rejected" in output
    assert len(exported(app, tmp_path / "out")) == 3


def test_exported_markdown_imports_back_byte_identical(
    make_app: AppFactory, tmp_path: Path
) -> None:
    first, second = make_app(), make_app()
    assert invoke(first, "editions", "import", str(SHARED / "export.wxr.xml"))[0] == 0
    exported(first, tmp_path / "one")
    assert (
        "guid: https://example.org/?p=7398"
        in (tmp_path / "one" / "will-platforms-conquer-the-world.md").read_text()
    )
    assert invoke(second, "editions", "import", str(tmp_path / "one"))[0] == 0
    exported(second, tmp_path / "two")
    for path in (tmp_path / "one").iterdir():
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes()
    # The Markdown form maps onto the same edition as the page.
    code, output = invoke(second, "editions", "import", str(SHARED / "wordpress-page.html"))
    assert code == 0 and "0 added, 0 updated, 1 unchanged" in output, output


def test_the_edition_page_links_every_curated_link_to_its_exact_address(
    make_app: AppFactory,
) -> None:
    app = make_app()
    assert invoke(app, "editions", "import", *(str(SHARED / f) for f in FORMS))[0] == 0
    for slug, edition in EXPECTED.items():
        page = app.test_client().get(f"/editions/{slug}").get_data(as_text=True)
        for link in edition["curated"] + edition["recent_posts"]:
            href = link["url"].replace("&", "&amp;")
            assert f'<a href="{href}">' in page, (slug, href)


@pytest.mark.parametrize(
    "old_path",
    [
        "/producthead-will-platforms-conquer-the-world/",
        "/producthead-will-platforms-conquer-the-world",
        "/producthead-will-platforms-conquer-the-world/amp/",
    ],
)
def test_an_old_wordpress_address_answers_301_to_the_edition(
    make_app: AppFactory, old_path: str
) -> None:
    app = make_app()
    assert invoke(app, "editions", "import", str(SHARED / "wordpress-amp.html"))[0] == 0
    response = app.test_client().get(old_path)
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/editions/will-platforms-conquer-the-world")
    assert app.test_client().get("/producthead-something-else/").status_code == 404


def test_a_page_import_keeps_the_link_themes_of_an_edition_without_addresses(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    seed = tmp_path / "seed.md"
    text = (ARCHIVE / "will-platforms-conquer-the-world.md").read_text()
    # The edition as it was before its addresses were known: no date, no urls.
    seed.write_text(
        "\n".join(
            line
            for line in text.split("\n")
            if not line.startswith(("  url:", "guid:", "permalink:"))
        )
    )
    assert invoke(app, "editions", "import", str(seed))[0] == 0
    code, output = invoke(app, "editions", "import", str(SHARED / "wordpress-page.html"))
    assert code == 0 and "0 added, 1 updated" in output, output
    got = exported(app, tmp_path / "out")["will-platforms-conquer-the-world"]
    assert got["themes"] == ["platforms"]
    assert [link.get("themes") for link in got["recent_posts"]] == [
        ["stakeholders"],
        ["risk"],
        None,
    ]
    assert got["curated"][0]["url"].startswith("https://techcrunch.com/")
