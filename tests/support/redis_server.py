"""A throwaway Redis server from Debian's package, for tests: temp directory, free port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.support import processes
from tests.support.pg import free_port

START_TIMEOUT_S = 30
# Debian's redis-server package puts the binary here; `make redis` installs it.
DEBIAN_BINARY = "/usr/bin/redis-server"


class RedisUnavailable(RuntimeError):
    """redis-server could not be found or started; the message says what to do."""


def find_binary() -> str | None:
    """Return the path of redis-server: PATH first, then Debian's place; None when absent."""
    found = shutil.which("redis-server")
    if found:
        return found
    return DEBIAN_BINARY if os.access(DEBIAN_BINARY, os.X_OK) else None


@dataclass
class RedisServer:
    """A running redis-server on 127.0.0.1:`port`, keeping its files in `folder`."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Return the storage URI the rate limiter takes (PORTAL_RATELIMIT_STORAGE_URI)."""
        return f"redis://127.0.0.1:{self.port}"

    def keys(self, pattern: str = "*") -> list[str]:
        """Return the keys stored that match a pattern."""
        with redis.Redis(port=self.port, decode_responses=True) as client:
            return sorted(str(key) for key in client.keys(pattern))

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM: a clean shutdown) and remove its folder."""
        processes.stop(self.process, signal.SIGTERM, START_TIMEOUT_S)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(binary: str) -> RedisServer:
    """Start redis-server in a new temp directory, no persistence; return once it answers PING."""
    folder = Path(tempfile.mkdtemp(prefix="portal-redis-"))
    port = free_port()
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
    # Nothing to keep: no snapshots, no append-only file, no Unix socket.
    command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
    with open(folder / "server.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    server = RedisServer(folder, port, process)
    try:
        _wait_until_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: RedisServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while server.process.poll() is None and time.monotonic() < deadline:
        try:
            with redis.Redis(port=server.port, socket_connect_timeout=1) as client:
                if client.ping():
                    return
        except redis.ConnectionError:
            time.sleep(0.05)
    log = (server.folder / "server.log").read_text(errors="replace")
    raise RedisUnavailable(f"redis-server did not start on port {server.port}:\n{log}")


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """Run a redis-server for a `with` block; skip the test where there is none, except in CI."""
    binary = find_binary()
    if binary is None:
        message = "redis-server is not installed: `make redis` (apt-get install redis-server)"
        if os.environ.get("CI"):
            raise RedisUnavailable(message)  # CI installs it (`make test`): absent is a failure
        pytest.skip(message)
    server = start(binary)
    try:
        yield server
    finally:
        server.stop()
