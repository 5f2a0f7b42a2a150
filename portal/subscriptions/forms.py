"""The sign-up form, its consent sentence, and the silent bot checks."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadData, TimestampSigner
from wtforms import EmailField, HiddenField, StringField
from wtforms.validators import ValidationError

from portal.limits import get_limiter
from portal.subscriptions.addresses import InvalidInput, clean_name, normalise_address

log = logging.getLogger(__name__)

# The sentence shown beside the button. Change the version whenever the text changes:
# each subscriber's consent record names the version they agreed to.
CONSENT_VERSION = "2025-1"
CONSENT_TEXT = (
    "Send me PRODUCTHEAD, a weekly email of curated product-management reading with the "
    "editor's own articles. I can unsubscribe with one click in any email; my address is "
    "used for nothing else."
)
_STARTED_SALT = "portal.subscriptions.form-started"
# The address typed into the compact form (home and edition pages) arrives filled in: the
# reader took their time on the page before, and now only presses Subscribe. The full
# form's minimum fill time would drop them, so such a form needs only this long: longer
# than a script takes between two requests, shorter than a person takes to click.
PREFILLED_MIN_SECONDS = 1
_PREFILLED = "signup-prefilled"
# A note older than this is refused (as long as the form's CSRF token lasts, Flask-WTF's
# default WTF_CSRF_TIME_LIMIT), and a used note is remembered this long: a note can be
# sent back once, and never again, even by another worker or host sharing the storage.
NOTE_MAX_AGE_SECONDS = 3600
_USED_NOTES = "portal/signup-note-used/"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=_STARTED_SALT)


def form_started_token(prefilled: bool = False) -> str:
    """Return a signed note of when the form was shown (to the millisecond; the signature's
    own timestamp counts whole seconds), whether its address came filled in, and a random
    part, so two forms shown in the same millisecond never share a note."""
    note = _PREFILLED if prefilled else "signup"
    return _signer().sign(f"{note}:{time.time():.3f}:{secrets.token_urlsafe(9)}").decode()


def _check_address(_form: Any, field: Any) -> None:
    try:
        normalise_address(field.data or "")
    except InvalidInput as error:
        raise ValidationError(str(error)) from None


def _check_name(_form: Any, field: Any) -> None:
    try:
        clean_name(field.data)
    except InvalidInput as error:
        raise ValidationError(str(error)) from None


class SignupForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """Email address, optional first name, and two traps for bots."""

    email = EmailField(
        "Email address",
        validators=[_check_address],
        render_kw={"autocomplete": "email", "required": True, "spellcheck": "false"},
    )
    first_name = StringField(
        "First name (optional)",
        validators=[_check_name],
        render_kw={"autocomplete": "given-name"},
    )
    # Hidden from people by the stylesheet and from assistive technology by the template;
    # form-filling bots fill it in.
    website = StringField(
        "Leave this field empty",
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )
    started = HiddenField(default=form_started_token)

    def address(self) -> str:
        """Return the normalised address of a validated form."""
        return normalise_address(self.email.data or "")

    def name(self) -> str | None:
        """Return the cleaned first name of a validated form."""
        return clean_name(self.first_name.data)

    def looks_automated(self) -> bool:
        """Return whether the honeypot was filled or the form came back too fast (or forged)."""
        if self.website.data:
            return True
        try:
            value, signed_at = _signer().unsign(
                self.started.data or "", max_age=NOTE_MAX_AGE_SECONDS, return_timestamp=True
            )
        except BadData:  # forged, or too old (SignatureExpired)
            return True
        note, _, rest = value.decode().partition(":")
        shown = rest.partition(":")[0]
        try:  # forms shown before notes carried a time have the signature's whole seconds
            shown_at = float(shown) if shown else signed_at.timestamp()
        except ValueError:
            return True
        seconds = int(current_app.config["SIGNUP_MIN_SECONDS"])
        if note == _PREFILLED:
            seconds = min(seconds, PREFILLED_MIN_SECONDS)
        return time.time() - shown_at < seconds

    def claim_note(self) -> bool:
        """Mark the form's note used; return False when it had been used before (a replay)."""
        # The rate limiter's storage: per process with memory://, shared with redis://.
        try:
            uses = get_limiter().storage.incr(self._note_key(), NOTE_MAX_AGE_SECONDS)
        except Exception as error:  # each storage backend raises its own errors
            # Open, as the rate limiter is while its storage is down: a person's sign-up
            # goes through; only a replay during the outage would too.
            log.warning("form notes cannot be checked, storage unavailable: %s", error)
            return True
        return uses == 1

    def release_note(self) -> None:
        """Forget that the note was used: the sign-up failed, and sending again must work."""
        try:
            get_limiter().storage.clear(self._note_key())
        except Exception as error:  # each storage backend raises its own errors
            log.warning("a used form note could not be released: %s", error)

    def _note_key(self) -> str:
        return _USED_NOTES + hashlib.sha256((self.started.data or "").encode()).hexdigest()
