"""The archive's pages: home, the archive by date, edition pages, and 404s in the layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import ARCHIVE
from tests.portal.importing.test_import import SEED_LINKS, SEED_POSTS

EDITION = "/editions/will-platforms-conquer-the-world"


def write_edition(folder: Path, slug: str, date: str | None) -> None:
    """Write a minimal edition file."""
    folder.mkdir(exist_ok=True)
    (folder / f"{slug}.md").write_text(
        f"---\nslug: {slug}\ntitle: Edition {slug}\ndate: {date or 'null'}\n"
        "curated:\n- {headline: H, link_text: L, source: S}\n---\nIntro.\n"
    )


@pytest.fixture
def dated(runner: FlaskCliRunner, tmp_path: Path) -> FlaskCliRunner:
    """Return a runner whose database holds 45 editions of 2021 and 2022, and 2 undated."""
    for n in range(45):
        write_edition(tmp_path, f"e{n:02d}", f"{2021 + n // 30}-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
    write_edition(tmp_path, "undated-a", None)
    write_edition(tmp_path, "undated-b", None)
    assert runner.invoke(args=["editions", "import", str(tmp_path)]).exit_code == 0
    return runner


def test_home_shows_the_latest_edition(client: FlaskClient, seeded: FlaskCliRunner) -> None:
    page = client.get("/").text
    assert "Will platforms conquer the world?" in page
    assert "In solving their own internal scaling problem" in page
    assert all(headline.replace("$", "$") in page for headline, *_ in SEED_LINKS)
    for target in ('href="/editions/"', 'href="/themes/"'):
        assert target in page


def test_home_without_editions_explains_what_to_do(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "flask editions import" in response.text


def test_edition_page_has_every_link_in_order(client: FlaskClient, seeded: FlaskCliRunner) -> None:
    page = client.get(EDITION).text
    ids = re.findall(r'<li id="(link-\d+)"', page)
    assert ids == ["link-1", "link-2", "link-3", "link-4"]
    for n, (headline, link_text, author, source) in enumerate(SEED_LINKS, 1):
        item = page.split(f'id="link-{n}"')[1].split("</li>")[0]
        for text in (headline, link_text, author, source):
            assert text in item
    for headline in SEED_POSTS:
        assert headline in page
    assert page.count('class="source">I Manage Products<') == 3
    assert "Date unknown" in page
    assert "I recently participated" in page


def test_edition_page_links_the_link_text_when_the_url_is_known(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    text = (ARCHIVE / "will-platforms-conquer-the-world.md").read_text()
    url = "https://techcrunch.com/2016/07/02/andy-jassys-brief-history-of-the-genesis-of-aws/"
    text = text.replace("  author: Ron Miller\n", f"  url: {url}\n  author: Ron Miller\n")
    (tmp_path / "e.md").write_text(text)
    runner.invoke(args=["editions", "import", str(tmp_path / "e.md")])
    page = client.get(EDITION).text
    assert f'<a href="{url}">A struggle with internal scaling</a>' in page
    assert (
        '<a href="'
        not in page.split('id="link-2"')[1].split('class="link-text"')[1].split("</p>")[0]
    )


def test_archive_lists_newest_first_in_pages_of_twenty(
    client: FlaskClient, dated: FlaskCliRunner
) -> None:
    first = client.get("/editions/").text
    assert "47 editions, page 1 of 3" in first
    assert first.count('class="edition-summary"') == 20
    dates = re.findall(r'datetime="([\d-]+)"', first)
    assert dates == sorted(dates, reverse=True)
    assert '<h2><a href="/editions/2022/' in first
    last = client.get("/editions/?page=3").text
    assert last.count('class="edition-summary"') == 7
    assert last.index("Edition undated-a") < last.index("Edition undated-b")
    assert "<h2>Date unknown</h2>" in last
    assert last.count("Date unknown") >= 2


def test_year_and_month_pages(client: FlaskClient, dated: FlaskCliRunner) -> None:
    year = client.get("/editions/2022/").text
    assert "Editions of 2022" in year and "15 editions" in year
    month = client.get("/editions/2021/06/")
    assert month.status_code == 200
    assert "June 2021" in month.text
    assert set(re.findall(r'datetime="(\d{4}-\d\d)', month.text)) == {"2021-06"}


def test_previous_and_next_editions_follow_archive_order(
    client: FlaskClient, dated: FlaskCliRunner
) -> None:
    archive = [
        re.findall(r'href="/editions/([\w-]+)"', client.get(f"/editions/?page={n}").text)
        for n in (1, 2, 3)
    ]
    order = [slug for page in archive for slug in page if slug.startswith(("e", "undated"))]
    assert len(order) == 47
    for newer, current, older in zip(order, order[1:], order[2:], strict=False):
        page = client.get(f"/editions/{current}").text
        assert f'rel="next" href="/editions/{newer}"' in page
        assert f'rel="prev" href="/editions/{older}"' in page
    assert 'rel="next"' not in client.get(f"/editions/{order[0]}").text
    assert 'rel="prev"' not in client.get(f"/editions/{order[-1]}").text


@pytest.mark.parametrize(
    "url",
    [
        "/editions/no-such-edition",
        "/editions/?page=4",
        "/editions/?page=0",
        "/editions/?page=-1",
        "/editions/?page=two",
        "/editions/?page=99999999999999999999",
        "/editions/2020/",
        "/editions/2021/13/",
        "/editions/2021/00/",
        "/editions/2021/6/",
        "/editions/0000/",
        "/editions/2021/06/?page=2",
        "/nowhere",
        "/themes/no-such-theme",
    ],
)
def test_unknown_pages_answer_404_in_the_layout(
    client: FlaskClient, dated: FlaskCliRunner, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert '<a class="site-name"' in response.text
    assert "There is no page at this address" in response.text


def test_an_unexpected_error_is_a_page_in_the_layout(app: Flask, client: FlaskClient) -> None:
    # (A database out of reach is a 503 instead: tests/portal/test_database_errors.py.)
    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    response = client.get("/broken")
    assert response.status_code == 500
    assert '<a class="site-name"' in response.text
    assert "a bug" not in response.text


def test_a_database_out_of_reach_is_a_503_page_in_the_layout(
    app: Flask, client: FlaskClient
) -> None:
    app.config["DATABASE_URL"] = "sqlite:////nonexistent-folder/portal.sqlite3"
    app.extensions.pop("portal.db", None)
    response = client.get("/editions/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert '<a class="site-name"' in response.text


def test_a_wrong_method_is_a_page_in_the_layout(client: FlaskClient) -> None:
    response = client.post("/editions/")
    assert response.status_code == 405
    assert '<a class="site-name"' in response.text
