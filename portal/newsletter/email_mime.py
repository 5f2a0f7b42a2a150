"""The edition email as bytes made once, with slots for one reader's parts (no Flask here).

A message is `multipart/alternative` (plain text, then HTML), both parts UTF-8 in
quoted-printable, so every line stays within RFC 2045's 76 characters whatever the
content. Each part is encoded once, in pieces cut at the per-reader slots; a message
is those pieces joined with the reader's values encoded on the spot. Quoted-printable
soft line breaks (`=` at the end of a line) join the pieces, so decoding gives back the
text exactly as if it had been encoded whole.
"""

from __future__ import annotations

import binascii
import enum
import re
import secrets
from collections.abc import Mapping, Sequence
from email import policy
from email.headerregistry import HeaderRegistry

# Headers folded at 78 characters, as RFC 5322 recommends; CRLF line ends.
_HEADER_POLICY = policy.SMTP
_HEADERS = HeaderRegistry()
# The longest encoded line before the `=` of a soft line break (RFC 2045 section 6.7).
_QP_ROOM = 75


class Slot(enum.Enum):
    """A per-reader part of the message body."""

    GREETING_TEXT = "greeting in the plain-text part"
    GREETING_HTML = "greeting in the HTML part, escaped"
    UNSUBSCRIBE_URL = "unsubscribe"


Piece = bytes | Slot


def placeholders() -> dict[Slot, str]:
    """Return fresh placeholder words for the slots: letters only, so escaping leaves them be."""
    nonce = secrets.token_hex(8)
    return {slot: f"SLOT{slot.name.replace('_', '')}{nonce}" for slot in Slot}


def header(name: str, value: str) -> bytes:
    """Return one header line, folded and encoded (RFC 2047) as needed; line breaks refused."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"a line break in the {name} header")
    return _HEADER_POLICY.fold_binary(name, _HEADERS(name, value))


def quoted_printable(text: str) -> bytes:
    """Return text as quoted-printable with CRLF line ends, ready to be followed by a piece."""
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    head, newline, last = encoded.rpartition(b"\n")
    if not last:
        return encoded.replace(b"\n", b"\r\n")
    cut = min(len(last), _QP_ROOM)
    # Never cut inside an escape such as `=C3`.
    while cut < len(last) and b"=" in last[max(cut - 2, 0) : cut]:
        cut -= 1
    tail = last[:cut] + b"=\n" + (last[cut:] + b"=\n" if cut < len(last) else b"")
    return (head + newline + tail).replace(b"\n", b"\r\n")


def encode_pieces(text: str, slots: Mapping[Slot, str]) -> list[Piece]:
    """Return text cut at each placeholder: encoded literal pieces and the slots between them."""
    by_word = {word: slot for slot, word in slots.items()}
    pattern = re.compile("|".join(re.escape(word) for word in by_word))
    pieces: list[Piece] = []
    position = 0
    for found in pattern.finditer(text):
        pieces.append(quoted_printable(text[position : found.start()]))
        pieces.append(by_word[found.group()])
        position = found.end()
    pieces.append(quoted_printable(text[position:]))
    return [piece for piece in pieces if piece != b""]


def part(content_type: str, pieces: Sequence[Piece], boundary: bytes) -> list[Piece]:
    """Return one body part of the multipart message: its headers, then its pieces."""
    head = (
        b"--" + boundary + b"\r\n"
        b"Content-Type: " + content_type.encode() + b'; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    return [head, *pieces, b"\r\n"]


def new_boundary() -> bytes:
    """Return a MIME boundary no quoted-printable text can contain (`=_` never occurs in it)."""
    return b"=_producthead_" + secrets.token_hex(12).encode()


def fill(pieces: Sequence[Piece], values: Mapping[Slot, bytes]) -> bytes:
    """Return the pieces joined, each slot replaced by its encoded value."""
    return b"".join(values[piece] if isinstance(piece, Slot) else piece for piece in pieces)
