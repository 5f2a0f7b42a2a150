"""Other themes' markup, Atom, CRLF, entities, block-editor exports, and hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from portal.db import get_session
from portal.editions.store import all_edition_exports
from tests.conftest import FIXTURES, AppFactory

INGEST = FIXTURES / "ingest"
WXR_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wp="http://wordpress.org/export/1.1/"><channel><title>t</title>
"""
EDITION_BODY = """<h1>PRODUCTHEAD: {title}</h1>

First highlight

<p><strong>a favour:</strong> please <a href="https://example.org/s/">share this</a></p>
<p><a href="https://example.org/p/">every PRODUCTHEAD edition is online</a></p>

An intro paragraph with {extra}.

Speak to you soon,
<h2>what to think about this week</h2>
<h3>A headline</h3>

A blurb.

<a href="https://example.com/a?x=1&amp;y=2">Link text</a>

<em>[Someone / Somewhere]</em>"""


def wxr_item(
    title: str, status: str = "publish", extra: str = "nothing else", guid: str = "1"
) -> str:
    body = EDITION_BODY.format(title=title, extra=extra)
    return f"""<item><title>PRODUCTHEAD: {title}</title><link>https://example.org/{guid}/</link>
<guid isPermaLink="false">https://example.org/?p={guid}</guid>
<content:encoded><![CDATA[{body}]]></content:encoded>
<wp:post_date_gmt>2022-01-03 10:00:00</wp:post_date_gmt><wp:status>{status}</wp:status>
<wp:post_type>post</wp:post_type></item>
"""


def write_wxr(path: Path, *items: str, doctype: str = "") -> Path:
    path.write_text(WXR_HEAD.format(doctype=doctype) + "".join(items) + "</channel></rss>\n")
    return path


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def stored(app: Flask) -> list[str]:
    with app.app_context():
        return [record.slug for record, _origin in all_edition_exports(get_session())]


def test_a_block_theme_page_with_crlf_lists_and_entities(make_app: AppFactory) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "import", str(INGEST / "block-theme-page.html"))
    assert code == 0, output
    assert "dropped an image (<img>)" in output and "dropped an embed (<iframe>)" in output
    assert "'javascript:alert(3)' (only http, https, mailto kept)" in output
    page = app.test_client().get("/editions/roadmaps-are-not-promises").get_data(as_text=True)
    # Curated links and inline links in intro and blurb, at their exact addresses.
    for href in (
        "https://www.svpg.com/roadmap-alternative/?a=1&amp;b=%C3%A9#why",
        "https://example.com/outcomes",
        "https://example.org/now-next-later/?utm_source=a&amp;utm_medium=b",
        "mailto:editor@example.org",
    ):
        assert f'href="{href}"' in page
    assert "'data:text/html,<script>alert(4)</script>' (only http, https, mailto kept)" in output
    assert "javascript:" not in page and "spam.example" not in page and "data:" not in page
    assert "alert(5)" not in page and "onmouseover" not in page and "alert(4)" not in page
    assert "See this data and now." in page
    assert "the intro: dropped markup <script>" in output and "alert(7)" not in page
    # Markup that was text in the post stays text on the page.
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "A roadmap is a statement of intent, not a contract" in page
    assert "the [short] answer" in page


def test_an_atom_feed_imports_its_good_entries_and_rejects_the_bad_one(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "import", str(INGEST / "atom-feed.atom"))
    assert code == 1
    assert "item 'A broken edition': link 1 'A link with no source' has no '[Author" in output
    assert "1 added, 0 updated, 0 unchanged, 1 rejected" in output
    assert stored(app) == ["discovery-is-a-team-sport"]
    page = app.test_client().get("/editions/discovery-is-a-team-sport").get_data(as_text=True)
    assert 'href="https://www.producttalk.org/continuous-discovery/?x=1&amp;y=2"' in page
    assert "2 May 2022" in page or "2022-05-02" in page
    invoke(app, "editions", "export", str(tmp_path / "out"))
    text = (tmp_path / "out" / "discovery-is-a-team-sport.md").read_text()
    # Published, not updated; a link and its source line in one paragraph; headings h5/h6.
    assert "date: 2022-05-02" in text
    assert "link_text: Decide together\n  url: https://example.com/trio#together\n" in text
    assert "  source: Product Talk\n" in text
    assert "guid: https://blog.example.net/?p=42" in text


