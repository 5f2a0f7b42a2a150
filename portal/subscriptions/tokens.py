"""Signed links: confirming a sign-up (expires) and unsubscribing (never expires)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from itsdangerous import BadData, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_MAX_AGE = dt.timedelta(hours=48)
# One salt per purpose: a token made for one can never be used for another.
CONFIRM_SALT = "portal.subscriptions.confirm"
UNSUBSCRIBE_SALT = "portal.subscriptions.unsubscribe"


class InvalidToken(Exception):
    """A link that was tampered with, made for another purpose, or never ours."""


class ExpiredToken(Exception):
    """A confirmation link older than CONFIRM_MAX_AGE; it still names its subscriber."""

    def __init__(self, claim: TokenClaim) -> None:
        super().__init__("the confirmation link has expired")
        self.claim = claim


@dataclass(frozen=True)
class TokenClaim:
    """Who a token is for, and when it was made (None for unsubscribe tokens)."""

    subscriber_id: int
    email_digest: str
    issued_at: dt.datetime | None = None
    # Never in a repr: a claim that reaches a log must not carry the key with it.
    secret_key: str = field(default="", repr=False, compare=False)
    accepts_legacy: bool = False

    def matches(self, email: str) -> bool:
        """Return whether the token was made for this address (ids can be reused)."""
        if hmac.compare_digest(self.email_digest, email_digest(self.secret_key, email)):
            return True
        return self.accepts_legacy and hmac.compare_digest(self.email_digest, legacy_digest(email))


def email_digest(secret_key: str, email: str) -> str:
    """Return a keyed digest binding a token to an address: unguessable without the key."""
    return hmac.new(secret_key.encode(), email.encode(), hashlib.sha256).hexdigest()[:16]


def legacy_digest(email: str) -> str:
    """Return the unkeyed digest of unsubscribe links sent before keyed digests."""
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def make_confirm_token(secret_key: str, subscriber_id: int, email: str) -> str:
    """Return a confirmation token for this subscriber, valid for CONFIRM_MAX_AGE."""
    serializer = URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT)
    return serializer.dumps([subscriber_id, email_digest(secret_key, email)])


def make_unsubscribe_token(secret_key: str, subscriber_id: int, email: str) -> str:
    """Return an unsubscribe token for this subscriber; it never expires."""
    serializer = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT)
    return serializer.dumps([subscriber_id, email_digest(secret_key, email)])


def read_confirm_token(secret_key: str, token: str) -> TokenClaim:
    """Return the claim of a fresh confirmation token; raise ExpiredToken or InvalidToken."""
    serializer = URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT)
    max_age = int(CONFIRM_MAX_AGE.total_seconds())
    try:
        payload, issued = serializer.loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as error:
        # The signature was checked before the age, so the payload is ours.
        if error.payload is None:
            raise InvalidToken from None
        claim = _claim(serializer.load_payload(error.payload), error.date_signed, secret_key)
        raise ExpiredToken(claim) from None
    except BadData:
        raise InvalidToken from None
    return _claim(payload, issued, secret_key)


def read_unsubscribe_token(secret_key: str, token: str) -> TokenClaim:
    """Return the claim of an unsubscribe token; raise InvalidToken."""
    serializer = URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT)
    try:
        return _claim(serializer.loads(token), None, secret_key, legacy=True)
    except BadData:
        raise InvalidToken from None


def _claim(
    payload: object, issued: dt.datetime | None, secret_key: str, *, legacy: bool = False
) -> TokenClaim:
    match payload:
        case [int(subscriber_id), str(digest)]:
            return TokenClaim(subscriber_id, digest, issued, secret_key, legacy)
    raise InvalidToken
