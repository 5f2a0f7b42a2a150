"""Search benchmark (`make bench`): build, in-process latency against Whoosh's floor, and HTTP.

Prints medians and ratios measured in one run on this machine, the HTTP ones (issue #23's
table, bench/search_http.py) beside a minimal page measured in the same run; it asserts
nothing. `--count 30000` (`make bench-30000`) runs it at 30,000 editions. Everything runs
on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whoosh import index as whoosh_index  # noqa: E402
from whoosh.query import And  # noqa: E402

import index  # noqa: E402
from bench import search_http  # noqa: E402
from bench.queries import query_mix  # noqa: E402
from bench.wxr_import import measured  # noqa: E402
from index.query import filter_terms, make_parsers, parse  # noqa: E402
from index.schema import build_schema  # noqa: E402
from index.snippets import FORMATTER, FRAGMENTER  # noqa: E402
from index.storage import live_build  # noqa: E402
from portal import create_app, search  # noqa: E402
from portal.db import get_engine, get_session  # noqa: E402
from portal.editions.catalogue import load_catalogue  # noqa: E402
from portal.importing.files import collect_edition_files  # noqa: E402
from portal.importing.run import import_files  # noqa: E402
from portal.migrations.migrate import upgrade  # noqa: E402

# The demo archive is made again whenever one of these changes.
GENERATOR_FILES = ("editions.py", "words.py", "vocabulary.txt")
# Written when the archive is prepared: how long importing it into the database took.
IMPORT_FIGURES = "import-figures.txt"


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """Return p50, p95 and p99 of values in milliseconds."""
    ordered = sorted(values)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]  # noqa: E731
    return statistics.median(ordered), pick(95), pick(99)


def prepare(workdir: Path, editions: int) -> dict[str, str]:
    """Create the demo archive and its database once per size; return the environment that uses them."""
    env = {
        "PORTAL_DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
        "PORTAL_INDEX_DIR": str(workdir / "index"),
        "PORTAL_SECRET_KEY": "bench",
        # One client asks thousands of times a second: lift the per-client search limit (the
        # limiter still counts each request, so its cost is in the figures).
        "PORTAL_SEARCH_RATE_LIMIT": "1000000000 per minute",
    }
    generator = b"".join((ROOT / "portal" / "demo" / name).read_bytes() for name in GENERATOR_FILES)
    marker = workdir / f"ready-{editions}-{hashlib.sha256(generator).hexdigest()[:12]}"
    if not marker.exists():
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        app = create_app(
            {
                "DATABASE_URL": env["PORTAL_DATABASE_URL"],
                "INDEX_DIR": env["PORTAL_INDEX_DIR"],
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            upgrade(get_engine())
            _import_demo(app, workdir, editions)
        marker.touch()
    else:  # an archive prepared by older code: bring its schema up to date
        app = create_app({"DATABASE_URL": env["PORTAL_DATABASE_URL"], "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade(get_engine())
    return env


def _import_demo(app: object, workdir: Path, editions: int) -> None:
    """Write the demo archive and import it into the database, noting the time and memory."""
    catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))  # type: ignore[attr-defined]
    from portal.demo.editions import write_demo_archive

    write_demo_archive(workdir / "demo", editions, [t.slug for t in catalogue])
    files, _missing = collect_edition_files([workdir / "demo"])
    start = time.perf_counter()
    report = import_files(files, catalogue)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (workdir / IMPORT_FIGURES).write_text(
        f"{report.added} editions in {seconds:.0f} s, this process at most {peak:.0f} MB"
    )
    print(f"prepared {report.added} demo editions in {workdir}")


def measure_build(env: dict[str, str], workdir: Path) -> None:
    """Rebuild the index with `flask index rebuild` and print its time, size and memory."""
    run = measured([sys.executable, "-m", "flask", "--app", "wsgi", "index", "rebuild"], env)
    build = live_build(Path(env["PORTAL_INDEX_DIR"]))
    size = sum(p.stat().st_size for p in build.rglob("*") if p.is_file()) / 1e6
    flat = sum(p.stat().st_size for p in build.glob("*.flat/*")) / 1e6
    print(
        f"build: {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU); index size {size:.1f} MB "
        f"(flat arrays {flat:.1f} MB of it); "
        f"largest process {run.peak_mb:.0f} MB, all its processes {run.tree_mb:.0f} MB  "
        f"({run.summary})"
    )
    imported = workdir / IMPORT_FIGURES
    if imported.exists():
        print(f"import (database only, when the archive was prepared): {imported.read_text()}")


def floor_search(searcher: object, parsers: object, request: index.SearchRequest) -> None:
    """The floor: the same parser and highlighting, straight through Whoosh, no facets or suggestions."""
    parsed = parse(parsers, request.q)  # type: ignore[arg-type]
    filters = filter_terms(request, parsed.kind)
    results = searcher.search(parsed.query, limit=20, filter=And(filters) if filters else None)  # type: ignore[attr-defined]
    results.fragmenter, results.formatter = FRAGMENTER, FORMATTER
    for hit in results:
        hit.highlights("body", top=2)


def measure_latency(app: object, rounds: int) -> None:
    """Print p50/p95/p99 of (a) the Whoosh floor and (b) the portal.search package, and b/a."""
    queries = query_mix()
    with app.app_context():  # type: ignore[attr-defined]
        folder = search.index_folder()
    floor_ix = whoosh_index.open_dir(str(live_build(folder)))
    parsers = make_parsers(build_schema())
    portal_index = index.SearchIndex(folder, cache_size=0)  # cold: no cached results
    a: list[float] = []
    b: list[float] = []
    with floor_ix.searcher() as searcher:
        for _ in range(rounds):
            for request in queries:  # interleaved, so both sides share the machine's noise
                start = time.perf_counter()
                floor_search(searcher, parsers, request)
                a.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                portal_index.search(request)
                b.append((time.perf_counter() - start) * 1000)
    (a50, a95, a99), (b50, b95, b99) = percentiles(a), percentiles(b)
    print(f"in-process, {len(queries)} queries x {rounds} rounds:")
    print(f"  (a) Whoosh floor        p50 {a50:6.1f} ms  p95 {a95:6.1f} ms  p99 {a99:6.1f} ms")
    print(
        f"  (b) portal.search       p50 {b50:6.1f} ms  p95 {b95:6.1f} ms  p99 {b99:6.1f} ms  (target p95 < 50 ms)"
    )
    print(f"  b/a at the median: {b50 / a50:.2f}  (target < 1.5)")


def measure_import(app: object, workdir: Path) -> None:
    """Print the time from importing one new edition to finding it in a search."""
    source = next((workdir / "demo").glob("*.md"))
    fresh = workdir / "fresh"
    fresh.mkdir(exist_ok=True)
    text = (
        source.read_text()
        .replace("slug: demo-", "slug: fresh-demo-", 1)
        .replace("title: ", "title: Quixotic ", 1)
    )
    (fresh / f"fresh-{time.time_ns()}.md").write_text(
        text.replace("slug: fresh-demo-", f"slug: fresh{time.time_ns()}-demo-", 1)
    )
    searcher = index.SearchIndex(search.index_folder(app), cache_size=0)  # type: ignore[arg-type]
    with app.app_context():  # type: ignore[attr-defined]
        catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))  # type: ignore[attr-defined]
        files, _ = collect_edition_files([fresh])
        start = time.perf_counter()
        import_files(files[-1:], catalogue)
        search.update_index(get_session())
        total = searcher.search(index.SearchRequest("quixotic")).total
        seconds = time.perf_counter() - start
    print(
        f"import one edition -> searchable: {seconds * 1000:.0f} ms (found {total} documents; target < 1 s)"
    )


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--editions", "--count", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of Zipf traffic before measuring"
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    env = prepare(args.workdir, args.editions)
    app = create_app(
        {
            "DATABASE_URL": env["PORTAL_DATABASE_URL"],
            "INDEX_DIR": env["PORTAL_INDEX_DIR"],
            "SECRET_KEY": "bench",
        }
    )
    print(f"PRODUCTHEAD search benchmark: {args.editions} demo editions, {os.cpu_count()} cores")
    server_env = os.environ | env
    measure_build(server_env, args.workdir)
    measure_latency(app, args.rounds)
    search_http.measure(server_env, ROOT, args.workdir, args.seconds, args.warmup)
    measure_import(app, args.workdir)


if __name__ == "__main__":
    main()
