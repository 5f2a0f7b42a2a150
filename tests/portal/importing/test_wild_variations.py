"""Variations on the shared editions that the wild files suggest: Atom text constructs of every
type, files cut short, UTF-16 and UTF-32, blank lines before `<?xml`, and what the messages say."""

from __future__ import annotations

import codecs
import re
from html import escape
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree, html

from tests.conftest import SEED, AppFactory
from tests.portal.importing.test_wild_files import NOT_WELL_FORMED, state
from tests.portal.importing.test_wordpress_import import SHARED, exported, invoke

pytestmark = pytest.mark.sqlite_only(reason="parsing does not depend on the database backend")

FEED = (SHARED / "feed.rss").read_bytes()
EXPORT = (SHARED / "export.wxr.xml").read_bytes()
SLUG = "will-platforms-conquer-the-world"
XHTML = "http://www.w3.org/1999/xhtml"


def feed_item(guid: str) -> tuple[str, str]:
    """Return the title and content:encoded of the shared feed's item with this guid."""
    root = etree.fromstring(FEED)
    for item in root.iter("item"):
        if item.findtext("guid") == guid:
            content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
            return item.findtext("title") or "", content or ""
    raise LookupError(guid)


def xhtml_div(markup: str) -> str:
    """Return HTML as an Atom XHTML construct: well-formed XML in an XHTML <div>."""
    div = html.fragment_fromstring(markup, create_parent="div")
    text = etree.tostring(div, encoding="unicode", method="xml")
    return text.replace("<div>", f'<div xmlns="{XHTML}">', 1)


def atom_entry(kind: str) -> str:
    """Return the seed edition as an Atom feed whose title and content are of type `kind`."""
    _title, content = feed_item("https://example.org/?p=7398")
    if kind == "html":  # as WordPress writes Atom: markup escaped, entities escaped again
        title = escape("PRODUCTHEAD: Will platforms conquer the world&#63;")
        body = escape(content)
    elif kind == "xhtml":
        title = (
            f'<div xmlns="{XHTML}">PRODUCTHEAD: Will platforms <em>conquer</em> the world?</div>'
        )
        body = xhtml_div(content)
    else:  # text: the edition's plain text (its links have no addresses)
        title = escape("PRODUCTHEAD: Will platforms conquer the world?")
        body = escape(SEED.read_text())
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>I Manage Products</title><id>https://example.org/</id>"
        "<updated>2021-06-09T00:00:00Z</updated><entry>"
        f'<title type="{kind}">{title}</title><id>https://example.org/?p=7398</id>'
        '<link href="https://example.org/producthead-will-platforms-conquer-the-world/"/>'
        "<published>2021-06-07T07:00:00Z</published><updated>2021-06-09T00:00:00Z</updated>"
        f'<content type="{kind}">{body}</content></entry></feed>'
    )


def markdown_of(app: Flask, folder: Path, slug: str = SLUG) -> str:
    exported(app, folder)
    return (folder / f"{slug}.md").read_text()


def without(text: str, *keys: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.startswith(keys))


