"""Atom and JSON feeds, site-wide and per theme: parsed by a real feed parser and checked to spec."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from portal.db import get_session
from portal.publishing.feeds import Feed, FeedEntry, atom_document
from portal.queries import archive
from tests.conftest import AppFactory
from tests.support.builders import edition, import_editions, link

BASE = "http://127.0.0.1:8000"
EDITION = f"{BASE}/editions/will-platforms-conquer-the-world"
ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_FEEDS = ["/feed.xml", "/themes/platforms/feed.xml", "/themes/stakeholders/feed.xml"]
JSON_FEEDS = ["/feed.json", "/themes/platforms/feed.json", "/themes/stakeholders/feed.json"]
# https://www.jsonfeed.org/version/1.1/: every top-level and item key the spec defines.
JSON_FEED_KEYS = {
    "version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url",
    "icon", "favicon", "authors", "language", "expired", "hubs", "items",
}  # fmt: skip
JSON_ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language",
    "attachments",
}  # fmt: skip


def parse_atom(client: FlaskClient, url: str) -> Any:
    """Return the feed parsed by feedparser, after checking its media type and well-formedness."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def check_atom_required_elements(data: bytes) -> None:
    """Check RFC 4287's required elements: id, title, updated on the feed and each entry."""
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    for element in [root, *root.iter(f"{ATOM}entry")]:
        for name in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{name}")) == 1, (element.tag, name)
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None


def check_json_feed(document: dict[str, Any]) -> None:
    """Check a JSON Feed 1.1 document's required fields and the types of what it uses."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    assert set(document) <= JSON_FEED_KEYS
    for key in ("home_page_url", "feed_url"):
        assert document[key].startswith(BASE + "/")
    assert all(isinstance(author["name"], str) for author in document["authors"])
    for item in document["items"]:
        assert set(item) <= JSON_ITEM_KEYS
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
        for key in ("date_published", "date_modified"):
            assert dt.datetime.fromisoformat(item[key].replace("Z", "+00:00")).tzinfo
        assert all(isinstance(tag, str) for tag in item.get("tags", []))


@pytest.mark.parametrize("url", ATOM_FEEDS)
def test_every_atom_feed_parses_with_the_edition_in_full(
    client: FlaskClient, seeded: FlaskCliRunner, url: str
) -> None:
    feed = parse_atom(client, url)
    check_atom_required_elements(client.get(url).data)
    assert feed.feed.links[0].href == BASE + url
    [entry] = feed.entries
    assert entry.id == entry.link == EDITION
    assert entry.title == "Will platforms conquer the world?"
    content = entry.content[0].value
    for text in (
        "Stripe\u2019s founders didn\u2019t shy away",  # a highlight
        "My view? They already have.",  # the intro
        "How AWS came to be",  # a curated headline
        "Patrick and John Collison",  # a blurb
        "402 Payment Required",  # link text
        "[Stephen Armstrong / WIRED]",  # author and source
        "The agency trap",  # a recent post
    ):
        assert text in content
    assert [tag.term for tag in entry.tags] == ["Platforms"]


@pytest.mark.parametrize("url", JSON_FEEDS)
def test_every_json_feed_has_the_required_fields(
    client: FlaskClient, seeded: FlaskCliRunner, url: str
) -> None:
    response = client.get(url)
    assert response.content_type == "application/feed+json; charset=utf-8"
    document = json.loads(response.text)
    check_json_feed(document)
    assert document["feed_url"] == BASE + url
    [item] = document["items"]
    assert item["id"] == item["url"] == EDITION
    assert "<h3>The insider story of Twilio</h3>" in item["content_html"]


def test_an_undated_edition_is_published_when_it_was_first_imported(
    app: Flask, client: FlaskClient, seeded: FlaskCliRunner
) -> None:
    with app.app_context():
        found = archive.get_edition(get_session(), "will-platforms-conquer-the-world")
        assert found is not None
        imported = found.created_at.replace(tzinfo=dt.UTC)
    published = json.loads(client.get("/feed.json").text)["items"][0]["date_published"]
    assert published == imported.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_atom(client, "/feed.xml").entries[0].published == published


@pytest.fixture
def many(make_app: AppFactory, tmp_path: Path) -> Flask:
    """Return an app on https://archive.example.org/ with 25 dated editions; 5 are on metrics."""
    app = make_app(BASE_URL="https://archive.example.org/")
    records = [
        edition(f"e{n:02d}", f"2021-01-{n + 1:02d}", themes=("metrics",) if n % 5 == 0 else ())
        for n in range(25)
    ]
    import_editions(app.test_cli_runner(), tmp_path, *records)
    return app


def test_the_site_feed_has_the_latest_twenty_editions_newest_first(many: Flask) -> None:
    feed = parse_atom(many.test_client(), "/feed.xml")
    slugs = [entry.link.rsplit("/", 1)[1] for entry in feed.entries]
    assert slugs == [f"e{n:02d}" for n in range(24, 4, -1)]
    assert feed.entries[0].published == "2021-01-25T00:00:00Z"
    assert feed.feed.updated == max(entry.updated for entry in feed.entries)


def test_a_theme_feed_has_only_the_theme_and_absolute_urls_from_the_setting(many: Flask) -> None:
    client = many.test_client()
    feed = parse_atom(client, "/themes/metrics/feed.xml")
    assert feed.feed.title == "PRODUCTHEAD: Metrics"
    assert [entry.id for entry in feed.entries] == [
        f"https://archive.example.org/editions/e{n:02d}" for n in (20, 15, 10, 5, 0)
    ]
    document = json.loads(client.get("/themes/metrics/feed.json").text)
    assert document["home_page_url"] == "https://archive.example.org/themes/metrics"
    assert len(document["items"]) == 5


def test_feeds_escape_what_editions_contain(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    nasty = "<script>alert('x')</script> & <b>bold</b>"
    import_editions(runner, tmp_path, edition("e", "2021-01-01", links=(link(nasty),)))
    atom = client.get("/feed.xml").data
    content = ET.fromstring(atom).findtext(f"{ATOM}entry/{ATOM}content") or ""
    assert "<h3>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in content
    item = json.loads(client.get("/feed.json").text)["items"][0]
    assert "<script>" not in item["content_html"] and "&lt;script&gt;" in item["content_html"]


def test_feeds_of_an_empty_archive_are_valid(client: FlaskClient) -> None:
    feed = parse_atom(client, "/feed.xml")
    assert feed.entries == [] and feed.feed.updated == "1970-01-01T00:00:00Z"
    document = json.loads(client.get("/feed.json").text)
    check_json_feed(document)
    assert document["items"] == []


def test_characters_xml_cannot_carry_are_dropped_from_atom() -> None:
    when = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    entry = FeedEntry(
        "urn:e", "https://e.example/", "Bell\x07 ok", "", "<p>\x1b[0m</p>", when, when
    )
    feed = Feed("T", "D", "https://e.example/", "https://e.example/a", "j", "A", "en", (entry,))
    parsed = feedparser.parse(atom_document(feed))
    assert not parsed.bozo
    assert parsed.entries[0].title == "Bell ok"
