"""`make run` serves on PORT, and the links in its emails point at that port; each PYTHON
gets a virtual environment of its own.

The Makefile's own `run` recipe runs, under the test's virtual environment, with its
`install` and `prepare` steps taken as done (`make -o`): the test brings a migrated database.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from portal.settings import PROJECT_ROOT
from tests.support.serving import PATIENCE, portal_environment, sign_up_over_http, status_of
from tests.support.signup_helpers import Mailbox, Received, free_port

pytestmark = pytest.mark.sqlite_only(reason="tests the Makefile, not the database")
CONFIRM_LINK = re.compile(r"(https?://[^/\s]+)/subscribe/confirm/[\w.-]+")


@contextmanager
def make_run(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `make run` (installing and preparing nothing); stop make and gunicorn at the end."""
    command = ["make", "--no-print-directory", "-o", "install", "-o", "prepare", "run"]
    command.append(f"VENV={sys.prefix}")
    with log.open("wb") as output:
        process = subprocess.Popen(
            command + args,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make and the gunicorn it started
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=PATIENCE)


def _wait_until_answering(host: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited with {process.returncode}:\n{log.read_text()}")
        try:
            if status_of(host, "/subscribe", timeout=5) == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"make run did not answer on {host} within {PATIENCE} s:\n{log.read_text()}")


def _mail_to(mailbox: Mailbox, address: str) -> Received:
    deadline = time.monotonic() + PATIENCE
    while not mailbox.to(address):
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.1)
    return mailbox.to(address)[0]


@pytest.mark.parametrize(
    ("port_on_command_line", "base_url"),
    [(True, None), (False, None), (True, "http://reader.example.test:9999")],
    ids=["make-run-PORT", "PORT-make-run", "base-url-set"],
)
def test_a_confirmation_link_points_at_the_port_served(
    migrated_database: Path,
    mailbox: Mailbox,
    tmp_path: Path,
    port_on_command_line: bool,
    base_url: str | None,
) -> None:
    database = tmp_path / "portal.sqlite3"
    database.write_bytes(migrated_database.read_bytes())
    port = free_port()
    env = portal_environment(f"sqlite:///{database}", mailbox, tmp_path / "mail")
    env |= {"GUNICORN_WORKERS": "1", "GUNICORN_CMD_ARGS": "--no-control-socket"}
    env |= {"PORTAL_INDEX_DIR": str(tmp_path / "index")}
    env = {name: value for name, value in env.items() if name not in ("PORT", "MAKEFLAGS")}
    env |= {} if port_on_command_line else {"PORT": str(port)}
    env |= {"PORTAL_BASE_URL": base_url} if base_url else {}
    args = [f"PORT={port}"] if port_on_command_line else []
    log = tmp_path / "make-run.log"
    with make_run(args, env, log) as process:
        host = f"127.0.0.1:{port}"
        _wait_until_answering(host, process, log)
        assert sign_up_over_http(host, "reader@example.com") == 303
        found = CONFIRM_LINK.search(_mail_to(mailbox, "reader@example.com").text)
        assert found, "no confirmation link in the mail"
        assert found.group(1) == (base_url or f"http://{host}")
        if base_url is None:  # the link leads to the server that sent it
            assert status_of(host, found.group(0).removeprefix(found.group(1))) == 200


@pytest.mark.parametrize(
    ("python", "venv"),
    [(None, ".venv"), ("python3.13", ".venv-3.13"), ("/usr/bin/python3.12", ".venv-3.12")],
)
def test_each_python_gets_a_virtual_environment_of_its_own(python: str | None, venv: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VENV", "MAKEFLAGS")}
    command = ["make", "--no-print-directory", "--dry-run", "-o", f"{venv}/.installed-test"]
    command += ["test-fast", *([f"PYTHON={python}"] if python else [])]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{venv}/bin/pytest --ignore=tests/browser"), done.stdout
