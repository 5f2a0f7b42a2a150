"""Load benchmark (`make bench-load`): a bounded mixed workload on gunicorn over the demo archive.

Starts the portal under gunicorn with the project's gunicorn.conf.py on the 3,000-edition
demo archive (SQLite, or `--database-url`), drives edition, archive, theme and search pages
with wrk and sign-ups from a Python thread (an SMTP sink takes their mail), then measures a
minimal Flask page under the same settings as the ceiling. `--during-maintenance` runs the
mixed workload while `flask editions import` and `flask index rebuild` run. Prints figures
next to their targets; asserts nothing. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.http_load import Gunicorn, free_port  # noqa: E402
from bench.queries import query_mix, zipf_stream  # noqa: E402
from bench.search import prepare  # noqa: E402
from bench.wrk import RouteFigures, SignupClient, WrkRun, wrk_version  # noqa: E402
from portal import create_app  # noqa: E402
from portal.db import get_engine, get_session  # noqa: E402
from portal.editions.catalogue import load_catalogue  # noqa: E402
from portal.importing.files import collect_edition_files  # noqa: E402
from portal.importing.run import import_files  # noqa: E402
from portal.migrations.migrate import upgrade  # noqa: E402
from portal.models import Edition, Theme  # noqa: E402

# Connections per route: alone, the server's 2 workers x 4 threads are kept busy; in the
# mix, the routes share them roughly as readers would.
ALONE = 8
# Each distinct path is asked for this often before measuring: with two workers, a worker
# misses a given path with a chance of 1 in 64.
WARM_VISITS = 6
MIX = {"edition": 3, "archive": 2, "theme": 2, "search": 3}
TARGET_P99_MS = 250.0
TARGET_RSS_MB = 150.0
MAINTENANCE_CAP_S = 900.0
NEW_EDITIONS = 5


class SmtpSink:
    """An SMTP server on 127.0.0.1 that accepts and counts every message."""

    def __init__(self) -> None:
        self.port, self.received = free_port(), 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        """Count the message (aiosmtpd handler hook)."""
        self.received += 1
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()


def prepare_postgresql(url: str, workdir: Path, editions: int) -> dict[str, str]:
    """Load the demo archive into a PostgreSQL database once; return the environment using it."""
    prepare(workdir, editions)  # writes the demo files (and the SQLite copy) once
    env = {
        "PORTAL_DATABASE_URL": url,
        "PORTAL_INDEX_DIR": str(workdir / "index-postgresql"),
        "PORTAL_SECRET_KEY": "bench",
    }
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(get_engine())
        if (get_session().scalar(select(func.count()).select_from(Edition)) or 0) < editions:
            catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))
            files, _missing = collect_edition_files([workdir / "demo"])
            print(f"imported {import_files(files, catalogue).added} demo editions into {url}")
        get_engine().dispose()
    return env


def flask(env: dict[str, str], *args: str) -> float:
    """Run one `flask` command quietly; return its duration in seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - start


def route_paths(env: dict[str, str], seed: int = 5) -> dict[str, list[str]]:
    """Return the paths of each route of the workload, drawn from the archive deterministically."""
    rng = random.Random(seed)
    app = create_app(
        {"DATABASE_URL": env["PORTAL_DATABASE_URL"], "SECRET_KEY": "bench", "TESTING": True}
    )
    with app.app_context():
        session = get_session()
        slugs = list(session.scalars(select(Edition.slug).order_by(Edition.slug)))
        dates = list(session.scalars(select(Edition.date).where(Edition.date.is_not(None))))
        themes = list(session.scalars(select(Theme.slug).order_by(Theme.slug)))
        get_engine().dispose()
    per_page = int(app.config["EDITIONS_PER_PAGE"])
    months = sorted({(d.year, d.month) for d in dates})
    archive = ["/", "/editions/", "/themes/"]
    pages = (len(slugs) - 1) // per_page + 1
    archive += [f"/editions/?page={n}" for n in range(2, min(pages, 21) + 1)]
    archive += [f"/editions/{y}/" for y in sorted({y for y, _ in months})]
    archive += [f"/editions/{y}/{m:02d}/" for y, m in rng.sample(months, min(40, len(months)))]
    searches = zipf_stream(query_mix(), 2000, seed=11)
    fields = lambda r: (("q", r.q), ("theme", r.theme), ("year", r.year), ("sort", r.sort.value))  # noqa: E731
    return {
        "edition": [f"/editions/{s}" for s in rng.sample(slugs, min(500, len(slugs)))],
        "archive": archive,
        "theme": [f"/themes/{t}" for t in themes],
        "search": ["/search?" + urlencode({k: v for k, v in fields(r) if v}) for r in searches],
    }


