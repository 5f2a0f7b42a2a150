"""Theme pages: the catalogue with counts, one theme's editions and links by page, and 404s."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import CATALOGUE_FILE, AppFactory
from tests.portal.importing.test_import import SEED_LINKS
from tests.support.builders import edition, import_editions, link

EDITION = "/editions/will-platforms-conquer-the-world"


def test_the_theme_list_has_every_theme_with_its_counts(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/themes/").text
    for theme, counts in [
        ("platforms", "1 edition, 4 links"),
        ("stakeholders", "0 editions, 1 link"),
        ("risk", "0 editions, 1 link"),
        ("roadmaps", "0 editions, 0 links"),
    ]:
        item = page.split(f'href="/themes/{theme}"')[1].split("</li>")[0]
        assert counts in item


def test_a_theme_page_shows_the_edition_and_its_four_curated_links(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/themes/platforms").text
    assert "Products that other people build on" in page
    assert f'<h3><a href="{EDITION}">Will platforms conquer the world?</a></h3>' in page
    assert "the whole edition is about platforms" in page
    links = page.split('<ul class="theme-links"')[1].split("</ul>")[0]
    targets = re.findall(r'<li><a href="([^"]+)">', links)
    assert targets == [f"{EDITION}#link-{n}" for n in (1, 2, 3, 4)]
    for headline, _text, author, source in SEED_LINKS:
        item = page.split(f">{headline.replace('$', '$')}</a>")[1].split("</li>")[0]
        assert f"{author} / " in item and f">{source}</a>" in item
        assert "in Will platforms conquer the world?" not in item  # the heading says it once


def test_a_link_tagged_in_an_untagged_edition_is_shown_with_its_post_anchor(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/themes/stakeholders").text
    assert f'<a href="{EDITION}#post-1">An exercise in stakeholder alignment</a>' in page
    assert "the whole edition is about" not in page
    assert "The agency trap" not in page and "How AWS came to be" not in page


def test_a_theme_page_has_a_search_box_within_the_theme(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/themes/risk").text
    forms = [part.split("</form>")[0] for part in page.split("<form")[1:]]
    form = next(form for form in forms if 'id="theme-q"' in form)  # not the header's search box
    assert 'action="/search"' in form and 'method="get"' in form
    assert '<input type="hidden" name="theme" value="risk">' in form
    assert re.search(r'<input type="search" id="theme-q" name="q"', form)
    assert '<label for="theme-q">' in form


def test_chips_on_edition_pages_link_to_theme_pages(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get(EDITION).text
    chips = set(re.findall(r'<a class="chip" href="(/themes/[\w-]+)"', page))
    assert chips == {"/themes/platforms", "/themes/stakeholders", "/themes/risk"}
    assert all(client.get(chip).status_code == 200 for chip in chips)


@pytest.fixture
def paged(make_app: AppFactory, tmp_path: Path) -> Flask:
    """Return an app showing 2 editions a page, holding 5 editions on the 'risk' theme."""
    app = make_app(EDITIONS_PER_PAGE=2)
    import_editions(
        app.test_cli_runner(),
        tmp_path / "editions",
        edition("r2019", "2019-03-01", themes=("risk",)),
        edition("r2020a", "2020-01-10", links=(link("Tagged", themes=("risk",)), link("Not"))),
        edition("r2020b", "2020-05-10", themes=("risk",), links=(link("Also", themes=("risk",)),)),
        edition("r-undated", None, themes=("risk",)),
        edition("r2021", "2021-07-01", links=(link("One", themes=("risk",)),)),
        edition("other", "2022-01-01", themes=("metrics",)),
    )
    return app


def test_a_theme_is_paged_newest_first_with_undated_editions_last(paged: Flask) -> None:
    client = paged.test_client()
    order = [
        re.findall(r'<h3><a href="/editions/([\w-]+)">', client.get(f"/themes/risk?page={n}").text)
        for n in (1, 2, 3)
    ]
    assert order == [["r2021", "r2020b"], ["r2020a", "r2019"], ["r-undated"]]
    assert "page 2 of 3" in client.get("/themes/risk?page=2").text
    assert 'rel="next" href="/themes/risk?page=3"' in client.get("/themes/risk?page=2").text


def test_a_theme_counts_its_editions_and_links_per_year(paged: Flask) -> None:
    page = paged.test_client().get("/themes/risk").text
    chart = page.split('<figure class="year-chart">')[1].split("</figure>")[0]
    bars = re.findall(r'<li class="bar-(\d+)">.*?"visually-hidden">([^<]+)</span>', chart)
    assert (
        bars
        == [  # oldest first, undated last; heights in tenths of the busiest year, rounded up
            ("4", "2019: 1 edition and 0 links"),
            ("10", "2020: 1 edition and 2 links"),
            ("4", "2021: 0 editions and 1 link"),
            ("4", "Date unknown: 1 edition and 0 links"),
        ]
    )
    assert "3 editions and 3 links tagged" in page


@pytest.mark.parametrize(
    "url",
    [
        "/themes/no-such-theme",
        "/themes/risk?page=4",
        "/themes/risk?page=0",
        "/themes/risk?page=x",
        "/themes/metrics?page=2",
        "/themes/no-such-theme/feed.xml",
        "/themes/no-such-theme/feed.json",
    ],
)
def test_unknown_themes_and_pages_past_the_end_answer_404(paged: Flask, url: str) -> None:
    response = paged.test_client().get(url)
    assert response.status_code == 404
    assert "There is no page at this address" in response.text


def test_an_empty_theme_has_one_page_saying_so(client: FlaskClient, seeded: FlaskCliRunner) -> None:
    response = client.get("/themes/roadmaps")
    assert response.status_code == 200
    assert "Nothing is tagged with this theme yet." in response.text
    assert client.get("/themes/roadmaps?page=2").status_code == 404


def test_the_editor_adds_a_theme_without_code_changes(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    catalogue = tmp_path / "themes.yaml"
    catalogue.write_text(
        (CATALOGUE_FILE).read_text()
        + "  - slug: pricing\n    name: Pricing\n"
        + "    description: What to charge, and how.\n    keywords: [pricing, price]\n"
    )
    app.config["THEMES_FILE"] = str(catalogue)
    import_editions(runner, tmp_path / "editions", edition("p", "2021-01-01", themes=("pricing",)))
    client = app.test_client()
    assert 'href="/themes/pricing">Pricing</a>' in client.get("/themes/").text
    page = client.get("/themes/pricing").text
    assert "What to charge, and how." in page and "Edition p" in page