@pytest.mark.parametrize("kind", ["html", "xhtml"])
def test_an_atom_entry_of_markup_gives_the_edition_the_rss_item_gives(
    make_app: AppFactory, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "feed.atom"
    path.write_text(atom_entry(kind))
    atom_app, rss_app = make_app(), make_app()
    code, output = invoke(atom_app, "editions", "import", str(path))
    assert code == 0 and "1 added" in output, output
    assert invoke(rss_app, "editions", "import", str(SHARED / "feed.rss"))[0] == 0
    got = markdown_of(atom_app, tmp_path / "atom")
    assert "title: Will platforms conquer the world?\n" in got
    assert got == markdown_of(rss_app, tmp_path / "rss")


def test_an_atom_entry_of_text_gives_the_edition_its_plain_text_gives(
    make_app: AppFactory, tmp_path: Path
) -> None:
    path = tmp_path / "feed.atom"
    path.write_text(atom_entry("text"))
    atom_app, text_app = make_app(), make_app()
    code, output = invoke(atom_app, "editions", "import", str(path))
    assert code == 0 and "1 added" in output, output
    code, output = invoke(text_app, "editions", "import", "--date", "2021-06-07", str(SEED))
    assert code == 0, output
    got = markdown_of(atom_app, tmp_path / "atom")
    assert "guid: https://example.org/?p=7398\n" in got and "date: 2021-06-07\n" in got
    assert without(got, "guid:", "permalink:") == markdown_of(text_app, tmp_path / "text")


def test_an_atom_title_of_html_is_decoded_once_in_the_edition_and_in_messages(
    make_app: AppFactory, tmp_path: Path
) -> None:
    _title, content = feed_item("https://example.org/?p=7398")
    entry = (
        "<entry><title type='html'>{title}</title><id>{n}</id>"
        "<published>2021-06-07T07:00:00Z</published>{content}</entry>"
    )
    entries = [
        entry.format(title="PRODUCTHEAD: &amp;#8220;Ship it&amp;#8221;", n=1, content=""),
        entry.format(title="Tom &amp;amp; Jerry &amp;#38; &amp;lt;b&amp;gt;", n=2, content=""),
        entry.format(
            title="PRODUCTHEAD: &amp;#8220;Ship it&amp;#8221; &amp;amp; go",
            n=3,
            content=f"<content type='html'>{escape(content)}</content>",
        ),
    ]
    path = tmp_path / "feed.atom"
    path.write_text(f"<feed xmlns='http://www.w3.org/2005/Atom'>{''.join(entries)}</feed>")
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 1
    assert "item '“Ship it”': no post content found (a feed must carry full text" in output
    assert "skipped: 'Tom & Jerry & <b>' (not an edition)" in output
    assert "&#" not in output and "&amp;" not in output
    assert [slug for slug, _u, _d in state(app)] == ["ship-it-go"]
    assert "title: “Ship it” & go\n" in markdown_of(app, tmp_path / "out", "ship-it-go")


def cut_offsets(data: bytes) -> list[int]:
    """Return ten offsets spread over a file, never at its very start or end."""
    return [len(data) * n // 11 for n in range(1, 11)]


@pytest.mark.parametrize(
    ("name", "offset"),
    [(name, offset) for name, data in (("feed.rss", FEED), ("export.wxr.xml", EXPORT))
     for offset in cut_offsets(data)],
)  # fmt: skip
def test_a_file_cut_short_is_refused_whole_and_nothing_is_stored(
    make_app: AppFactory, tmp_path: Path, name: str, offset: int
) -> None:
    data = (SHARED / name).read_bytes()[:offset]
    path = tmp_path / name
    path.write_bytes(data)
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1, output
    broken = NOT_WELL_FORMED.match(errors[0])
    assert broken and broken.group(1) == str(path), errors
    assert 1 <= int(broken.group(2)) <= data.count(b"\n") + 1
    assert "skipped:" not in output and "warning:" not in output
    assert "Imported: 0 added, 0 updated, 0 unchanged, 1 rejected." in output
    assert "Error: 1 rejected in 1 file; fix the lines above" in output
    assert state(app) == []


def reencoded(data: bytes, codec: str, bom: bytes) -> bytes:
    """Return an XML document in another encoding, its declaration saying so."""
    text = data.decode("utf-8")
    declared = codec.upper().removesuffix("-LE").removesuffix("-BE")
    text = re.sub(r'encoding="UTF-8"', f'encoding="{declared}"', text, count=1, flags=re.I)
    return bom + text.encode(codec)


ENCODINGS = [
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""),
    ("utf-16-be", b""),
    ("utf-32-le", codecs.BOM_UTF32_LE),
    ("utf-32-be", codecs.BOM_UTF32_BE),
    ("utf-32-le", b""),
    ("utf-32-be", b""),
]


@pytest.mark.parametrize("name", ["export.wxr.xml", "feed.rss"])
@pytest.mark.parametrize(
    ("codec", "bom"), ENCODINGS, ids=[f"{c}{'-bom' if b else ''}" for c, b in ENCODINGS]
)
def test_a_file_in_utf_16_or_utf_32_gives_what_its_utf_8_form_gives(
    make_app: AppFactory, tmp_path: Path, name: str, codec: str, bom: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(reencoded((SHARED / name).read_bytes(), codec, bom))
    wide, narrow = make_app(), make_app()
    code, output = invoke(wide, "editions", "import", str(path))
    assert code == 0 and "3 added" in output, output
    assert invoke(narrow, "editions", "import", str(SHARED / name))[0] == 0
    assert exported(wide, tmp_path / "wide") == exported(narrow, tmp_path / "narrow")


@pytest.mark.parametrize("name", ["export.wxr.xml", "feed.rss"])
@pytest.mark.parametrize("blank", ["\n", "\r\n\r\n", " \t\n  ", "\ufeff\n\n"])
def test_blank_lines_before_the_xml_declaration_are_read_past(
    make_app: AppFactory, tmp_path: Path, name: str, blank: str
) -> None:
    path = tmp_path / name
    path.write_bytes(blank.encode() + (SHARED / name).read_bytes())
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 0 and "3 added" in output, output


def test_a_broken_file_after_blank_lines_names_the_line_as_written(
    make_app: AppFactory, tmp_path: Path
) -> None:
    data = b"\n\n\n" + FEED.replace(b"</channel>", b"</chanel>")
    path = tmp_path / "feed.rss"
    path.write_bytes(data)
    code, output = invoke(make_app(), "editions", "import", str(path))
    line = data[: data.index(b"</chanel>")].count(b"\n") + 1
    assert code == 1 and f"not well-formed XML at line {line}, column" in output, output


@pytest.mark.parametrize("share", [3, 5, 7])
@pytest.mark.parametrize("odd", [0, 1], ids=["even", "odd"])
def test_a_utf_16_export_cut_short_is_refused_whole(
    make_app: AppFactory, tmp_path: Path, share: int, odd: int
) -> None:
    data = reencoded(EXPORT, "utf-16-le", codecs.BOM_UTF16_LE)
    path = tmp_path / "export.xml"
    path.write_bytes(data[: len(data) * share // 10 // 2 * 2 + odd])  # odd: half a character
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1 and NOT_WELL_FORMED.match(errors[0]), output
    assert state(app) == []