def test_strict_turns_warnings_into_rejections(make_app: AppFactory) -> None:
    app = make_app()
    path = str(INGEST / "block-theme-page.html")
    code, output = invoke(app, "editions", "import", "--strict", path)
    assert code == 1 and "(--strict)" in output and stored(app) == []


def test_an_export_skips_all_but_published_posts_and_reports_unknown_shortcodes(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    extra = (
        '[contact-form-7 id="9"] and <!-- wp:acme/widget --><!-- /wp:acme/widget -->'
        "\n\n[embed]https://video.example/1[/embed]\n\nhttps://video.example/2\n\nafter"
    )
    path = write_wxr(
        tmp_path / "e.xml",
        wxr_item("Published", extra=extra, guid="1"),
        wxr_item("Draft", status="draft", guid="2"),
        wxr_item("Published", status="trash", guid="3"),
    )
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 0, output
    assert "dropped the shortcode [contact-form-7]" in output
    assert "unknown block wp:acme/widget" in output
    assert "dropped the shortcode [embed]" in output and "dropped an embed (<iframe>)" in output
    invoke(app, "editions", "export", str(tmp_path / "out"))
    text = (tmp_path / "out" / "published.md").read_text()
    assert "video.example" not in text
    assert "\n\nafter.\n" in text
    assert stored(app) == ["published"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "garbage.xml",
            '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>',
            "not well-formed XML",
        ),
        ("bomb.xml", None, "refused: the XML declares entities"),
        ("bomb.rss", None, "refused: the XML declares entities"),
    ],
)
def test_a_bad_or_hostile_file_gets_one_line_and_nothing_is_stored(
    make_app: AppFactory, tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    app = make_app()
    path = tmp_path / name
    if content is None:
        lol = "".join(
            f'<!ENTITY l{n} "&l{n - 1};&l{n - 1};&l{n - 1};&l{n - 1};">' for n in range(1, 10)
        )
        doctype = f'<!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]>\n'
        if name.endswith(".rss"):
            path.write_text(
                f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><item><title>&l9;</title></item></channel></rss>'
            )
        else:
            write_wxr(path, wxr_item("Bomb &l9;"), doctype=doctype)
    else:
        path.write_text(content)
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 1
    assert f"error: {path}: {message}" in output
    assert "Traceback" not in output and stored(app) == []


@pytest.mark.parametrize("suffix", [".xml", ".rss"])
def test_an_external_file_entity_is_refused_and_its_content_appears_nowhere(
    make_app: AppFactory, tmp_path: Path, suffix: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    doctype = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    path = write_wxr(tmp_path / f"xxe{suffix}", wxr_item("Leak", extra="&xxe;"), doctype=doctype)
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 1 and "refused: the XML declares entities" in output
    assert "TOP-SECRET" not in output and stored(app) == []
    code, output = invoke(app, "editions", "export", str(tmp_path / "out"))
    assert not any("TOP-SECRET" in p.read_text() for p in (tmp_path / "out").iterdir())


def test_a_reimport_from_a_form_without_themes_keeps_the_portal_s_themes(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    path = write_wxr(tmp_path / "e.xml", wxr_item("Tagged"))
    assert invoke(app, "editions", "import", str(path))[0] == 0
    invoke(app, "editions", "export", str(tmp_path / "md"))
    markdown = tmp_path / "md" / "tagged.md"
    text = markdown.read_text().replace("highlights:", "themes:\n- platforms\nhighlights:", 1)
    markdown.write_text(text)
    code, output = invoke(app, "editions", "import", str(markdown))
    assert code == 0 and "1 updated" in output, output
    # An edited post updates the same edition, and its themes stay.
    edited = write_wxr(tmp_path / "e.xml", wxr_item("Tagged", extra="an edit"))
    code, output = invoke(app, "editions", "import", str(edited))
    assert code == 0 and "0 added, 1 updated" in output, output
    invoke(app, "editions", "export", str(tmp_path / "again"))
    again = (tmp_path / "again" / "tagged.md").read_text()
    assert "- platforms" in again and "an edit" in again


def test_inline_links_survive_export_and_reimport_byte_identical(
    make_app: AppFactory, tmp_path: Path
) -> None:
    first, second = make_app(), make_app()
    assert invoke(first, "editions", "import", str(INGEST / "block-theme-page.html"))[0] == 0
    invoke(first, "editions", "export", str(tmp_path / "one"))
    text = (tmp_path / "one" / "roadmaps-are-not-promises.md").read_text()
    assert (
        "[now, next, later](https://example.org/now-next-later/?utm_source=a&utm_medium=b)" in text
    )
    assert r"the \[short\] answer" in text
    assert invoke(second, "editions", "import", str(tmp_path / "one"))[0] == 0
    invoke(second, "editions", "export", str(tmp_path / "two"))
    two = (tmp_path / "two" / "roadmaps-are-not-promises.md").read_text()
    assert two == text


def test_an_item_over_the_size_cap_is_rejected_and_the_others_import(
    make_app: AppFactory, tmp_path: Path
) -> None:
    from portal.importing.formats.edition import MAX_ITEM_CHARS

    huge = wxr_item("Huge", extra="x" * (MAX_ITEM_CHARS + 1), guid="2")
    path = write_wxr(tmp_path / "e.xml", wxr_item("Small", guid="1"), huge)
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 1 and "item 'Huge': content over" in output
    assert stored(app) == ["small"]


def test_another_post_with_the_same_title_never_replaces_an_edition(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    assert (
        invoke(
            app,
            "editions",
            "import",
            str(write_wxr(tmp_path / "a.xml", wxr_item("Same", guid="1"))),
        )[0]
        == 0
    )
    other = write_wxr(tmp_path / "b.xml", wxr_item("Same", extra="other words", guid="2"))
    code, output = invoke(app, "editions", "import", str(other))
    assert code == 1 and "slug 'same' belongs to another post (https://example.org/?p=1)" in output
    invoke(app, "editions", "export", str(tmp_path / "out"))
    assert "other words" not in (tmp_path / "out" / "same.md").read_text()


def test_a_feed_of_excerpts_says_it_needs_full_text(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "feed.rss"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        "<title>PRODUCTHEAD: Short</title><guid>https://example.org/?p=5</guid>"
        "<description>» one » two</description></item></channel></rss>"
    )
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    assert (
        code == 1 and "item 'Short': no post content found (a feed must carry full text" in output
    )


def test_parse_outcomes_import_through_the_public_functions(make_app: AppFactory) -> None:
    from portal.importing import import_documents, load_catalogue, parse_document

    app = make_app()
    data = (INGEST / "atom-feed.atom").read_bytes()
    with app.app_context():
        outcome = parse_document(data, Path("https://blog.example.net/feed/atom/"))
        report = import_documents([outcome], load_catalogue(Path(app.config["THEMES_FILE"])))
        assert (report.added, report.rejected, report.reindexed) == (1, 1, (1, 0))
    page = app.test_client().get("/search?q=trio").get_data(as_text=True)
    assert "/editions/discovery-is-a-team-sport" in page


def test_a_magazine_theme_page_with_json_ld_and_an_ordered_list(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    code, output = invoke(app, "editions", "import", str(INGEST / "magazine-theme-page.html"))
    assert code == 0 and "warning" not in output, output
    invoke(app, "editions", "export", str(tmp_path / "out"))
    text = (tmp_path / "out" / "saying-no-kindly.md").read_text()
    for expected in (
        "title: Saying no, kindly\ndate: 2023-01-16\n",
        "permalink: https://news.example.com/saying-no-kindly/\n",
        "- Saying no is part of the job\n- Explain the trade-off, not the decision\n",
        "  url: https://example.com/no?utm=a&b=c\n  author: Jane Doe\n  source: Example Weekly\n",
        "  url: https://news.example.com/always-yes/\n  source: I Manage Products\n",
        "\n\nProduct managers say no more than anyone.\n",
    ):
        assert expected in text
    assert app.test_client().get("/saying-no-kindly/amp/").status_code == 301
