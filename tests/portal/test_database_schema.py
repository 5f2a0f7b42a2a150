"""Pages answer 503, with the reason in the log, while the schema is missing or behind the code."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from portal.migrations.status import NO_SCHEMA
from tests.conftest import AppFactory, DatabaseFactory
from tests.support.schema_states import NEWER_REVISION, put_in_state

REASONS = {
    "missing": NO_SCHEMA,
    "behind": "the database schema is behind the code (at revision ",
}


def _app(make_app: AppFactory, make_database: DatabaseFactory, state: str) -> Flask:
    return make_app(DATABASE_URL=put_in_state(make_database(migrated=False), state))


def _schema_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "portal.db"]


@pytest.mark.parametrize("state", ["missing", "behind"])
def test_pages_answer_503_with_the_reason_logged_once(
    make_app: AppFactory,
    make_database: DatabaseFactory,
    caplog: pytest.LogCaptureFixture,
    state: str,
) -> None:
    client = _app(make_app, make_database, state).test_client()
    with caplog.at_level(logging.WARNING):
        answers = [client.get(path) for path in ("/", "/editions/", "/search?q=roadmap", "/")]
    assert [answer.status_code for answer in answers] == [503] * 4
    assert "Traceback" not in answers[0].text
    records = _schema_records(caplog)
    assert len(records) == 1, caplog.text  # once a minute, not once a request
    assert records[0].levelno == logging.ERROR and records[0].exc_info is None
    assert records[0].getMessage().startswith(REASONS[state]), caplog.text
    assert "run 'flask db upgrade' (1 request(s) answered 503)" in caplog.text


@pytest.mark.parametrize("state", ["missing", "behind"])
def test_pages_answer_once_the_database_is_upgraded_without_a_restart(
    make_app: AppFactory,
    make_database: DatabaseFactory,
    caplog: pytest.LogCaptureFixture,
    state: str,
) -> None:
    app = _app(make_app, make_database, state)
    client = app.test_client()
    assert client.get("/").status_code == 503
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with caplog.at_level(logging.WARNING):
        assert client.get("/").status_code == 200
    assert "database schema up to date after 1 request(s) refused" in caplog.text


def test_a_schema_newer_than_the_code_is_served_with_a_warning(
    make_app: AppFactory, make_database: DatabaseFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = _app(make_app, make_database, "unknown").test_client()
    with caplog.at_level(logging.WARNING):
        assert [client.get("/").status_code for _ in range(2)] == [200, 200]
    warnings = [r.getMessage() for r in _schema_records(caplog)]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"the database schema is at revision {NEWER_REVISION}")
