"""Every command that uses the database stops with one line on a schema it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from portal.migrations.status import NO_SCHEMA
from tests.conftest import ARCHIVE, AppFactory, DatabaseFactory
from tests.support.schema_states import NEWER_REVISION, put_in_state

# Each command that opens the database, with arguments that would let it run.
DATABASE_COMMANDS = [
    ["editions", "import", str(ARCHIVE)],
    ["editions", "sync", "http://127.0.0.1:9/feed"],
    ["editions", "export", "{tmp}/export"],
    ["index", "rebuild"],
    ["index", "update"],
    ["index", "check"],
    ["subscribers", "export"],
    ["subscribers", "forget", "reader@example.com"],
    ["subscribers", "stats"],
    ["subscribers", "import", str(ARCHIVE / "will-platforms-conquer-the-world.md")],
    ["subscribers", "bounce", "reader@example.com"],
    ["outbox", "send"],
    ["outbox", "status"],
    ["outbox", "retry", "--all"],
    ["themes", "suggest"],
    ["newsletter", "preview", "first", "--output", "{tmp}/first.eml"],
    ["newsletter", "send", "first", "--yes"],
    ["newsletter", "status"],
    ["newsletter", "cancel", "first"],
]
# Commands that only read and write files: they run whatever the database's state.
FILE_COMMANDS = [
    ["editions", "demo", "--count", "2", "{tmp}/demo"],
]
BEHIND = "the database schema is behind the code (at revision "


def _app(make_app: AppFactory, make_database: DatabaseFactory, state: str) -> Flask:
    return make_app(DATABASE_URL=put_in_state(make_database(migrated=False), state))


def _invoke(app: Flask, args: list[str], tmp_path: Path) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=[arg.format(tmp=tmp_path) for arg in args])
    return result.exit_code, result.output


def _command_names(app: Flask) -> set[str]:
    groups = [app.cli.commands[name] for name in app.cli.commands if name != "db"]
    return {f"{group.name} {name}" for group in groups for name in getattr(group, "commands", {})}


def test_the_tables_name_every_command(make_app: AppFactory) -> None:
    table = {" ".join(args[:2]) for args in DATABASE_COMMANDS + FILE_COMMANDS}
    assert _command_names(make_app()) == table


@pytest.mark.sqlite_only
@pytest.mark.parametrize("state", ["missing", "behind"])
@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_a_database_command_says_what_to_do_in_one_line(
    make_app: AppFactory,
    make_database: DatabaseFactory,
    tmp_path: Path,
    state: str,
    args: list[str],
) -> None:
    code, output = _invoke(_app(make_app, make_database, state), args, tmp_path)
    assert code == 1, output
    assert len(output.strip().splitlines()) == 1, output
    expected = f"Error: {NO_SCHEMA}" if state == "missing" else f"Error: {BEHIND}"
    assert output.startswith(expected), output
    assert output.rstrip().endswith("run 'flask db upgrade'"), output


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", FILE_COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_a_file_command_runs_on_a_database_never_migrated(
    make_app: AppFactory, make_database: DatabaseFactory, tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "none").mkdir()
    code, output = _invoke(_app(make_app, make_database, "missing"), args, tmp_path)
    assert "database" not in output, output
    assert code == 0, output


@pytest.mark.parametrize("state", ["missing", "behind"])
def test_db_upgrade_brings_the_database_to_where_commands_run(
    make_app: AppFactory, make_database: DatabaseFactory, tmp_path: Path, state: str
) -> None:
    app = _app(make_app, make_database, state)
    assert _invoke(app, ["subscribers", "stats"], tmp_path)[0] == 1
    assert _invoke(app, ["db", "upgrade"], tmp_path) == (0, "Database schema is up to date.\n")
    code, output = _invoke(app, ["subscribers", "stats"], tmp_path)
    assert (code, output) == (
        0,
        "Subscribers: 0 pending, 0 confirmed, 0 unsubscribed, 0 bounced (0 in all).\n",
    )


def test_a_schema_newer_than_the_code_is_warned_about_and_used(
    make_app: AppFactory, make_database: DatabaseFactory, tmp_path: Path
) -> None:
    code, output = _invoke(_app(make_app, make_database, "unknown"), ["outbox", "status"], tmp_path)
    assert code == 0, output
    assert f"warning: the database schema is at revision {NEWER_REVISION}" in output
    assert "Outbox: 0 sent, 0 queued (0 due now), 0 failed (given up)." in output


@pytest.mark.sqlite_only
def test_a_database_out_of_reach_is_one_line(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.sqlite3'}")
    code, output = _invoke(app, ["subscribers", "stats"], tmp_path)
    assert code == 1, output
    assert output.startswith("Error: the database is out of reach: OperationalError"), output
    assert len(output.strip().splitlines()) == 1, output
