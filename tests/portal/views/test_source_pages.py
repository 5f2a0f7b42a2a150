"""Source pages, "also featured in" for urls in several editions, and related editions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import AppFactory
from tests.support.builders import edition, import_editions, link

STRIPE = (
    "The untold story of Stripe, the secretive $20bn startup driving Apple, Amazon and Facebook"
)
SHARED = "https://example.com/shared-story"


def test_the_source_list_puts_the_most_featured_first(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/sources/").text
    listed = re.findall(
        r'<li><a href="/sources/([\w-]+)">[^<]+</a> <span class="count">([^<]+)<', page
    )
    assert listed == [
        ("i-manage-products", "3 links"),
        ("nfx", "1 link"),
        ("stratechery", "1 link"),
        ("techcrunch", "1 link"),
        ("wired", "1 link"),
    ]


def test_a_source_page_shows_its_links_with_their_editions(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/sources/wired").text
    assert "<h1>WIRED</h1>" in page
    assert f'<a href="/editions/will-platforms-conquer-the-world#link-2">{STRIPE}</a>' in page
    assert "Stephen Armstrong" in page and "402 Payment Required" in page
    assert 'in <a href="/editions/will-platforms-conquer-the-world">' in page
    assert "How AWS came to be" not in page


def test_links_from_one_edition_name_it_once(client: FlaskClient, seeded: FlaskCliRunner) -> None:
    page = client.get("/sources/i-manage-products").text
    assert page.count('in <a href="/editions/will-platforms-conquer-the-world">') == 1
    assert page.count("the same edition</p>") == 2
    hidden = '<span class="visually-hidden">in Will platforms conquer the world?, </span>'
    assert page.count(hidden) == 2  # still said to screen readers, link by link


def test_bylines_on_edition_pages_link_to_source_pages(
    client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    page = client.get("/editions/will-platforms-conquer-the-world").text
    assert '<a href="/sources/wired" class="source">WIRED</a>' in page


@pytest.fixture
def shared(make_app: AppFactory, tmp_path: Path) -> Flask:
    """Return an app (2 links a page) whose editions feature one url three times, in two editions."""
    app = make_app(LINKS_PER_PAGE=2)
    import_editions(
        app.test_cli_runner(),
        tmp_path / "editions",
        edition("first", "2020-01-01", links=(link("Shared story", url=SHARED), link("Other"))),
        edition(
            "second", "2021-01-01", links=(link("Once", source="NfX"), link("Again", url=SHARED))
        ),
        edition("third", "2022-01-01", links=(link("Unrelated", url="https://example.com/x"),)),
    )
    return app


def test_a_url_in_several_editions_shows_also_featured_in(shared: Flask) -> None:
    client = shared.test_client()
    first = client.get("/editions/first").text
    item = first.split('id="link-1"')[1].split("</li>")[0]
    assert 'Also featured in <a href="/editions/second#link-2">Edition second</a>' in item
    assert "Also featured in" not in first.split('id="link-2"')[1]
    second = client.get("/editions/second").text.split('id="link-2"')[1].split("</li>")[0]
    assert '<a href="/editions/first#link-1">Edition first</a>' in second
    assert "Also featured in" not in client.get("/editions/third").text


def test_a_source_page_shows_also_featured_in_for_each_appearance(shared: Flask) -> None:
    client = shared.test_client()
    page = client.get("/sources/wired").text
    assert "4 links, newest first; page 1 of 2" in page
    assert re.findall(r'<h2><a href="/editions/([\w#-]+)">', page) == [
        "third#link-1",
        "second#link-2",
    ]
    assert page.count("Also featured in") == 1
    assert 'Also featured in <a href="/editions/first#link-1">' in page
    older = client.get("/sources/wired?page=2").text
    assert 'Also featured in <a href="/editions/second#link-2">' in older


@pytest.mark.parametrize(
    "url", ["/sources/no-such-source", "/sources/wired?page=3", "/sources/wired?page=0"]
)
def test_unknown_sources_and_pages_past_the_end_answer_404(shared: Flask, url: str) -> None:
    response = shared.test_client().get(url)
    assert response.status_code == 404
    assert "There is no page at this address" in response.text


def test_a_source_left_without_links_is_not_listed(shared: Flask, tmp_path: Path) -> None:
    import_editions(shared.test_cli_runner(), tmp_path / "again", edition("second", "2021-01-01"))
    client = shared.test_client()
    assert "/sources/nfx" not in client.get("/sources/").text
    assert client.get("/sources/nfx").status_code == 404


def related(client: FlaskClient, slug: str) -> list[str]:
    page = client.get(f"/editions/{slug}").text
    if 'class="related"' not in page:
        return []
    section = page.split('class="related"')[1].split("</section>")[0]
    return re.findall(r'href="/editions/([\w-]+)"', section)


def test_related_editions_rank_by_shared_themes_then_sources(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    import_editions(
        runner,
        tmp_path,
        edition("me", "2021-06-01", themes=("risk", "metrics"), links=(link("A", source="NfX"),)),
        edition(
            "two-themes", "2019-01-01", themes=("risk",), links=(link("B", themes=("metrics",)),)
        ),
        edition("one-theme", "2020-01-01", themes=("metrics",)),
        edition("source-only", "2021-01-01", links=(link("C", source="NfX"),)),
        edition("newer-one-theme", "2021-05-01", links=(link("D", themes=("risk",)),)),
        edition("nothing", "2021-07-01", links=(link("E", source="Stratechery"),)),
    )
    client = app.test_client()
    assert related(client, "me") == ["two-themes", "newer-one-theme", "one-theme"]
    assert related(client, "source-only") == ["me"]
    assert related(client, "nothing") == []


def test_posts_from_the_editors_own_site_do_not_make_editions_related(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    post = link("Own post", source="I Manage Products")
    import_editions(
        runner,
        tmp_path,
        edition("a", "2021-01-01", posts=(post,)),
        edition("b", "2021-02-01", posts=(post,), links=(link("X", source="NfX"),)),
    )
    assert related(app.test_client(), "a") == []
