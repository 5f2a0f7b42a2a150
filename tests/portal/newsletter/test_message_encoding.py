"""Quoted-printable in pieces: encoded apart and joined, they decode as the whole text would."""

from __future__ import annotations

import quopri
import random

import pytest

from portal.newsletter import email_mime
from portal.newsletter.email_mime import Slot


def decode(encoded: bytes) -> str:
    """Return quoted-printable bytes decoded, line ends as they were before encoding."""
    return quopri.decodestring(encoded).decode().replace("\r\n", "\n")


CASES = [
    "",
    "plain",
    "a" * 75,
    "a" * 76,
    "a" * 77,
    "a" * 74 + "é",  # the cut would fall inside `=C3=A9`
    "a" * 73 + "é",
    "ends with a space ",
    "ends with a tab\t",
    "ends with a line\n",
    "= signs = everywhere ==",
    "line one\nline two\n\nline four " + "é" * 60,
    ".starts with a dot\nFrom here",
]


@pytest.mark.parametrize("text", CASES)
def test_a_piece_decodes_to_itself_and_keeps_lines_short(text: str) -> None:
    encoded = email_mime.quoted_printable(text)
    assert decode(encoded) == text
    lines = encoded.split(b"\r\n")
    assert all(len(line) <= 76 for line in lines)
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    # Ready for the next piece: it ends a line, softly or not.
    assert encoded == b"" or encoded.endswith(b"\r\n")


@pytest.mark.parametrize("seed", range(40))
def test_pieces_joined_decode_as_the_whole(seed: int) -> None:
    chance = random.Random(seed)
    alphabet = "abc déf=\t\n.\N{EN DASH}“”" + "x" * 20
    pieces = [
        "".join(chance.choice(alphabet) for _ in range(chance.randrange(0, 200)))
        for _ in range(chance.randrange(2, 6))
    ]
    joined = b"".join(email_mime.quoted_printable(piece) for piece in pieces)
    assert decode(joined) == "".join(pieces)
    assert all(len(line) <= 76 for line in joined.split(b"\r\n"))


def test_slots_are_cut_out_and_filled() -> None:
    words = email_mime.placeholders()
    text = f'<p>{words[Slot.GREETING_HTML]}</p>\n<a href="{words[Slot.UNSUBSCRIBE_URL]}">x</a>'
    pieces = email_mime.encode_pieces(text, words)
    assert Slot.GREETING_HTML in pieces and Slot.UNSUBSCRIBE_URL in pieces
    values = {
        Slot.GREETING_HTML: email_mime.quoted_printable("Hi Zoë,"),
        Slot.UNSUBSCRIBE_URL: email_mime.quoted_printable("https://x.example/u/" + "t" * 120),
    }
    filled = decode(email_mime.fill(pieces, values))
    assert filled == f'<p>Hi Zoë,</p>\n<a href="https://x.example/u/{"t" * 120}">x</a>'


def test_placeholders_are_new_each_time_and_survive_escaping() -> None:
    first, second = email_mime.placeholders(), email_mime.placeholders()
    assert set(first.values()).isdisjoint(second.values())
    assert all(word.isalnum() for word in first.values())


def test_header_refuses_a_line_break() -> None:
    with pytest.raises(ValueError, match="line break"):
        email_mime.header("Subject", "hello\r\nBcc: x@example.com")
    assert email_mime.header("Subject", "Café") == b"Subject: =?utf-8?q?Caf=C3=A9?=\r\n"
