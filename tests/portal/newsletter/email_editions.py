"""Editions stored straight into the database for the edition-email tests (hostile ones too),
and reading the email back as a mail client would."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import get_session
from portal.models import Edition, Link, Source, Subscriber, Theme
from portal.newsletter.message import EditionEmail, Recipient, render_edition_email

SIGNED_UP = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@dataclass(frozen=True)
class StoredLink:
    """A link as it is stored: blurb paragraphs in the stored form (`[text](url)` links)."""

    headline: str
    url: str | None
    blurb: tuple[str, ...] = ("A blurb.",)
    link_text: str = "Read it"
    author: str | None = None
    source: str = "WIRED"


@dataclass(frozen=True)
class StoredEdition:
    """An edition as it is stored."""

    slug: str
    title: str
    date: dt.date | None = dt.date(2021, 6, 7)
    highlights: tuple[str, ...] = ("The first highlight",)
    intro: tuple[str, ...] = ("An intro.",)
    curated: tuple[StoredLink, ...] = ()
    recent_posts: tuple[StoredLink, ...] = ()
    themes: tuple[tuple[str, str], ...] = ()  # (slug, name)


def store(app: Flask, edition: StoredEdition) -> int:
    """Store the edition (with its sources and themes) and return its id."""
    with app.app_context():
        session = get_session()
        row = Edition(
            slug=edition.slug,
            title=edition.title,
            date=edition.date,
            highlights=list(edition.highlights),
            intro=list(edition.intro),
            content_hash=hashlib.sha256(edition.slug.encode()).hexdigest(),
            themes=[_theme(session, slug, name) for slug, name in edition.themes],
        )
        for section, links in (("curated", edition.curated), ("recent_post", edition.recent_posts)):
            for position, link in enumerate(links, 1):
                row.links.append(_link(session, section, position, link))
        session.add(row)
        session.commit()
        return row.id


def _theme(session: Session, slug: str, name: str) -> Theme:
    found = session.scalars(select(Theme).where(Theme.slug == slug)).first()
    return found or Theme(slug=slug, name=name, description="")


def _source(session: Session, name: str) -> Source:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    found = session.scalars(select(Source).where(Source.slug == slug)).first()
    if found is None:
        found = Source(slug=slug, name=name)
        session.add(found)
        session.flush()
    return found


def _link(session: Session, section: str, position: int, link: StoredLink) -> Link:
    return Link(
        section=section,
        position=position,
        headline=link.headline,
        blurb=list(link.blurb),
        link_text=link.link_text,
        url=link.url,
        author=link.author,
        source=_source(session, link.source),
    )


def add_subscriber(app: Flask, email: str, first_name: str | None = None) -> int:
    """Store a confirmed subscriber and return their id."""
    with app.app_context():
        session = get_session()
        subscriber = Subscriber(
            email=email,
            first_name=first_name,
            status="confirmed",
            signed_up_at=SIGNED_UP,
            signup_client_hash="0" * 64,
            consent_version="2025-1",
            confirmed_at=SIGNED_UP,
        )
        session.add(subscriber)
        session.commit()
        return subscriber.id


def weekly(slug: str = "platforms-week") -> StoredEdition:
    """Return an ordinary edition: three curated links (one without an address), two posts."""
    return StoredEdition(
        slug=slug,
        title="Will platforms conquer the world?",
        highlights=("Amazon built AWS to fix its own scaling", "Stripe took on a hard problem"),
        intro=(
            "I joined [a panel](https://example.org/panel?x=1&y=2) on platforms.",
            "My view? They already have.",
        ),
        curated=(
            StoredLink(
                "How AWS came to be",
                "https://techcrunch.example/2016/07/02/andy-jassys-brief-history/?utm_source=a&b=c",
                ("The roots go back to 2000.", "See [the memo](https://memo.example/aws)."),
                "A struggle with internal scaling",
                "Ron Miller",
                "TechCrunch",
            ),
            StoredLink("An address-less link", None, ("Kept without its address.",)),
            StoredLink(
                "Stripe: platform of platforms",
                "https://stratechery.example/2017/stripe-platform-of-platforms/",
                ("Platforms connect sides of a market.",),
                author="Ben Thompson",
                source="Stratechery",
            ),
        ),
        recent_posts=(
            StoredLink(
                "An exercise in stakeholder alignment",
                "https://imanageproducts.example/stakeholder-alignment/",
                source="I Manage Products",
            ),
            StoredLink(
                "The agency trap",
                "https://imanageproducts.example/the-agency-trap/",
                source="I Manage Products",
            ),
        ),
        themes=(("platforms", "Platforms"), ("stakeholders", "Stakeholders")),
    )


def largest(slug: str = "largest") -> StoredEdition:
    """Return an edition far larger than any real one (about 4 links): 40 links, 10 posts.

    Each blurb has two paragraphs of about 80 words (real ones have one of about 40).
    """
    words = "Product managers weigh the cost of delay against the value of learning. " * 6

    def item(n: int, kind: str) -> StoredLink:
        return StoredLink(
            f"{kind} {n}: a long headline about platforms, stakeholders and the risks of scale",
            f"https://publication-{n}.example/{kind.lower()}/{n}/a-long-path-to-an-article?ref={n}",
            (words, f"{words}See [the study](https://study-{n}.example/paper/{n})."),
            f"Read article {n}",
            f"Author Name {n}",
            f"Publication {n % 7}",
        )

    return StoredEdition(
        slug=slug,
        title="The longest edition there ever was, with a title that goes on and on",
        highlights=tuple(f"Highlight {n}: {words[:140]}" for n in range(1, 6)),
        intro=tuple(words for _ in range(4)),
        curated=tuple(item(n, "Curated") for n in range(1, 41)),
        recent_posts=tuple(item(n, "Post") for n in range(1, 11)),
        themes=tuple((f"theme-{n}", f"Theme {n}") for n in range(1, 9)),
    )


ADA = Recipient(41, "ada@example.com", "Ada")


def render(app: Flask, slug: str) -> EditionEmail:
    """Return the edition email, rendered in an app context."""
    with app.app_context():
        return render_edition_email(get_session(), slug)


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep the tag."""
        self.found.append((tag, dict(attrs)))

    @classmethod
    def of(cls, html: str) -> Elements:
        """Return the elements of a page."""
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    def hrefs(self) -> list[str]:
        """Return the address of every link, in order."""
        return [attrs["href"] or "" for tag, attrs in self.found if tag == "a" and "href" in attrs]


def parse(raw: bytes) -> EmailMessage:
    """Return a message parsed the way a mail client would."""
    message = email.message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, kind: str) -> str:
    """Return the decoded plain or html part."""
    found = message.get_body((kind,))
    assert found is not None
    return str(found.get_content())  # type: ignore[attr-defined]
