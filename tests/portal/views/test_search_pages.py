"""/search, /search/help and /api/search over the bundled archive."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from portal import revision
from portal.db import write_transaction
from portal.models import Theme
from portal.search import index_folder
from tests.conftest import FIXTURES

PLATFORMS = "/editions/will-platforms-conquer-the-world"


@pytest.fixture
def indexed(seeded: FlaskCliRunner, client: FlaskClient) -> FlaskClient:
    """Return a client whose archive is imported and indexed (the import builds the index)."""
    return client


def test_stakeholder_finds_the_stakeholder_alignment_post(indexed: FlaskClient) -> None:
    page = indexed.get("/search?q=stakeholder").text
    assert "An exercise in stakeholder alignment" in page
    assert f'href="{PLATFORMS}?hl=stakeholder#post-1"' in page


def test_a_misspelling_suggests_the_word(indexed: FlaskClient) -> None:
    page = indexed.get("/search?q=stakholder").text
    assert "Did you mean" in page
    assert 'href="/search?q=stakeholder">stakeholder</a>' in page
    assert indexed.get("/api/search?q=stakholder").json["suggestion"] == "stakeholder"  # type: ignore[index]


def test_a_phrase_lands_on_the_exact_link(indexed: FlaskClient) -> None:
    page = indexed.get('/search?q="internal scaling"').text
    assert f'href="{PLATFORMS}?hl=internal+scaling#link-1"' in page
    assert "<mark>internal</mark>" in page or "<mark>scaling</mark>" in page


def test_source_field_finds_the_stripe_story(indexed: FlaskClient) -> None:
    hits = indexed.get("/api/search?q=source:wired").json["hits"]  # type: ignore[index]
    assert [hit["title"] for hit in hits] == [
        "The untold story of Stripe, the secretive $20bn startup driving Apple, Amazon and Facebook"
    ]


@pytest.mark.parametrize("q", ["*", "***", "-platforms", "x" * 201, " ".join(["w"] * 20)])
def test_queries_to_change_answer_400_with_a_message(indexed: FlaskClient, q: str) -> None:
    page = indexed.get("/search", query_string={"q": q})
    assert page.status_code == 400
    assert 'class="notice" role="alert"' in page.text
    api = indexed.get("/api/search", query_string={"q": q})
    assert api.status_code == 400
    assert api.json["error"] and api.json["status"] == 400  # type: ignore[index]


@pytest.mark.parametrize(
    "query",
    [
        "q=x&sort=oldest",
        "q=x&page=0",
        "q=x&page=abc",
        "q=x&year=21",
        "q=x&theme=Not%20A%20Slug",
        "q=x&source=%3Cb%3E",
    ],
)
def test_bad_parameters_answer_400(indexed: FlaskClient, query: str) -> None:
    assert indexed.get(f"/search?{query}").status_code == 400
    assert indexed.get(f"/api/search?{query}").status_code == 400


def test_the_api_without_a_query_is_400(indexed: FlaskClient) -> None:
    response = indexed.get("/api/search")
    assert response.status_code == 400
    assert "Type a word" in response.json["error"]  # type: ignore[index]


def test_a_renamed_theme_shows_its_new_name(app: Flask, indexed: FlaskClient) -> None:
    assert indexed.get("/api/search?q=platforms").json["names"]["theme"]["platforms"] == "Platforms"  # type: ignore[index]
    with app.app_context(), write_transaction() as session:
        session.scalars(select(Theme).where(Theme.slug == "platforms")).one().name = "Ecosystems"
        revision.advance(session)
    names = indexed.get("/api/search?q=platforms&page=1").json["names"]  # type: ignore[index]
    assert names["theme"]["platforms"] == "Ecosystems"


def test_the_json_has_the_documented_shape(indexed: FlaskClient) -> None:
    data = indexed.get("/api/search?q=platforms").json
    assert set(data) == {  # type: ignore[arg-type]
        *("query", "total", "page", "pages", "suggestion", "facets", "names", "hits")
    }
    assert (data["query"], data["page"], data["pages"]) == ("platforms", 1, 1)  # type: ignore[index]
    assert set(data["facets"]) == {"theme", "year", "source"}  # type: ignore[index]
    assert data["facets"]["theme"]["platforms"] >= 1  # type: ignore[index]
    assert data["names"]["theme"]["platforms"] == "Platforms"  # type: ignore[index]
    assert set(data["names"]["source"]) == set(data["facets"]["source"])  # type: ignore[index]
    assert data["names"]["source"]["stratechery"] == "Stratechery"  # type: ignore[index]
    assert data["total"] == len(data["hits"]) >= 2  # type: ignore[index]
    for hit in data["hits"]:  # type: ignore[index]
        assert set(hit) == {
            "kind",
            "title",
            "url",
            "edition",
            "source",
            "author",
            "themes",
            "snippet",
        }
        assert hit["kind"] in {"edition", "link"}
        assert set(hit["edition"]) == {"slug", "title", "date"}
        assert set(re.findall(r"</?(\w+)", hit["snippet"])) <= {"mark"}


def test_the_query_is_echoed_escaped(indexed: FlaskClient) -> None:
    page = indexed.get("/search", query_string={"q": '<script>alert("q")</script> stripe'}).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(" in page


def test_script_in_content_comes_out_escaped(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    text = (FIXTURES / "search" / "careers.md").read_text()
    (tmp_path / "careers.md").write_text(text)
    assert app.test_cli_runner().invoke(args=["editions", "import", str(tmp_path)]).exit_code == 0
    page = client.get("/search?q=script").text
    assert "<script>alert" not in page
    assert "&lt;<mark>script</mark>&gt;" in page
    hit = client.get("/api/search?q=script").json["hits"][0]  # type: ignore[index]
    assert "&lt;<mark>script</mark>&gt;" in hit["snippet"]


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [("/api/search?q=platforms", "application/json"), ("/search?q=platforms", "text/html")],
)
def test_a_kept_answer_goes_out_gzipped_to_a_client_that_accepts_it(
    indexed: FlaskClient, path: str, mimetype: str
) -> None:
    plain = indexed.get(path)
    for _ in range(2):  # made, then kept
        packed = indexed.get(path, headers={"Accept-Encoding": "gzip"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert packed.mimetype == plain.mimetype == mimetype
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data
    again = indexed.get(path)
    assert "Content-Encoding" not in again.headers and again.data == plain.data
    assert again.headers["Vary"] == plain.headers["Vary"] == "Accept-Encoding"


def test_a_kept_results_page_follows_the_index(
    app: Flask, indexed: FlaskClient, tmp_path: Path
) -> None:
    """A worker keeps the results page it rendered, until the index or the archive changes."""
    before = indexed.get("/search?q=script")
    rendered: list[str] = []

    def on_render(_app: Flask, template: Any, **_: object) -> None:
        rendered.append(template.name)

    with template_rendered.connected_to(on_render, app):
        assert indexed.get("/search?q=script").data == before.data
        assert indexed.get("/search?q=scripts").status_code == 200  # another page: rendered
    assert rendered == ["search/results.html"]
    text = (FIXTURES / "search" / "careers.md").read_text()
    (tmp_path / "careers.md").write_text(text)
    assert app.test_cli_runner().invoke(args=["editions", "import", str(tmp_path)]).exit_code == 0
    after = indexed.get("/search?q=script").text
    assert "&lt;<mark>script</mark>&gt;" in after and after != before.text


def test_facets_add_and_remove_filters(indexed: FlaskClient) -> None:
    page = indexed.get("/search?q=stakeholder OR risk").text
    assert 'href="/search?q=stakeholder+OR+risk&amp;theme=risk"' in page
    narrowed = indexed.get("/search?q=stakeholder OR risk&theme=risk").text
    assert "The 4 unintended side-effects" in narrowed
    assert "An exercise in stakeholder alignment" not in narrowed
    assert 'href="/search?q=stakeholder+OR+risk"' in narrowed  # the way back


def test_hits_are_grouped_by_edition(indexed: FlaskClient) -> None:
    page = indexed.get("/search?q=platforms").text
    assert page.count('class="hit-group"') == 1
    assert page.count('class="hit hit-') >= 2


def test_empty_results_suggest_what_to_try(indexed: FlaskClient) -> None:
    page = indexed.get("/search?q=zebra").text
    assert "Nothing in the archive matches" in page
    assert 'href="/themes/"' in page


def test_a_filter_alone_lists_what_it_matches(indexed: FlaskClient) -> None:
    page = indexed.get("/search?theme=stakeholders").text
    assert "An exercise in stakeholder alignment" in page


def test_a_page_past_the_end_is_404(indexed: FlaskClient) -> None:
    assert indexed.get("/search?q=platforms&page=2").status_code == 404


def test_help_page_documents_the_language(indexed: FlaskClient) -> None:
    page = indexed.get("/search/help").text
    for example in (
        '"internal scaling"',
        "OR",
        "-wired",
        "theme:",
        "source:",
        "author:",
        "year:",
        "in:intro",
        "in:links",
    ):
        assert example in page


def test_without_an_index_search_is_503_and_the_rest_works(
    app: Flask, indexed: FlaskClient
) -> None:
    with app.app_context():
        shutil.rmtree(index_folder())
    page = indexed.get("/search?q=platforms")
    assert page.status_code == 503
    assert "Search is unavailable" in page.text
    assert indexed.get("/api/search?q=platforms").status_code == 503
    for url in ("/", "/editions/", PLATFORMS, "/themes/", "/search/help", "/search"):
        assert indexed.get(url).status_code == 200, url


def test_every_page_has_the_header_search_box(indexed: FlaskClient) -> None:
    for url in ("/", "/editions/", PLATFORMS, "/themes/", "/nowhere"):
        assert 'class="header-search" action="/search"' in indexed.get(url).text