def new_editions(workdir: Path, count: int) -> Path:
    """Write `count` copies of demo editions under new slugs into a fresh folder; return it."""
    stamp = time.strftime("%Y%m%d%H%M%S")
    folder = Path(tempfile.mkdtemp(prefix="new-", dir=workdir))
    for number, source in enumerate(sorted((workdir / "demo").glob("*.md"))[:count]):
        text = source.read_text().replace("slug: demo-", f"slug: load-{stamp}-{number}-demo-", 1)
        (folder / f"load-{stamp}-{number}.md").write_text(text)
    return folder


def drive_alone(
    port: int, paths: dict[str, list[str]], seconds: float, workdir: Path
) -> list[RouteFigures]:
    """Load each route by itself with ALONE connections; return the figures per route."""
    return [
        WrkRun(route, port, route_paths, ALONE, seconds, workdir).figures()
        for route, route_paths in paths.items()
    ]


def drive_mix(
    port: int,
    paths: dict[str, list[str]],
    seconds: float,
    workdir: Path,
    maintenance: threading.Thread | None = None,
) -> list[RouteFigures]:
    """Load every route at once, sign-ups included; with maintenance, until it has finished."""
    length = MAINTENANCE_CAP_S if maintenance else seconds
    runs = [WrkRun(r, port, paths[r], MIX[r], length, workdir) for r in MIX]
    signups = SignupClient(port, time.strftime("%Y%m%d%H%M%S"))
    signups.start()
    if maintenance is not None:
        maintenance.start()
        maintenance.join(timeout=MAINTENANCE_CAP_S)
        time.sleep(2.0)  # and a moment after it, on the new index and editions
        for run in runs:
            run.stop()
    figures = [run.figures() for run in runs]
    signups.stop()
    return figures + signups.figures()


@dataclass(frozen=True)
class WorkerMemory:
    """One worker's memory in MB, from /proc: VmRSS (every page it maps, shared libraries
    counted whole in each worker), its anonymous and file-backed parts, and Pss (shared pages
    split between the processes sharing them, as smem reports)."""

    rss: float
    anon: float
    file: float
    pss: float


def worker_memory_mb(server: Gunicorn) -> dict[int, WorkerMemory]:
    """Return each gunicorn worker's memory."""
    found = {}
    for pid in server.workers():
        fields = {}
        for name in (f"/proc/{pid}/status", f"/proc/{pid}/smaps_rollup"):
            for line in Path(name).read_text().splitlines():
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    fields[key] = int(value.split()[0]) / 1024
        found[pid] = WorkerMemory(
            fields.get("VmRSS", 0.0),
            fields.get("RssAnon", 0.0),
            fields.get("RssFile", 0.0),
            fields.get("Pss", 0.0),
        )
    return found


class MemoryWatch:
    """Samples the workers' memory every SAMPLE_SECONDS from a thread, keeping each worker's
    largest RSS: a worker trims its heap now and then, so one reading at the end could
    catch it just after a trim."""

    SAMPLE_SECONDS = 0.5

    def __init__(self, server: Gunicorn) -> None:
        self.server = server
        self.peak: dict[int, WorkerMemory] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.SAMPLE_SECONDS):
            self._sample()

    def _sample(self) -> None:
        try:
            now = worker_memory_mb(self.server)
        except OSError:  # a worker ended between listing and reading: next time
            return
        for pid, memory in now.items():
            if pid not in self.peak or memory.rss > self.peak[pid].rss:
                self.peak[pid] = memory


