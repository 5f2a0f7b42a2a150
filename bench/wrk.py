"""Drive GET load with wrk (C, one thread per process), and sign-ups from a Python thread."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

LUA = Path(__file__).with_name("wrk_paths.lua")
# A request slower than this counts as an error (wrk's own default, 2 s, would count a
# page that is merely slow under maintenance as failed).
TIMEOUT = "10s"


@dataclass(frozen=True)
class RouteFigures:
    """Requests per second, latency percentiles (ms) and errors of one route."""

    route: str
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_version() -> str:
    """Return wrk's version line, or fail saying how to install it."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench-load` installs it (apt-get install wrk)")
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout + done.stderr).split()
    return " ".join(first[:2])  # "wrk debian/4.1.0-3+b2"


class WrkRun:
    """One wrk process on one list of paths, running until its duration ends or it is stopped."""

    def __init__(
        self,
        route: str,
        port: int,
        paths: list[str],
        connections: int,
        seconds: float,
        workdir: Path,
    ) -> None:
        self.route = route
        path_file = workdir / f"paths-{route.replace(' ', '-')}.txt"
        path_file.write_text("\n".join(paths) + "\n")
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        command += ["--timeout", TIMEOUT, "-s", str(LUA), f"http://127.0.0.1:{port}"]
        self.process = subprocess.Popen(
            command,
            env=os.environ | {"WRK_PATHS": str(path_file)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> None:
        """Ask wrk to finish now (it prints its figures on SIGINT)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def figures(self) -> RouteFigures:
        """Wait for wrk to finish and return its figures."""
        output, _ = self.process.communicate(timeout=3600)
        line = next((ln for ln in output.splitlines() if ln.startswith('{"requests"')), None)
        if line is None:
            raise RuntimeError(f"wrk printed no figures for {self.route}:\n{output}")
        f = json.loads(line)
        errors = f["connect"] + f["read"] + f["write"] + f["status"] + f["timeout"]
        return RouteFigures(
            self.route, f["requests"], f["seconds"], f["p50"], f["p95"], f["p99"], errors
        )


@dataclass
class SignupClient:
    """Sign-ups like a browser's, one after another: GET the form, POST it with its token."""

    port: int
    stamp: str
    form_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0
    seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start signing up in a thread."""
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the sign-up in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.seconds = time.perf_counter() - self.started

    def _run(self) -> None:
        number = 0
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self._stop.is_set():
            number += 1
            try:
                self._sign_up(connection, f"load-{self.stamp}-{number}@example.com")
            except (OSError, http.client.HTTPException, ValueError):
                self.errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.close()

    def _sign_up(self, connection: http.client.HTTPConnection, address: str) -> None:
        start = time.perf_counter()
        connection.request("GET", "/subscribe")
        form = connection.getresponse()
        page = form.read().decode()
        self._record(self.form_ms, start, form.status)
        fields = dict(
            re.findall(r'name="(csrf_token|started)" type="hidden" value="([^"]+)"', page)
        )
        if len(fields) != 2:
            raise ValueError("the sign-up form has no token")
        cookie = (form.getheader("Set-Cookie") or "").split(";")[0]
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        start = time.perf_counter()
        connection.request("POST", "/subscribe", urlencode(fields | {"email": address}), headers)
        answer = connection.getresponse()
        answer.read()
        self._record(self.post_ms, start, answer.status)

    def _record(self, into: list[float], start: float, status: int) -> None:
        into.append((time.perf_counter() - start) * 1000)
        if not 200 <= status < 400:
            self.errors += 1

    def figures(self) -> list[RouteFigures]:
        """Return the figures of the form GETs and of the POSTs."""
        return [
            _figures("sign-up form", self.form_ms, self.seconds, self.errors),
            _figures("sign-up POST", self.post_ms, self.seconds, 0),
        ]


def _figures(route: str, ms: list[float], seconds: float, errors: int) -> RouteFigures:
    ordered = sorted(ms) or [0.0]
    pick = lambda p: ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]  # noqa: E731
    return RouteFigures(route, len(ms), seconds, pick(50), pick(95), pick(99), errors)
