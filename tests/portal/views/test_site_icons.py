"""The site's icons and web app manifest, and the head tags that point at them."""

from __future__ import annotations

import json
import struct

from flask.testing import FlaskClient

from tests.portal.publishing.test_discovery import head_tags, links_with


def fetch(client: FlaskClient, url: str) -> tuple[int, str, bytes]:
    """Return the status, media type and body of a file response, closing the file."""
    with client.get(url) as response:
        return response.status_code, response.mimetype, response.get_data()


def test_favicon_ico_is_a_real_icon(client: FlaskClient) -> None:
    status, mimetype, data = fetch(client, "/favicon.ico")
    assert (status, mimetype) == (200, "image/vnd.microsoft.icon")
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1) and count >= 1


def test_the_svg_favicon_is_served(client: FlaskClient) -> None:
    status, mimetype, data = fetch(client, "/static/favicon.svg")
    assert (status, mimetype) == (200, "image/svg+xml")
    assert data.startswith(b"<svg") and b"<script" not in data


def test_the_manifest_is_served_as_a_manifest_and_complete(client: FlaskClient) -> None:
    status, mimetype, data = fetch(client, "/static/manifest.webmanifest")
    assert (status, mimetype) == (200, "application/manifest+json")
    manifest = json.loads(data)
    for key in ("name", "short_name", "start_url", "display", "theme_color", "background_color"):
        assert manifest[key], key
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        status, mimetype, data = fetch(client, f"/static/{icon['src']}")
        assert (status, mimetype) == (200, icon["type"]), icon["src"]
        if icon["type"] == "image/png":
            width, height = struct.unpack(">II", data[16:24])  # the PNG's IHDR chunk
            assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_every_page_names_its_icons_manifest_and_theme_colours(client: FlaskClient) -> None:
    tags = head_tags(client, "/")
    icons = {link["href"].split("?")[0] for link in links_with(tags, "icon")}  # any ?v= aside
    assert icons == {"/favicon.ico", "/static/favicon.svg"}
    [manifest] = links_with(tags, "manifest")
    assert manifest["href"].split("?")[0] == "/static/manifest.webmanifest"
    assert links_with(tags, "apple-touch-icon")
    page = client.get("/").text
    assert (
        '<meta name="theme-color" content="#fdfcf9" media="(prefers-color-scheme: light)">' in page
    )
    assert (
        '<meta name="theme-color" content="#16161a" media="(prefers-color-scheme: dark)">' in page
    )