def print_table(title: str, figures: list[RouteFigures]) -> None:
    """Print one table of per-route figures."""
    print(title)
    print(f"  {'route':<13} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for f in figures:
        print(f"  {f.route:<13} {f.rps:8.1f} {f.p50:8.1f} {f.p95:8.1f} {f.p99:8.1f} {f.errors:7d}")
    worst = max(f.p99 for f in figures)
    errors = sum(f.errors for f in figures)
    print(
        f"  errors {errors} (target 0); worst p99 {worst:.1f} ms (target < {TARGET_P99_MS:.0f} ms)"
    )


def maintenance_thread(
    env: dict[str, str], workdir: Path, done: dict[str, float]
) -> threading.Thread:
    """Return a thread that imports a few new editions, then rebuilds the index, timing both."""

    def run() -> None:
        folder = new_editions(workdir, NEW_EDITIONS)
        done["import"] = flask(env, "editions", "import", str(folder))
        done["rebuild"] = flask(env, "index", "rebuild")

    return threading.Thread(target=run)


def server_environment(env: dict[str, str], smtp_port: int) -> dict[str, str]:
    """Return the portal's environment for the benchmark: mail to the sink, sign-ups unthrottled."""
    return (
        {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "GUNICORN_"))}
        | env
        | {
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp_port),
            "PORTAL_SMTP_TLS": "none",
            # One client address signs up many times a second: lift the per-IP limit, and
            # answer the form at once (the bot check wants 3 s between showing and sending).
            "PORTAL_SIGNUP_RATE_LIMIT": "1000000 per minute",
            # The same for searches: the limiter still counts each one (its real cost).
            "PORTAL_SEARCH_RATE_LIMIT": "1000000 per minute",
            "PORTAL_SIGNUP_MIN_SECONDS": "0",
        }
    )


@dataclass(frozen=True)
class PortalFigures:
    """What the portal did: each route alone (not in busy mode), the mix, the maintenance times."""

    alone: list[RouteFigures]
    mix: list[RouteFigures]
    maintenance: dict[str, float]


def warm_up(port: int, paths: dict[str, list[str]]) -> float:
    """Ask for every distinct path WARM_VISITS times from a few threads; return the seconds."""
    distinct = sorted({path for route in paths.values() for path in route})
    queue = [path for path in distinct for _ in range(WARM_VISITS)]
    random.Random(3).shuffle(queue)
    start = time.perf_counter()

    def fetch(path: str) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
            answer.read()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fetch, queue))
    return time.perf_counter() - start


def run_portal(
    env: dict[str, str], paths: dict[str, list[str]], args: argparse.Namespace
) -> tuple[PortalFigures, dict[int, WorkerMemory]]:
    """Serve the portal under gunicorn and drive the workload; return figures and worker RSS."""
    maintenance: dict[str, float] = {}
    log = args.workdir / "gunicorn-load.log"
    with Gunicorn("wsgi:app", env, ROOT, log=log) as server:
        # Warm-up: every worker opens the index and fills its caches, as a server that has
        # been up a while has: each distinct path is asked for WARM_VISITS times, so that each
        # worker most likely rendered it once; then the mix runs a moment.
        print(f"warm-up: {warm_up(server.port, paths):.0f} s", flush=True)
        drive_mix(server.port, paths, min(5.0, args.seconds), args.workdir)
        with MemoryWatch(server) as memory:
            if args.during_maintenance:
                busy = maintenance_thread(env, args.workdir, maintenance)
                alone, mix = [], drive_mix(server.port, paths, args.seconds, args.workdir, busy)
            else:
                alone = drive_alone(server.port, paths, args.seconds, args.workdir)
                mix = drive_mix(server.port, paths, args.seconds * 2, args.workdir)
    return PortalFigures(alone, mix, maintenance), memory.peak


