"""Newsletter delivery benchmark: `flask newsletter send` against a bare smtplib loop.

For each database (SQLite file, then a PostgreSQL server the benchmark starts): stores one
edition (the largest bundled one) and N confirmed subscribers, times recording the audience
(one INSERT ... SELECT), then runs the real `flask newsletter send SLUG --yes` with
PORTAL_MAIL_CONNECTIONS connections and no rate limit to a local SMTP sink (aiosmtpd, a
process of its own, started here), and measures that process's messages a second and peak
memory. Beside it, a bare smtplib loop sends one pre-rendered message over the same number
of connections to the same sink: the ceiling a sender could reach. Prints the figures and
the ratio (target at least 0.5; memory under 300 MB). Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select  # noqa: E402

from bench.wxr_import import measured  # noqa: E402
from portal import create_app  # noqa: E402
from portal.db import get_session  # noqa: E402
from portal.migrations import migrate  # noqa: E402
from portal.models import Edition, Subscriber  # noqa: E402
from portal.newsletter import Recipient, render_edition_email, sends  # noqa: E402

EDITION = ROOT / "archive" / "will-platforms-conquer-the-world.md"
TARGET_RATIO, TARGET_MB = 0.5, 300.0
SIGNED_UP = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_sink(port: int) -> subprocess.Popen[bytes]:
    """Start aiosmtpd with its Sink handler (accepts and discards) and wait until it answers."""
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
    sink = subprocess.Popen([*command, "-l", f"127.0.0.1:{port}"], cwd=ROOT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2):
                return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def settings(url: str, workdir: Path, smtp_port: int, connections: int) -> dict[str, str]:
    """Return the PORTAL_* settings of the benchmark's app and its `flask` processes."""
    return {
        "PORTAL_DATABASE_URL": url,
        "PORTAL_INDEX_DIR": str(workdir / "index"),
        "PORTAL_SECRET_KEY": "bench",
        "PORTAL_SMTP_HOST": "127.0.0.1",
        "PORTAL_SMTP_PORT": str(smtp_port),
        "PORTAL_SMTP_TLS": "none",
        "PORTAL_MAIL_RATE": "0",
        "PORTAL_MAIL_CONNECTIONS": str(connections),
        "PORTAL_BASE_URL": "https://producthead.example",
    }


def prepare(env: dict[str, str], readers: int) -> None:
    """Migrate the database, import the edition, store the confirmed subscribers."""
    engine = create_engine(env["PORTAL_DATABASE_URL"])
    migrate.upgrade(engine)
    engine.dispose()
    measured(
        [sys.executable, "-m", "flask", "--app", "wsgi", "editions", "import", str(EDITION)], env
    )
    rows = [
        {
            "email": f"reader{n}@example.com",
            "first_name": f"Reader{n}" if n % 2 else None,
            "status": "confirmed",
            "signed_up_at": SIGNED_UP,
            "signup_client_hash": "0" * 64,
            "consent_version": "1",
            "confirmed_at": SIGNED_UP,
        }
        for n in range(readers)
    ]
    app = create_app(_config(env))
    with app.app_context():
        get_session().execute(insert(Subscriber), rows)
        get_session().commit()


def _config(env: dict[str, str]) -> dict[str, object]:
    return {key.removeprefix("PORTAL_"): value for key, value in env.items()} | {
        "SMTP_PORT": int(env["PORTAL_SMTP_PORT"])
    }


def record_audience(env: dict[str, str]) -> tuple[float, bytes, str]:
    """Time recording the audience; return it, one reader's message and the edition's slug."""
    app = create_app(_config(env))
    with app.app_context():
        edition = get_session().scalars(select(Edition)).one()
        started = time.perf_counter()
        waiting = sends.start_send(edition.id)
        seconds = time.perf_counter() - started
        assert waiting > 0
        email = render_edition_email(get_session(), edition.slug)
        message = email.message_for(Recipient(1, "reader1@example.com", "Reader1"))
        return seconds, message, edition.slug


def bare_loop(port: int, message: bytes, count: int, connections: int) -> float:
    """Send `count` copies of one message over `connections` smtplib connections; return msg/s."""
    share = [count // connections + (n < count % connections) for n in range(connections)]

    def run(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for i in range(share[n]):
                smtp.sendmail("newsletter@example.com", [f"r{n}-{i}@example.com"], message)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


def bench_one(name: str, url: str, workdir: Path, port: int, args: argparse.Namespace) -> None:
    """Run and print the benchmark on one database."""
    env = settings(url, workdir, port, args.connections)
    prepare(env, args.subscribers)
    audience, message, slug = record_audience(env)
    run = measured(
        [sys.executable, "-m", "flask", "--app", "wsgi", "newsletter", "send", slug, "--yes"], env
    )
    found = re.search(r"this run sent (\d+) in ([\d.]+) s", run.summary)
    if not found or int(found[1]) != args.subscribers:
        raise SystemExit(f"unexpected summary: {run.summary}")
    rate = int(found[1]) / float(found[2])
    bare = bare_loop(port, message, args.subscribers, args.connections)
    print(
        f"{name}: {args.subscribers} subscribers, {args.connections} connections, message {len(message) / 1024:.1f} KB"
    )
    print(f"  record the audience: {audience:.3f} s")
    print(f"  flask newsletter send: {rate:.0f} messages/s ({float(found[2]):.1f} s)")
    print(f"  bare smtplib loop:     {bare:.0f} messages/s")
    print(f"  ratio send/bare: {rate / bare:.2f} (target >= {TARGET_RATIO})")
    print(f"  peak memory of the send process: {run.peak_mb:.0f} MB (target < {TARGET_MB:.0f})")
    print(f"  {run.summary}", flush=True)


def main() -> None:
    """Parse the options and run the benchmark on each database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    port = free_port()
    sink = start_sink(port)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-send-") as folder:
            for name in args.databases.split(","):
                workdir = Path(folder) / name
                workdir.mkdir()
                if name == "sqlite":
                    bench_one(name, f"sqlite:///{workdir / 'portal.sqlite3'}", workdir, port, args)
                else:
                    bench_postgresql(workdir, port, args)
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def bench_postgresql(workdir: Path, port: int, args: argparse.Namespace) -> None:
    """Start a PostgreSQL server of the benchmark's own and run the benchmark on it."""
    from tests.support import pg

    try:
        server = pg.start()
    except pg.PostgresUnavailable as error:
        print(f"postgresql: skipped ({error})")
        return
    try:
        server.execute("CREATE DATABASE bench_send")
        bench_one("postgresql", server.url("bench_send"), workdir, port, args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
