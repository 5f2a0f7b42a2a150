"""The portal under a real gunicorn for tests: environment, start, readiness, workers, requests."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Row, create_engine, text

from bench.http_load import child_pids
from portal.settings import PROJECT_ROOT
from tests.support import processes
from tests.support.signup_helpers import Mailbox, free_port, hidden_fields

PATIENCE = 90  # seconds; generous, because the machine is shared and slow is not wrong


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its address, its log, its database and its master process."""

    host: str
    log: Path
    database: str
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """Return the PIDs of the master's worker processes (our own grandchildren)."""
        return child_pids(self.process.pid)

    def tail(self, characters: int = 6000) -> str:
        """Return the end of the gunicorn log, for failure messages."""
        return self.log.read_text(errors="replace")[-characters:]


def portal_environment(
    database: str, mailbox: Mailbox, mail_dir: Path, **extra: str
) -> dict[str, str]:
    """Return the environment of a portal with no rate limit or fill-time minimum, mailing `mailbox`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PORTAL_", "GUNICORN_", "FLASK_"))
    }
    return (
        env
        | {
            "PORTAL_DATABASE_URL": database,
            "PORTAL_SECRET_KEY": "serving-test",
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(mailbox.port),
            "PORTAL_SMTP_TLS": "none",
            "PORTAL_MAIL_DIR": str(mail_dir),
            "PORTAL_SIGNUP_MIN_SECONDS": "0",
            "PORTAL_SIGNUP_RATE_LIMIT": "10000 per minute",
            "PORTAL_SQLITE_BUSY_TIMEOUT_MS": "30000",
        }
        | extra
    )


def status_of(host: str, path: str, timeout: float = PATIENCE) -> int:
    """Return the status of one GET on a fresh connection."""
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wait_until_answering(host: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            # /subscribe needs no database, so a server whose database is down still answers.
            if status_of(host, "/subscribe", timeout=5) == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {PATIENCE} s:\n{log.read_text()}")


@contextmanager
def gunicorn(
    env: Mapping[str, str], log: Path, workers: int = 3, app: str = "wsgi:app"
) -> Iterator[Server]:
    """Run gunicorn with the project's gunicorn.conf.py on a free port; stop it by its PID."""
    port = free_port()
    env = dict(env) | {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    # The project's own gunicorn.conf.py (threads, timeouts), but no control socket: its
    # fixed path in $HOME would clash with a developer's server or another test run.
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    command += ["--no-control-socket", app]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_answering(f"127.0.0.1:{port}", process, log)
            yield Server(f"127.0.0.1:{port}", log, env["PORTAL_DATABASE_URL"], process)
        finally:
            processes.stop(process, signal.SIGTERM, PATIENCE)


def query(database: str, sql: str) -> list[Row[Any]]:
    """Return the rows of one query, read through a connection of our own."""
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def sign_up_over_http(host: str, address: str, timeout: float = PATIENCE) -> int:
    """GET the sign-up form like a browser, then POST it; return the POST's status."""
    return post_form(host, filled_signup_form(host, address, timeout), timeout)


@dataclass(frozen=True)
class FilledForm:
    """A sign-up form as a browser would send it: the body and its session cookie."""

    body: str
    cookie: str


def filled_signup_form(host: str, address: str, timeout: float = PATIENCE) -> FilledForm:
    """GET the sign-up form like a browser and fill in the address."""
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.request("GET", "/subscribe")
        form = connection.getresponse()
        page = form.read().decode()
        cookie = (form.getheader("Set-Cookie") or "").split(";")[0]
    finally:
        connection.close()
    return FilledForm(urlencode(hidden_fields(page) | {"email": address}), cookie)


def post_form(host: str, form: FilledForm, timeout: float = PATIENCE) -> int:
    """POST a filled sign-up form; return the answer's status."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie}
    connection = http.client.HTTPConnection(host, timeout=timeout)
    try:
        connection.request("POST", "/subscribe", form.body, headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def owner_of_connection(local_port: int, pids: list[int]) -> int | None:
    """Return which of `pids` holds the 127.0.0.1 TCP socket bound to `local_port`, if any."""
    return _holder(pids, address_field=1, port=local_port)  # the socket's own address


def worker_serving(client_port: int, pids: list[int]) -> int | None:
    """Return which of `pids` accepted the connection our socket bound to `client_port` made."""
    return _holder(pids, address_field=2, port=client_port)  # the server's end: our port remote


def _holder(pids: list[int], address_field: int, port: int) -> int | None:
    """Return which of `pids` holds a TCP socket whose local (1) or remote (2) port is `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()  # addresses as hex "0100007F:ABCD"; the inode is field 9
        if int(fields[address_field].split(":")[1], 16) == port:
            inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        try:
            targets = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue  # the process ended while we looked
        if targets & inodes:
            return pid
    return None


def wait_until_gone(pid: int) -> None:
    """Wait until a process (reaped by its parent) no longer exists."""
    deadline = time.monotonic() + PATIENCE
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            pytest.fail(f"process {pid} did not end")
        time.sleep(0.05)
