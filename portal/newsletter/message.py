"""The edition email: rendered once per edition, then filled in per reader in microseconds."""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid
from typing import Any

import css_inline
from flask import current_app, render_template
from sqlalchemy.orm import Session

from portal.newsletter import email_mime
from portal.newsletter.email_content import edition_context, load_edition
from portal.newsletter.email_mime import Piece, Slot
from portal.subscriptions.addresses import normalise_address
from portal.subscriptions.mail import absolute_url, envelope_sender
from portal.subscriptions.outbox import utcnow
from portal.subscriptions.tokens import make_unsubscribe_token

DEFAULT_SUBJECT = "PRODUCTHEAD: {title}"
TEST_PREFIX = "[TEST] "
STYLESHEET = "newsletter/email.css"  # beside the email's templates
# An address as stored: ASCII, no white space, no angle brackets (a header stays one line).
_BARE_ADDRESS = re.compile(r"[!-~]+@[!-~]+")


@dataclass(frozen=True)
class Recipient:
    """One reader of one message: the subscriber's id, address and first name."""

    subscriber_id: int
    email: str
    first_name: str | None = None


@dataclass(frozen=True)
class _Keys:
    """What a message needs besides the edition: the secret, the sender's domain, URLs."""

    secret_key: str
    domain: str
    unsubscribe_prefix: str
    unsubscribe_suffix: str


class EditionEmail:
    """An edition rendered once as an email; `message_for` fills in one reader's parts."""

    def __init__(
        self,
        *,
        edition_id: int,
        slug: str,
        title: str,
        subject: str,
        headers: bytes,
        body: Sequence[Piece],
        keys: _Keys,
    ) -> None:
        self.edition_id = edition_id
        self.slug = slug
        self.title = title
        self.subject = subject
        self._headers = headers
        self._subject_header = email_mime.header("Subject", subject)
        self._date: tuple[int, bytes] = (0, b"")
        self._body = tuple(body)
        self._keys = keys

    def message_id(self, subscriber_id: int) -> str:
        """Return the Message-ID of this edition for this subscriber: the same every time."""
        keys = self._keys
        made_of = f"newsletter:{self.edition_id}:{subscriber_id}".encode()
        digest = hmac.new(keys.secret_key.encode(), made_of, hashlib.sha256).hexdigest()[:24]
        return f"<producthead.{self.edition_id}.{digest}@{keys.domain}>"

    def unsubscribe_url(self, recipient: Recipient) -> str:
        """Return the reader's one-click unsubscribe address (RFC 8058)."""
        keys = self._keys
        token = make_unsubscribe_token(keys.secret_key, recipient.subscriber_id, recipient.email)
        return f"{keys.unsubscribe_prefix}{token}{keys.unsubscribe_suffix}"

    def message_for(self, recipient: Recipient) -> bytes:
        """Return the whole RFC 5322 message for one reader, CRLF line ends."""
        message_id = self.message_id(recipient.subscriber_id)
        return self._message(recipient, message_id, self._subject_header)

    def test_message(self, address: str) -> bytes:
        """Return the message as a subscriber would get it, to any address, subject `[TEST] ...`."""
        recipient = Recipient(0, normalise_address(address))
        subject = email_mime.header("Subject", TEST_PREFIX + self.subject)
        return self._message(recipient, make_msgid(domain=self._keys.domain), subject)

    def _date_header(self) -> bytes:
        # Formatting a date costs a fifth of a message; one a second is exact enough.
        now = utcnow()
        second, header = self._date
        if second != int(now.timestamp()):
            header = b"Date: " + format_datetime(now.replace(microsecond=0)).encode() + b"\r\n"
            # One tuple, replaced whole: sender threads share this object.
            self._date = (int(now.timestamp()), header)
        return header

    def _message(self, recipient: Recipient, message_id: str, subject: bytes) -> bytes:
        if not _BARE_ADDRESS.fullmatch(recipient.email):
            raise ValueError(f"not a stored address: {recipient.email!r}")
        url = self.unsubscribe_url(recipient).encode()
        head = b"".join(
            (
                subject,
                b"To: " + recipient.email.encode() + b"\r\n",
                self._date_header(),
                b"Message-ID: " + message_id.encode() + b"\r\n",
                # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
                b"List-Unsubscribe: <" + url + b">\r\n",
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            )
        )
        greeting = _greeting(recipient.first_name)
        values = {
            Slot.GREETING_TEXT: email_mime.quoted_printable(greeting),
            Slot.GREETING_HTML: email_mime.quoted_printable(html.escape(greeting)),
            Slot.UNSUBSCRIBE_URL: email_mime.quoted_printable(url.decode()),
        }
        return head + self._headers + email_mime.fill(self._body, values)


