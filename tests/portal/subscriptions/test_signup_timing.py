"""The sign-up answer does the same work for every address, so its time tells nothing.

Wall-clock times are for bench/signup_timing.py; here the statements the request sends to
the real engine until its answer is made are compared, address state by address state.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request_finished
from flask.testing import FlaskClient
from sqlalchemy import event

from portal.db import get_engine
from tests.portal.subscriptions.test_subscribe_defences import _put_in_state
from tests.portal.subscriptions.test_subscribe_journey import shift_times
from tests.support.signup_helpers import Mailbox, hidden_fields

# Every state an address can be in when it is typed in again, and whether mail is due.
STATES = [
    ("new", True),
    ("pending", False),  # a confirmation went this hour
    ("pending-due", True),  # the last confirmation is two hours old
    ("confirmed", False),
    ("unsubscribed", False),  # unsubscribed from a confirmation sent this hour
]
# A savepoint ends with RELEASE when the confirmation is kept and ROLLBACK TO when it is
# dropped: one short statement either way, with nothing left to write at the commit.
_SAVEPOINT_END = re.compile(r"^(RELEASE|ROLLBACK TO) SAVEPOINT \w+$")


class StatementLog:
    """The statements the test's own thread sends to an engine while the log is open."""

    def __init__(self) -> None:
        self.open = False
        self.statements: list[str] = []
        self._thread = threading.get_ident()

    def record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Keep a statement (a before_cursor_execute listener), savepoint ends made alike."""
        if self.open and threading.get_ident() == self._thread:
            self.statements.append(_SAVEPOINT_END.sub("END SAVEPOINT", " ".join(statement.split())))

    def close(self, *_args: Any, **_kwargs: Any) -> None:
        """Stop recording: the answer is made (a request_finished receiver)."""
        self.open = False


@pytest.fixture
def statements(signup_app: Flask) -> Iterator[StatementLog]:
    """Return a log of the statements sent from this thread until each answer is made."""
    log = StatementLog()
    engine = get_engine(signup_app)
    event.listen(engine, "before_cursor_execute", log.record)
    request_finished.connect(log.close, signup_app)
    yield log
    request_finished.disconnect(log.close, signup_app)
    event.remove(engine, "before_cursor_execute", log.record)


def _answer_statements(client: FlaskClient, log: StatementLog, address: str) -> list[str]:
    data = hidden_fields(client.get("/subscribe").text) | {"email": address}
    log.statements, log.open = [], True
    with client.post("/subscribe", data=data) as response:  # closing it delivers the mail
        assert response.status_code == 303
    return log.statements


def _prepare(app: Flask, client: FlaskClient, mailbox: Mailbox, address: str, state: str) -> None:
    _put_in_state(client, mailbox, address, state.removesuffix("-due"))
    if state == "pending-due":
        shift_times(app, address, confirmation_sent_at=-dt.timedelta(hours=2))


def test_every_address_state_sends_the_same_statements(
    signup_app: Flask, signup_client: FlaskClient, mailbox: Mailbox, statements: StatementLog
) -> None:
    seen, mailed = {}, {}
    for state, _due in STATES:
        address = f"{state}@example.com"
        _prepare(signup_app, signup_client, mailbox, address, state)
        before = len(mailbox.to(address))
        seen[state] = _answer_statements(signup_client, statements, address)
        mailed[state] = len(mailbox.to(address)) > before
    assert any(s.startswith("INSERT INTO outbox") for s in seen["new"]), seen["new"]
    for state, _due in STATES:
        assert seen[state] == seen["new"], state
    # The same work, but only the addresses with a confirmation due got one.
    assert mailed == dict(STATES)
