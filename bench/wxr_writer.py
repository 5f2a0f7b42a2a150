"""Write demo editions as a WordPress export (WXR 1.2), shaped like ../shared/ingest/export.wxr.xml.

Each edition is a published post whose `content:encoded` holds the body as WordPress keeps
it for the classic editor: paragraphs separated by blank lines without `<p>`, headings and
the boilerplate (logo, tagline, share lines, sign-off, signature, the "can we help you?" box
with a [caption] shortcode, the closing line) around the highlights, intro and links. The
file is written element by element (lxml's incremental writer), never held whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from email.utils import format_datetime
from html import escape
from pathlib import Path

from lxml import etree

from portal.editions.records import EditionRecord, LinkRecord, slugify

SITE = "https://example.org"
WP, DC, CONTENT = (
    "http://wordpress.org/export/1.2/",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/rss/1.0/modules/content/",
)
NS = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": CONTENT,
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": DC,
    "wp": WP,
}
HEADER = """<h1 style="text-align: center;">PRODUCTHEAD: {title}</h1>
<p style="text-align: center;"><img class="aligncenter size-medium wp-image-5120" src="https://example.org/wp-content/uploads/2019/03/producthead-logo-300x75.png" alt="PRODUCTHEAD" width="300" height="75" /></p>
<p style="text-align: center;"><em>PRODUCTHEAD is a regular newsletter of product management goodness,
curated by <a href="https://example.org/about/">Jock Busuttil</a>.</em></p>
<hr />

"""
SHARE = """
<p style="text-align: center;"><strong>a favour:</strong> please <a href="https://example.org/producthead/subscribe/">share this</a> with other product people</p>
<p style="text-align: center;"><a href="https://example.org/producthead/">every PRODUCTHEAD edition is online</a> for you to refer back to</p>
<hr />

"""
SIGN_OFF = """Speak to you soon,

<img class="alignnone size-full wp-image-5933" src="https://example.org/wp-content/uploads/2018/01/jock-signature.png" alt="Jock" width="150" height="60" />

&nbsp;
"""
FOOTER = """<div class="producthead-help" style="border: 1px solid #dddddd; padding: 1em;">
<h2>can we help you?</h2>

<a href="https://example.org/product-people/">Product People</a> is a product management services company. Just <a href="https://example.org/contact/">contact us</a> if you need our help!

[caption id="attachment_6120" align="alignleft" width="200"]<img class="size-full wp-image-6120" src="https://example.org/wp-content/uploads/2017/11/product-people-logo.png" alt="Product People Limited logo" width="200" height="60" /> Product People Limited logo[/caption]

Helping people build better products, more successfully, since 2012.
</div>

<em>PRODUCTHEAD is a newsletter for product people of all varieties, and is lovingly crafted from wet, green wood.</em>"""


def wordpress_body(record: EditionRecord) -> str:
    """Return the post content WordPress stores for an edition (classic editor, raw)."""
    parts = [HEADER.format(title=escape(record.title, quote=False))]
    parts.append("\n\n".join(escape(h, quote=False) for h in record.highlights))
    parts.append(SHARE)
    parts.append("".join(f"{escape(p, quote=False)}\n\n" for p in record.intro))
    parts.append(SIGN_OFF)
    parts.append("<h2>what to think about this week</h2>\n")
    parts.extend(_link(link) for link in record.curated)
    if record.recent_posts:
        parts.append("<h2>recent posts</h2>\n")
        parts.extend(_link(link) for link in record.recent_posts)
    parts.append(FOOTER)
    return "".join(parts)


def _link(link: LinkRecord) -> str:
    blurb = "".join(f"{escape(p, quote=False)}\n\n" for p in link.blurb)
    credit = f"{link.author} / {link.source}" if link.author else link.source
    return (
        f"<h3>{escape(link.headline, quote=False)}</h3>\n\n{blurb}"
        f'<a href="{escape(link.url or "")}" target="_blank" rel="noopener">'
        f"{escape(link.link_text, quote=False)}</a>\n\n<em>[{escape(credit, quote=False)}]</em>\n"
    )


def write_wxr(path: Path, records: Iterable[EditionRecord]) -> int:
    """Write the records as published posts of a WXR 1.2 file; return how many."""
    count = 0
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("rss", {"version": "2.0"}, nsmap=NS), xf.element("channel"):
            for tag, text in (("title", "I Manage Products"), ("link", SITE)):
                xf.write(_text(tag, text))
            xf.write(_text(f"{{{WP}}}wxr_version", "1.2", {"wp": WP}))
            for count, record in enumerate(records, start=1):
                xf.write(_item(7000 + count, record))
    return count


def _item(post_id: int, record: EditionRecord) -> etree._Element:
    moment = dt.datetime.combine(record.date or dt.date(2020, 1, 6), dt.time(7), dt.UTC)
    name = f"producthead-{slugify(record.title)}"
    item = etree.Element("item", nsmap=NS)
    wp = f"{{{WP}}}"
    fields = (
        ("title", f"PRODUCTHEAD: {record.title}"),
        ("link", f"{SITE}/{name}/"),
        ("pubDate", format_datetime(moment)),
        (f"{{{DC}}}creator", "jock"),
        ("guid", f"{SITE}/?p={post_id}"),
        (f"{{{CONTENT}}}encoded", etree.CDATA(wordpress_body(record))),
        (wp + "post_id", str(post_id)),
        (wp + "post_date", moment.strftime("%Y-%m-%d %H:%M:%S")),
        (wp + "post_date_gmt", moment.strftime("%Y-%m-%d %H:%M:%S")),
        (wp + "post_name", name),
        (wp + "status", "publish"),
        (wp + "post_type", "post"),
        (wp + "post_password", ""),
    )
    for tag, text in fields:
        etree.SubElement(item, tag).text = text
    item.find("guid").set("isPermaLink", "false")  # type: ignore[union-attr]
    return item


def _text(tag: str, text: str, nsmap: dict[str, str] | None = None) -> etree._Element:
    element = etree.Element(tag, nsmap=nsmap)
    element.text = text
    return element
