"""Subscriptions: sign-up with double opt-in, the outbox of emails, and unsubscribing."""

from __future__ import annotations

from flask import Flask

from portal.subscriptions.mail import check_address_settings
from portal.subscriptions.transport import check_mail_settings


def init_app(app: Flask) -> None:
    """Check the mail settings, so a mistake fails at start."""
    check_address_settings(app.config)
    check_mail_settings(app.config)
