"""Helpers for the delivery tests: editions and subscribers stored directly, apps, subprocesses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, select

from portal.db import get_session
from portal.models import Edition, Subscriber
from portal.settings import PROJECT_ROOT

SIGNED_UP = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def add_edition(app: Flask, slug: str, date: dt.date | None = dt.date(2026, 1, 5)) -> int:
    """Store a small edition and return its id."""
    with app.app_context():
        session = get_session()
        edition = Edition(
            slug=slug,
            title=f"Edition {slug}",
            date=date,
            highlights=["A highlight"],
            intro=["An intro."],
            content_hash=hashlib.sha256(slug.encode()).hexdigest(),
        )
        session.add(edition)
        session.commit()
        return edition.id


def address(n: int) -> str:
    """Return the address of the n-th test reader."""
    return f"reader{n}@example.com"


def add_subscribers(app: Flask, numbers: range, status: str = "confirmed") -> None:
    """Store subscribers reader{n}@example.com with this status, in one INSERT."""
    rows = [
        {
            "email": address(n),
            "first_name": f"Reader{n}",
            "status": status,
            "signed_up_at": SIGNED_UP,
            "signup_client_hash": "0" * 64,
            "consent_version": "1",
            "confirmed_at": SIGNED_UP if status == "confirmed" else None,
        }
        for n in numbers
    ]
    with app.app_context():
        session = get_session()
        session.execute(insert(Subscriber), rows)
        session.commit()


def subscriber_status(app: Flask, email: str) -> str:
    """Return one subscriber's status."""
    with app.app_context():
        status = get_session().scalar(select(Subscriber.status).where(Subscriber.email == email))
        assert status is not None
        return status


def mail_config(port: int, **more: object) -> dict[str, object]:
    """Return app settings that send the newsletter to the test SMTP server."""
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_TLS": "none",
        "SMTP_TIMEOUT_SECONDS": 5,
        "MAIL_RATE": 0,
        "MAIL_CONNECTIONS": 3,
        "BASE_URL": "http://portal.example",
    } | more


def status_json(runner: FlaskCliRunner, slug: str) -> dict[str, object]:
    """Return `flask newsletter status SLUG --json`, parsed."""
    result = runner.invoke(args=["newsletter", "status", slug, "--json"])
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.output)
    return found


def send(runner: FlaskCliRunner, slug: str, *more: str) -> Result:
    """Run `flask newsletter send SLUG --yes`."""
    return runner.invoke(args=["newsletter", "send", slug, "--yes", *more])


# Runs the real `flask` command line; the claim lease can be shortened so that a resume
# after a SIGKILL need not wait the full minute (the only change from production).
FLASK = (
    "import os, sys\n"
    "from portal.newsletter import deliveries\n"
    "deliveries.LEASE_SECONDS = float(os.environ.get('TEST_LEASE_SECONDS', '60'))\n"
    "from flask.cli import main\n"
    "sys.argv = ['flask', *sys.argv[1:]]\n"
    "main()\n"
)


def flask_process(
    args: list[str], env: dict[str, str], log: Path | None = None, terminal: int | None = None
) -> subprocess.Popen[bytes]:
    """Start `flask ARGS` as a subprocess of its own, output to `log` (or all on `terminal`)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    environment |= {"FLASK_APP": "wsgi", "PYTHONPATH": str(PROJECT_ROOT)} | env
    command = [sys.executable, "-c", FLASK, *args]
    if terminal is not None:
        streams = {"stdin": terminal, "stdout": terminal, "stderr": terminal}
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, **streams)
    assert log is not None
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def process_env(app: Flask, port: int, **more: str) -> dict[str, str]:
    """Return PORTAL_* variables for a subprocess using the app's database and the SMTP server."""
    config = app.config
    return {
        "PORTAL_DATABASE_URL": config["DATABASE_URL"],
        "PORTAL_SECRET_KEY": config["SECRET_KEY"],
        "PORTAL_INDEX_DIR": config["INDEX_DIR"],
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(port),
        "PORTAL_SMTP_TLS": "none",
        "PORTAL_MAIL_RATE": "0",
        "PORTAL_BASE_URL": "http://portal.example",
    } | more
