"""Checking and normalising what people type into the sign-up form (no Flask here)."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets
MAX_NAME_LENGTH = 100

# Format (Cf: bidi controls, zero-width spaces, soft hyphens), control (Cc), line and
# paragraph separators, private-use, surrogate and unassigned characters: none has a
# place in an address or a name, and some make one string look like another.
# A name that looks like a link turns our mails into a spam relay: refuse it.
_LINK_LIKE = re.compile(r"https?|www\.|://|\w\.[a-z]{2,}\b", re.IGNORECASE)
_HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp", "Co", "Cs", "Cn"})


class InvalidInput(ValueError):
    """An address or name that cannot be accepted; the message is for the person typing."""


def _check_characters(raw: str, what: str) -> str:
    """Return the text trimmed, refusing line breaks anywhere and hidden characters inside."""
    if "\r" in raw or "\n" in raw:
        raise InvalidInput(f"{what} must be on a single line.")
    text = raw.strip()
    if any(unicodedata.category(char) in _HIDDEN_CATEGORIES for char in text):
        raise InvalidInput(
            f"{what} contains invisible or text-direction characters. Please type it again."
        )
    return text


def normalise_address(raw: str) -> str:
    """Return the address in the form it is stored in, or raise InvalidInput saying why."""
    address = _check_characters(raw, "The email address")
    if not address:
        raise InvalidInput("Enter your email address.")
    if len(address) > MAX_ADDRESS_LENGTH:
        raise InvalidInput(f"An email address can be at most {MAX_ADDRESS_LENGTH} characters long.")
    if "<" in address or ">" in address:
        raise InvalidInput("Enter just the address, without a name or angle brackets.")
    if address.count("@") > 1 or any(sep in address for sep in ",; \t"):
        raise InvalidInput("Enter one email address only.")
    try:
        # No DNS lookups: they are slow, fail offline, and would tell a visitor which
        # domains we think exist. SMTPUTF8 mailboxes are refused because not every
        # relay on the way can deliver them.
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidInput(str(error)) from None
    # Stored in lower case with the domain in punycode: unique whatever the case typed.
    return f"{valid.local_part}@{valid.ascii_domain}".lower()


def clean_name(raw: str | None) -> str | None:
    """Return the trimmed first name (None when empty), or raise InvalidInput saying why."""
    if raw is None:
        return None
    name = " ".join(_check_characters(raw, "The name").split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"A name can be at most {MAX_NAME_LENGTH} characters long.")
    if _LINK_LIKE.search(name):
        raise InvalidInput("A name cannot contain a web address or domain name.")
    return name or None
