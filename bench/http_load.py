"""A bounded HTTP load on 127.0.0.1: client processes with keep-alive threads, then stop."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoadResult:
    """Requests per second, latency percentiles (ms) and errors of one load run."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms) or [0.0]
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_pids(pid: int) -> list[int]:
    """Return the PIDs of a process's children (a gunicorn master's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The parent's PID is the second field after the name, which is in parentheses.
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if parent == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


class Gunicorn:
    """A gunicorn server on 127.0.0.1 for the length of a `with` block, stopped by its PID."""

    def __init__(
        self, app: str, env: Mapping[str, str], root: Path, log: Path | None = None
    ) -> None:
        self.port = free_port()
        self.app, self.env, self.root, self.log = app, dict(env), root, log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", self.app]
        env = self.env | {"GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_ACCESS_LOG": ""}
        errors = self.log.open("wb") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stderr=errors)
        if self.log:
            errors.close()  # type: ignore[union-attr]  # the child keeps its own copy
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz-missing", timeout=1)
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        """Return the PIDs of the server's worker processes."""
        assert self.process is not None
        return child_pids(self.process.pid)

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def _client(
    port: int, paths: list[str], seconds: float, threads: int, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = offset
        while time.monotonic() < stop:
            path = paths[n % len(paths)]
            n += threads
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            latencies.append((time.perf_counter() - start) * 1000)

    pool = [threading.Thread(target=worker, args=(os.getpid() * 7 + i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((latencies, errors[0]))


def drive(
    port: int, paths: list[str], seconds: float, processes: int = 2, threads: int = 4
) -> LoadResult:
    """Send GETs for `paths` (cycled) from several client processes for `seconds`."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start = time.perf_counter()
    clients = [
        multiprocessing.Process(
            target=_client, args=(port, paths[i::processes] or paths, seconds, threads, queue)
        )
        for i in range(processes)
    ]
    for client in clients:
        client.start()
    gathered = [queue.get(timeout=seconds + 60) for _ in clients]
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - start
    latencies = [ms for part, _errors in gathered for ms in part]
    return LoadResult(len(latencies), sum(e for _l, e in gathered), elapsed, latencies)


def median(values: list[float]) -> float:
    """Return the median, or 0 for no values."""
    return statistics.median(values) if values else 0.0
