"""Landing on a result: search links carry `?hl=`, and the edition page marks those words."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import FIXTURES

PLATFORMS = "/editions/will-platforms-conquer-the-world"
CAREERS = "/editions/product-careers"


class Tags(HTMLParser):
    """Collect every attribute value and the text of every <mark>."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[str] = []
        self.marked: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [value or "" for _name, value in attrs]
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        self._in_mark = False

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marked.append(data)


def parsed(page: str) -> Tags:
    """Return the page's attribute values and marked words."""
    tags = Tags()
    tags.feed(page)
    return tags


@pytest.fixture
def careers(app: Flask, seeded: FlaskCliRunner, tmp_path: Path) -> FlaskClient:
    """Return a client over the archive plus the careers fixture (accents and markup)."""
    (tmp_path / "careers.md").write_text((FIXTURES / "search" / "careers.md").read_text())
    assert seeded.invoke(args=["editions", "import", str(tmp_path)]).exit_code == 0
    return app.test_client()


def test_an_edition_without_hl_marks_nothing(careers: FlaskClient) -> None:
    assert "<mark>" not in careers.get(PLATFORMS).text


@pytest.mark.parametrize(
    ("url", "marked"),
    [
        # Stems: `platform` marks the highlights, intro, headlines, blurbs and link texts.
        (f"{PLATFORMS}?hl=platform", {"Platforms", "Platform", "platform", "platforms"}),
        (f"{PLATFORMS}?hl=scale", {"scaling", "scale"}),
        # Accents and case fold: `resume` marks "résumé" and "Résumé".
        (f"{CAREERS}?hl=RESUME", {"résumé", "Résumé"}),
        # Only the wanted words: no NOT terms, no field values, no stop words.
        (f"{PLATFORMS}?hl=stripe+-amazon+source:wired+the", {"Stripe"}),
    ],
)
def test_the_searched_words_are_marked(careers: FlaskClient, url: str, marked: set[str]) -> None:
    assert set(parsed(careers.get(url).text).marked) == marked


def test_marks_are_in_the_intro_highlights_headlines_and_blurbs(careers: FlaskClient) -> None:
    page = careers.get(f"{PLATFORMS}?hl=platform").text
    intro = page.split('class="intro"')[1].split("</section>")[0]
    highlights = page.split('class="highlights"')[1].split("</ul>")[0]
    link3 = page.split('id="link-3"')[1].split("</li>")[0]
    headline, blurb = link3.split("</h3>")[0], link3.split("</h3>")[1].split('class="link-text"')[0]
    for part in (intro, highlights, headline, blurb):
        assert "<mark>" in part


def test_no_mark_inside_an_attribute_or_the_head(careers: FlaskClient) -> None:
    page = careers.get(f"{PLATFORMS}?hl=platforms+conquer+address").text
    tags = parsed(page)
    assert tags.marked
    assert not [value for value in tags.attributes if "<mark" in value or "&lt;mark" in value]
    assert "<mark>" not in page.split("</head>")[0]
    assert 'href="/themes/platforms"' in page  # the chip's address is untouched


@pytest.mark.parametrize(
    "hl",
    ['<script>alert("x")</script>', '"><script>alert(1)</script>', "</mark><script>x</script>"],
)
def test_hl_with_markup_is_inert(careers: FlaskClient, hl: str) -> None:
    page = careers.get(CAREERS, query_string={"hl": hl}).text
    assert "<script>alert" not in page and "<script>x" not in page
    assert "<script>" not in page  # every script element is the JSON-LD block or external
    assert "&lt;<mark>script</mark>&gt;" in page  # the blurb's own markup, escaped and marked


def test_the_canonical_url_leaves_out_hl(careers: FlaskClient) -> None:
    page = careers.get(f"{PLATFORMS}?hl=platform").text
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', page)
    assert canonical and canonical.group(1).endswith(PLATFORMS)
    assert re.search(rf'<meta property="og:url" content="[^"]+{PLATFORMS}">', page)
    assert "hl=" not in page.split("</head>")[0]


def test_search_hits_link_to_the_marked_edition(careers: FlaskClient) -> None:
    page = careers.get("/search", query_string={"q": "stripe -amazon theme:platforms"}).text
    assert f'href="{PLATFORMS}?hl=stripe#link-3"' in page
    hits = careers.get("/api/search", query_string={"q": "résumé NOT markup"}).json["hits"]  # type: ignore[index]
    assert {hit["url"] for hit in hits} >= {f"{CAREERS}?hl=r%C3%A9sum%C3%A9#link-1"}
    landed = careers.get(f"{CAREERS}?hl=r%C3%A9sum%C3%A9").text
    assert "<mark>résumé</mark>" in landed