def _greeting(first_name: str | None) -> str:
    return f"Hi {first_name}," if first_name else "Hello,"


def render_edition_email(session: Session, slug: str) -> EditionEmail:
    """Return the edition as an email, rendered once (in an app context); LookupError if unknown."""
    edition = load_edition(session, slug)
    config = current_app.config
    slots = email_mime.placeholders()
    subject = make_subject(config.get("NEWSLETTER_SUBJECT") or DEFAULT_SUBJECT, edition.title)
    context = edition_context(edition) | {
        "subject": subject,
        "greeting_text": slots[Slot.GREETING_TEXT],
        "greeting_html": slots[Slot.GREETING_HTML],
        "unsubscribe_url": slots[Slot.UNSUBSCRIBE_URL],
    }
    keys = _keys(config, slots[Slot.UNSUBSCRIBE_URL])
    return EditionEmail(
        edition_id=edition.id,
        slug=edition.slug,
        title=edition.title,
        subject=subject,
        headers=_static_headers(config["MAIL_FROM"], keys.domain),
        body=_body(context, slots),
        keys=keys,
    )


def make_subject(template: str, title: str) -> str:
    """Return the subject from PORTAL_NEWSLETTER_SUBJECT (`{title}` is the edition's title)."""
    return " ".join(template.replace("{title}", title).split())


def _keys(config: Any, unsubscribe_placeholder: str) -> _Keys:
    url = absolute_url("subscribe.unsubscribe", token=unsubscribe_placeholder)
    prefix, _, suffix = url.partition(unsubscribe_placeholder)
    domain = envelope_sender(config["MAIL_FROM"]).rpartition("@")[2]
    return _Keys(config["SECRET_KEY"], domain, prefix, suffix)


def _static_headers(mail_from: str, domain: str) -> bytes:
    return b"".join(
        (
            email_mime.header("From", mail_from),
            # RFC 2919: one list, named under the sender's domain; filters and providers key on it.
            email_mime.header("List-Id", f"PRODUCTHEAD <producthead.{domain}>"),
            b"MIME-Version: 1.0\r\n",
        )
    )


def _body(context: dict[str, Any], slots: dict[Slot, str]) -> list[Piece]:
    text = render_template("newsletter/edition.txt", **context)
    html_part = inline_css(render_template("newsletter/edition.html", **context))
    boundary = email_mime.new_boundary()
    return [
        b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n\r\n',
        *email_mime.part("text/plain", email_mime.encode_pieces(text, slots), boundary),
        *email_mime.part("text/html", email_mime.encode_pieces(html_part, slots), boundary),
        b"--" + boundary + b"--\r\n",
    ]


def inline_css(page: str) -> str:
    """Return the HTML with the email stylesheet inlined; its @media rules stay in a <style>."""
    env = current_app.jinja_env
    if env.loader is None:  # Flask always gives its environment one
        raise RuntimeError("the app has no template loader to read the email stylesheet with")
    stylesheet, _, _ = env.loader.get_source(env, STYLESHEET)
    inliner = css_inline.CSSInliner(
        keep_at_rules=True, load_remote_stylesheets=False, extra_css=stylesheet
    )
    return inliner.inline(page)
