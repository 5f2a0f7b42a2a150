"""The address filter on the portal's loggers: messages, arguments and tracebacks."""

from __future__ import annotations

import logging

import pytest

from portal.logs import private_logger


@pytest.mark.parametrize(
    ("message", "args", "logged"),
    [
        ("mail to %s", ("first.last+news@sub.example.co.uk",), "mail to <address>"),
        ("Key (email)=(READER@EXAMPLE.ORG) exists", (), "Key (email)=(<address>) exists"),
        ("550 <o'brien@xn--bcher-kva.de>: no", (), "550 <<address>>: no"),
        ("mail %d not sent", (3,), "mail 3 not sent"),
        ("from newsletter@localhost", (), "from newsletter@localhost"),  # not a stored address
    ],
)
def test_addresses_are_redacted_from_messages(
    caplog: pytest.LogCaptureFixture, message: str, args: tuple[object, ...], logged: str
) -> None:
    with caplog.at_level(logging.INFO):
        private_logger("portal.test_logs").warning(message, *args)
    assert [record.getMessage() for record in caplog.records] == [logged]


def test_addresses_are_redacted_from_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    log = private_logger("portal.test_logs")
    assert private_logger("portal.test_logs").filters == log.filters  # one filter, not two
    try:
        raise ValueError("refused: reader@example.com")
    except ValueError:
        log.exception("delivery failed")
    assert "ValueError: refused: <address>" in caplog.text and "reader@" not in caplog.text
