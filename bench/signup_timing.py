"""Sign-up timing benchmark: does the answer take longer for a new address than a known one?

Starts the portal under gunicorn (one worker, the project's gunicorn.conf.py) on a fresh
SQLite database (or `--database-url`) with an SMTP sink, signs one address up beforehand,
then sends sign-ups alternating between a new address each time and that known address,
each with a freshly fetched form (untimed), and times the POST alone; between sign-ups it
waits for the mail a new address causes, so no delivery overlaps a timed request. Prints
the median of each and their difference; asserts nothing. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_load import Gunicorn  # noqa: E402
from bench.load import SmtpSink  # noqa: E402
from portal import create_app  # noqa: E402
from portal.db import get_engine  # noqa: E402
from portal.migrations.migrate import upgrade  # noqa: E402

KNOWN = "known-reader@example.com"
SETTLE_TIMEOUT_S = 10.0
SETTLE_AFTER_S = 0.01
FIELDS = re.compile(r'name="(csrf_token|started)" type="hidden" value="([^"]+)"')


def environment(database: str, smtp_port: int) -> dict[str, str]:
    """Return the portal's settings for the run: no fill-time minimum, no effective rate limit."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "GUNICORN_"))}
    return inherited | {
        "PORTAL_DATABASE_URL": database,
        "PORTAL_SECRET_KEY": "bench",
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(smtp_port),
        "PORTAL_SMTP_TLS": "none",
        "PORTAL_SIGNUP_MIN_SECONDS": "0",
        "PORTAL_SIGNUP_RATE_LIMIT": "1000000 per minute",
        "GUNICORN_WORKERS": "1",
    }


def migrate(database: str) -> None:
    """Bring the database's schema up to date."""
    app = create_app({"DATABASE_URL": database, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(get_engine())
        get_engine().dispose()


def timed_sign_up(connection: http.client.HTTPConnection, address: str) -> float:
    """Fetch the form (untimed), then POST it for `address`; return the POST's time in ms."""
    connection.request("GET", "/subscribe")
    form = connection.getresponse()
    fields = dict(FIELDS.findall(form.read().decode()))
    cookie = (form.getheader("Set-Cookie") or "").split(";")[0]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    body = urlencode(fields | {"email": address})
    start = time.perf_counter()
    connection.request("POST", "/subscribe", body, headers)
    answer = connection.getresponse()
    answer.read()
    elapsed = (time.perf_counter() - start) * 1000
    if answer.status != 303:
        raise RuntimeError(f"sign-up of {address} answered {answer.status}")
    return elapsed


def settle(sink: SmtpSink, expected: int) -> None:
    """Wait until the sink has every mail due, and a little more for its delivery to be recorded.

    Mail goes out after the answer, in the background: without this, one sign-up's delivery
    would land on the next requests, and the alternation below would charge it unevenly.
    """
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while sink.received < expected and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(SETTLE_AFTER_S)


def measure(port: int, sink: SmtpSink, pairs: int, warmup: int) -> dict[str, list[float]]:
    """Alternate new and known sign-ups (order swapped every pair); return the POST times."""
    times: dict[str, list[float]] = {"new": [], "known": []}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    stamp = f"{time.time_ns():x}"
    timed_sign_up(connection, KNOWN)
    mailed = 1
    settle(sink, mailed)
    for number in range(warmup + pairs):
        order = [("new", f"new-{stamp}-{number}@example.com"), ("known", KNOWN)]
        for kind, address in order if number % 2 else reversed(order):
            elapsed = timed_sign_up(connection, address)
            mailed += kind == "new"
            settle(sink, mailed)
            if number >= warmup:
                times[kind].append(elapsed)
    connection.close()
    return times


def report(times: dict[str, list[float]]) -> None:
    """Print the median of each kind of sign-up and their difference."""
    new, known = statistics.median(times["new"]), statistics.median(times["known"])
    print(f"sign-up answer, {len(times['new'])} pairs, POST only (median ms):")
    print(f"  new address    {new:7.2f}")
    print(f"  known address  {known:7.2f}")
    print(f"  difference     {new - known:+7.2f} ms (new - known)")
    # Neighbouring requests share the machine's load at that moment: their difference is
    # steadier than the difference of the medians on a busy machine.
    paired = statistics.median(n - k for n, k in zip(times["new"], times["known"], strict=True))
    print(f"  paired difference, median {paired:+.2f} ms")
    quartiles = {k: statistics.quantiles(v, n=4) for k, v in times.items() if len(v) > 1}
    for kind, (low, _mid, high) in quartiles.items():
        print(f"  {kind:<6} interquartile range {low:.2f} .. {high:.2f} ms")


def main() -> None:
    """Parse the arguments, run the benchmark, print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=400, help="timed new/known pairs")
    parser.add_argument("--warmup", type=int, default=20, help="untimed pairs first")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--workdir", type=Path, help="where the SQLite file and log go")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="portal-signup-timing-") as scratch:
        run(args, Path(scratch))  # removed afterwards, log and all


def run(args: argparse.Namespace, workdir: Path) -> None:
    """Serve the portal on a fresh database in `workdir`, time the sign-ups, print figures."""
    database = args.database_url or f"sqlite:///{workdir / 'signup-timing.sqlite3'}"
    migrate(database)
    with SmtpSink() as sink:
        env = environment(database, sink.port)
        with Gunicorn("wsgi:app", env, ROOT, workdir / "gunicorn-signup-timing.log") as server:
            times = measure(server.port, sink, args.pairs, args.warmup)
    report(times)


if __name__ == "__main__":
    main()
