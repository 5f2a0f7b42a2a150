"""A throwaway PostgreSQL server from Debian's package, for tests: temp directory, free port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tests.support import processes

# Debian puts the server binaries here, one folder per major version, and not on PATH.
DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"
SUPERUSER = "portal"
START_TIMEOUT_S = 30
MEMORY_FOLDER = "/dev/shm"
# Durability buys nothing in a test cluster that is thrown away; these make it fast.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started; the message says what to do."""


def find_binaries() -> Path:
    """Return the folder holding initdb and postgres: PATH first, then Debian's layout."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent
    for folder in sorted(glob.glob(DEBIAN_BINARIES), key=_major_version, reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "postgres").exists():
            return Path(folder)
    raise PostgresUnavailable(
        "PostgreSQL's initdb and postgres were not found on PATH or in "
        f"{DEBIAN_BINARIES}; install Debian's package: apt-get install postgresql"
    )


def _major_version(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


def _server_user() -> str | None:
    """Return the unprivileged user to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    # PostgreSQL refuses to run as root; Debian's package creates the `postgres` user.
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable("running as root, and neither a postgres nor a nobody user exists")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing is listening on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running cluster in `folder`, listening on 127.0.0.1:`port`."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    command: list[str]
    user: str | None

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        """Return the SQLAlchemy URL of `database` on this server."""
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction, as CREATE/DROP DATABASE need."""
        conninfo = self.url("postgres", driver="postgresql")
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(statement.encode())

    def shut_down(self) -> None:
        """Stop the server by its PID with a fast shutdown (as `pg_ctl stop -m fast`), keeping its data."""
        # SIGINT is PostgreSQL's fast shutdown: open transactions are rolled back and
        # clients disconnected, then the server exits cleanly.
        processes.stop(self.process, signal.SIGINT, START_TIMEOUT_S)

    def start_again(self) -> None:
        """Start the shut-down server on the same folder and port; return once it accepts queries."""
        if self.process.poll() is None:
            raise RuntimeError("the server is still running")
        self.process = _launch(self.command, self.folder, self.user)
        _wait_until_ready(self)

    def restart(self) -> None:
        """Shut down fast and start again, as `pg_ctl restart -m fast` does."""
        self.shut_down()
        self.start_again()

    def stop(self) -> None:
        """Stop the server by its PID (fast shutdown) and remove its folder."""
        self.shut_down()
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PostgresServer:
    """Initialise a cluster in a new temp directory and start it; return once it accepts queries."""
    binaries = find_binaries()
    user = _server_user()
    # Not under pytest's tmp_path: that is private to root, and the server user must own this.
    folder = Path(tempfile.mkdtemp(prefix="portal-pg-", dir=_scratch_folder()))
    if user is not None:
        shutil.chown(folder, user, user)
    data = folder / "data"
    _run_as(
        user,
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        folder,
    )
    port = free_port()
    options = ["-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", str(folder)]
    for setting in FAST_SETTINGS:
        options += ["-c", setting]
    command = [str(binaries / "postgres"), "-D", str(data), *options]
    server = PostgresServer(folder, port, _launch(command, folder, user), command, user)
    try:
        _wait_until_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def _launch(command: list[str], folder: Path, user: str | None) -> subprocess.Popen[bytes]:
    """Start the postgres process, appending its output to the folder's server.log."""
    with open(folder / "server.log", "ab") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, **_as_user(user)
        )


def _scratch_folder() -> str | None:
    """Return a memory-backed folder when there is one (CREATE DATABASE is 15x faster), else None."""
    return MEMORY_FOLDER if os.access(MEMORY_FOLDER, os.W_OK | os.X_OK) else None


def _as_user(user: str | None) -> dict[str, Any]:
    """Return subprocess arguments that drop root to `user` (no supplementary groups)."""
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def _run_as(user: str | None, command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False, **_as_user(user))
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        raise PostgresUnavailable(f"{command[0]} failed ({done.returncode}):\n{output}")


def _wait_until_ready(server: PostgresServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            break
        try:
            server.execute("SELECT 1")
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        else:
            return
    log = (server.folder / "server.log").read_text(errors="replace")
    raise PostgresUnavailable(f"PostgreSQL did not start on port {server.port}:\n{log}")
