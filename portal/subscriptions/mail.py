"""The emails subscribers get, built as EmailMessage objects with plain-text and HTML parts."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from portal.models import Subscriber
from portal.subscriptions.tokens import make_confirm_token, make_unsubscribe_token

# SMTP line endings, and lines up to RFC 5322's hard limit: at the default 78 a long
# List-Unsubscribe URL cannot be folded and turns into an RFC 2047 encoded word, which
# mail providers do not read as a link.
MESSAGE_POLICY = policy.SMTP.clone(max_line_length=998)


def check_address_settings(config: dict[str, Any]) -> None:
    """Raise ValueError naming the variable when BASE_URL or MAIL_FROM cannot work."""
    base = urlsplit(config["BASE_URL"])
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ValueError(f"PORTAL_BASE_URL must be an http(s) address, not {config['BASE_URL']!r}")
    if "@" not in envelope_sender(config["MAIL_FROM"]):
        raise ValueError(f"PORTAL_MAIL_FROM must contain an address, not {config['MAIL_FROM']!r}")


def envelope_sender(mail_from: str) -> str:
    """Return the bare address of a From value such as `Name <a@b.example>`."""
    return parseaddr(mail_from)[1]


def absolute_url(endpoint: str, **values: Any) -> str:
    """Return the address of a page as seen from outside, built on PORTAL_BASE_URL."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def confirmation_message(subscriber: Subscriber, now: dt.datetime) -> EmailMessage:
    """Return the email with the link that confirms a sign-up."""
    token = make_confirm_token(current_app.config["SECRET_KEY"], subscriber.id, subscriber.email)
    link = absolute_url("subscribe.confirm_page", token=token)
    return _message(subscriber, now, "Confirm your PRODUCTHEAD subscription", "confirm", link=link)


def welcome_message(subscriber: Subscriber, now: dt.datetime) -> EmailMessage:
    """Return the short welcome sent once a subscription is confirmed."""
    archive = absolute_url("archive.editions")
    return _message(subscriber, now, "Welcome to PRODUCTHEAD", "welcome", archive=archive)


def _message(
    subscriber: Subscriber, now: dt.datetime, subject: str, template: str, **context: str
) -> EmailMessage:
    secret = current_app.config["SECRET_KEY"]
    unsubscribe_token = make_unsubscribe_token(secret, subscriber.id, subscriber.email)
    unsubscribe = absolute_url("subscribe.unsubscribe_page", token=unsubscribe_token)
    mail_from = current_app.config["MAIL_FROM"]
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = subject
    message["From"] = mail_from
    # The bare address only: nothing a visitor typed (such as a name) goes into a header.
    message["To"] = Address(addr_spec=subscriber.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=envelope_sender(mail_from).rpartition("@")[2])
    # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    values = {"name": subscriber.first_name, "unsubscribe": unsubscribe, **context}
    message.set_content(render_template(f"subscribe/email/{template}.txt", **values))
    html = render_template(f"subscribe/email/{template}.html", subject=subject, **values)
    message.add_alternative(html, subtype="html")
    return message