def report(
    args: argparse.Namespace,
    client: str,
    portal: PortalFigures,
    ceiling: RouteFigures,
    rss: dict[int, WorkerMemory],
    mails: int,
) -> None:
    """Print every figure next to its target."""
    database = "PostgreSQL" if args.database_url else "SQLite"
    workers, threads = os.environ.get("GUNICORN_WORKERS"), os.environ.get("GUNICORN_THREADS", "4")
    print(
        f"PRODUCTHEAD load benchmark: {args.editions} demo editions on {database}, "
        f"{os.cpu_count()} cores, gunicorn.conf.py ({workers or os.cpu_count()} workers x "
        f"{threads} threads); load from {client}, one single-threaded process per route"
    )
    if portal.alone:
        print_table(f"each route alone, {args.seconds:.0f} s, {ALONE} connections:", portal.alone)
    if portal.maintenance:
        done = ", ".join(f"{k} {v:.1f} s" for k, v in portal.maintenance.items())
        print(
            f"during maintenance (editions import of {NEW_EDITIONS} new, then index rebuild: {done}):"
        )
    print_table(
        f"mixed workload ({', '.join(f'{r} x{c}' for r, c in MIX.items())} connections, "
        f"sign-ups one at a time; {mails} emails reached the SMTP sink):",
        portal.mix,
    )
    print(
        f"minimal Flask page (ceiling), same gunicorn settings: {ceiling.rps:.0f} req/s, "
        f"p99 {ceiling.p99:.1f} ms, errors {ceiling.errors}"
    )
    print_ratios(portal, ceiling)
    print_memory(rss)


def print_ratios(portal: PortalFigures, ceiling: RouteFigures) -> None:
    """Print each page's throughput as a share of the minimal Flask page's."""
    for route, target in (("edition", 0.5), ("search", 0.25)):
        alone = next((f for f in portal.alone if f.route == route), None)
        if alone is not None and ceiling.rps:
            print(f"  {route} / ceiling: {alone.rps / ceiling.rps:.3f}  (target >= {target})")


def print_memory(rss: dict[int, WorkerMemory]) -> None:
    """Print the most memory each worker reached."""
    sizes = ", ".join(
        f"pid {pid} RSS {m.rss:.0f} MB ({m.anon:.0f} anonymous, {m.file:.0f} files), "
        f"PSS {m.pss:.0f} MB"
        for pid, m in sorted(rss.items())
    )
    print(
        f"worker memory, the most each reached while measured (sampled every "
        f"{MemoryWatch.SAMPLE_SECONDS} s): {sizes}  (target < {TARGET_RSS_MB:.0f} MB each)"
    )


def main() -> None:
    """Prepare the data, run the workload and the ceiling, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--editions", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--database-url", help="a PostgreSQL URL to use instead of SQLite")
    parser.add_argument("--during-maintenance", action="store_true")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    if args.database_url:
        env = prepare_postgresql(args.database_url, args.workdir, args.editions)
    else:
        env = prepare(args.workdir, args.editions)
    base = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")} | env
    flask(base, "index", "update")  # builds the index when there is none, else quick
    paths = route_paths(env)
    client = wrk_version()
    with SmtpSink() as sink:
        server_env = server_environment(env, sink.port)
        portal, rss = run_portal(server_env, paths, args)
        with Gunicorn("bench.minimal_app:app", server_env, ROOT) as server:
            WrkRun("warm-up", server.port, ["/"], ALONE, 1, args.workdir).figures()
            ceiling = WrkRun("minimal page", server.port, ["/"], ALONE, args.seconds, args.workdir)
            ceiling_figures = ceiling.figures()
        mails = sink.received
    report(args, client, portal, ceiling_figures, rss, mails)


if __name__ == "__main__":
    main()
