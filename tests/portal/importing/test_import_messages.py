"""What an import says: names decoded, the full-text hint where it helps, one line per thing
that matters (not per attachment), and a closing line that counts right."""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

import pytest

from tests.conftest import ARCHIVE, AppFactory
from tests.portal.importing.test_wild_files import WILD, state
from tests.portal.importing.test_wordpress_variations import WXR_HEAD, invoke, wxr_item

pytestmark = pytest.mark.sqlite_only(reason="messages do not depend on the database backend")

HINT = "WordPress Settings > Reading > 'For each post in a feed, include: Full text'"
RSS = (
    '<?xml version="1.0"?><rss version="2.0" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
    "{items}</channel></rss>"
)


def raw_item(title: str, post_type: str = "post", status: str = "publish", body: str = "") -> str:
    """Return a WXR item of any type and status, its content as given (empty by default)."""
    return (
        f"<item><title>{title}</title><content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<wp:status>{status}</wp:status><wp:post_type>{post_type}</wp:post_type></item>\n"
    )


def https_export(path: Path, *items: str) -> Path:
    """Write an export whose wp namespace is https://, as the theme unit test export's is."""
    head = WXR_HEAD.format(doctype="").replace(
        "http://wordpress.org/export/1.1/", "https://wordpress.org/export/1.2/"
    )
    path.write_text(head + "".join(items) + "</channel></rss>\n")
    return path


def rss_item(title: str, content: str | None = None) -> str:
    encoded = f"<content:encoded>{escape(content)}</content:encoded>" if content else ""
    return f"<item><title>{title}</title><description>an excerpt</description>{encoded}</item>"


def lines(output: str, prefix: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix)]


def test_an_https_export_passes_over_what_is_not_a_post_in_one_line(
    make_app: AppFactory, tmp_path: Path
) -> None:
    path = https_export(
        tmp_path / "site.xml",
        wxr_item("Kept", guid="1"),
        raw_item("About us", post_type="page", body="<p>Who we are</p>"),
        raw_item("logo.png", post_type="attachment", status="inherit"),
        raw_item("Home", post_type="nav_menu_item"),
        raw_item("PRODUCTHEAD: Secret", status="private", body="<p>private words</p>"),
        raw_item("PRODUCTHEAD: Not yet", status="draft"),
        raw_item("Hello world!"),
        raw_item("Tom &amp;amp; Jerry", body="<p>An ordinary post.</p>"),
    )
    app = make_app()
    code, output = invoke(app, "editions", "import", str(path))
    assert code == 0, output
    assert lines(output, "skipped:") == [
        "skipped: 'Hello world!' (not an edition)",
        "skipped: 'Tom & Jerry' (not an edition)",
        f"skipped: {path}: passed over 5 item(s) that are not published posts "
        "(pages, attachments, menu items, drafts, private, protected or trashed posts)",
    ]
    assert "error:" not in output and "full text" not in output
    assert [slug for slug, _u, _d in state(app)] == ["kept"]
    assert (
        output.strip().splitlines()[-1] == "Imported: 1 added, 0 updated, 0 unchanged, 0 rejected."
    )


def test_an_empty_post_titled_as_an_edition_is_rejected_without_the_feed_hint(
    make_app: AppFactory, tmp_path: Path
) -> None:
    path = https_export(tmp_path / "site.xml", raw_item("PRODUCTHEAD: &amp;#8220;Soon&amp;#8221;"))
    code, output = invoke(make_app(), "editions", "import", str(path))
    assert code == 1
    assert lines(output, "error:") == [f"error: {path}: item '“Soon”': the post is empty"]
    assert output.strip().splitlines()[-1] == (
        "Error: 1 rejected in 1 file; fix the lines above and import again."
    )


def test_a_summary_only_feed_says_so_once(make_app: AppFactory, tmp_path: Path) -> None:
    items = "".join(rss_item(t) for t in ("One", "Two &amp;#38; three", "Four &amp;amp; five"))
    path = tmp_path / "feed.rss"
    path.write_text(RSS.format(items=items))
    code, output = invoke(make_app(), "editions", "import", str(path))
    assert code == 0, output
    assert lines(output, "skipped:") == [
        "skipped: 'One' (not an edition)",
        "skipped: 'Two & three' (not an edition)",
        "skipped: 'Four & five' (not an edition)",
        f"skipped: {path}: the feed carries summaries only (a feed must carry full text: {HINT})",
    ]


def test_a_full_text_feed_gives_the_hint_only_for_an_edition_without_its_text(
    make_app: AppFactory, tmp_path: Path
) -> None:
    items = (
        rss_item("An article", "<p>Full text of an ordinary post.</p>")
        + rss_item("A link post")
        + rss_item("PRODUCTHEAD: Short")
    )
    path = tmp_path / "feed.rss"
    path.write_text(RSS.format(items=items))
    code, output = invoke(make_app(), "editions", "import", str(path))
    assert code == 1
    assert output.count(HINT) == 1
    assert lines(output, "error:") == [
        f"error: {path}: item 'Short': no post content found (a feed must carry full text: {HINT})"
    ]
    assert lines(output, "skipped:") == [
        "skipped: 'An article' (not an edition)",
        "skipped: 'A link post' (not an edition)",
    ]


def test_the_closing_line_counts_rejections_and_the_files_they_are_in(
    make_app: AppFactory, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_text(RSS.format(items=rss_item("PRODUCTHEAD: A") + rss_item("PRODUCTHEAD: B")))
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0"?><rss version="2.0"><channel><item>')
    missing = tmp_path / "missing.rss"
    code, output = invoke(make_app(), "editions", "import", str(feed), str(broken), str(missing))
    assert code == 1
    assert "Imported: 0 added, 0 updated, 0 unchanged, 3 rejected." in output
    assert output.strip().splitlines()[-1] == (
        "Error: 3 rejected in 2 files; 1 path not found; fix the lines above and import again."
    )


def test_a_page_whose_comments_have_entry_titles_keeps_the_post_title(
    make_app: AppFactory,
) -> None:
    page = WILD / "readability" / "002" / "source.html"
    assert 'class="entry-title' in page.read_text()  # in its comments
    code, output = invoke(make_app(), "editions", "import", str(page))
    assert code == 0, output
    assert lines(output, "skipped:") == ["skipped: 'This API is so Fetching!' (not an edition)"]


def test_markdown_without_front_matter_in_a_folder_is_skipped_with_a_line(
    make_app: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(ARCHIVE / "will-platforms-conquer-the-world.md", folder)
    (folder / "README.md").write_text("# The archive\n\nEditions, one a file.\n")
    (folder / "MANIFEST.md").write_text("| file | what |\n|---|---|\n")
    (folder / "notes.markdown").write_text("\n\nSome notes\n---\n")
    app = make_app()
    code, output = invoke(app, "editions", "import", str(folder))
    assert code == 0, output
    assert lines(output, "skipped:") == [
        f"skipped: {folder / 'MANIFEST.md'}: Markdown without edition front matter (not an edition)",
        f"skipped: {folder / 'README.md'}: a README (not an edition)",
        f"skipped: {folder / 'notes.markdown'}: Markdown without edition front matter "
        "(not an edition)",
    ]
    assert "1 added" in output and "error:" not in output
