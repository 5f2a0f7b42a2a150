"""The newsletter: an edition rendered once, then delivered to every confirmed subscriber.

Delivery records in the database (one per edition and reader, claimed, sent, marked), SMTP
connections reused at the provider's pace; see docs/newsletter.md.
"""

from __future__ import annotations

from portal.newsletter.autosend import feed_first_page
from portal.newsletter.message import EditionEmail, Recipient, render_edition_email
from portal.newsletter.sends import cancel
from portal.newsletter.service import (
    STATUS_KEYS,
    EditionStatus,
    NewsletterError,
    SendResult,
    choose_edition,
    due_editions,
    failed_lines,
    preview,
    recipients_to_go,
    send_edition,
    statuses,
)

__all__ = [
    "STATUS_KEYS",
    "EditionEmail",
    "EditionStatus",
    "NewsletterError",
    "Recipient",
    "SendResult",
    "cancel",
    "choose_edition",
    "due_editions",
    "failed_lines",
    "feed_first_page",
    "preview",
    "recipients_to_go",
    "render_edition_email",
    "send_edition",
    "statuses",
]
