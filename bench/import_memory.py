"""Import memory benchmark: the database import and the index rebuild at several archive sizes.

For each size it writes that many demo editions into a temporary folder (not measured), then,
`--runs` times, into a fresh SQLite database: imports them (`import_files`, the database part
of `flask editions import`, in a process of its own) and rebuilds the index (`flask index
rebuild`); with `--whole`, also runs `flask editions import` (both in one process, the index
built by forks of the import's process). Prints each step's wall time, CPU seconds (the
process and those it waited for, Whoosh's writers) and peak memory: the largest single
process (ru_maxrss, see bench/wxr_import.py's LAUNCHER) and all its processes together
(summed PSS, sampled). Figures are medians of the runs. The folder is deleted at the end.
Asserts nothing.

`--project PATH` runs the measured steps in another checkout (an older commit, say) with this
interpreter, so two versions can be compared on one machine in one session.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.wxr_import import Run, measured  # noqa: E402
from portal.demo.editions import write_demo_archive  # noqa: E402
from portal.editions.catalogue import load_catalogue  # noqa: E402
from portal.settings import PROJECT_ROOT  # noqa: E402

# Run in the project's folder with PORTAL_* settings: what bench/search.py's prepare() measures.
IMPORT = """
import sys
from pathlib import Path
from portal import create_app
from portal.editions.catalogue import load_catalogue
from portal.importing.files import collect_edition_files
from portal.importing.run import import_files
app = create_app()
with app.app_context():
    catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))
    files, _missing = collect_edition_files([Path(sys.argv[1])])
    print(f"imported: {import_files(files, catalogue).summary()}")
"""
STEPS = ("import", "rebuild")
# `--whole`: `flask editions import` into a fresh database, the database and the index in one
# process (the index build forks from the import's process), as issue #23's row measured it.
WHOLE = "whole"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def run_size(
    workdir: Path, count: int, runs: int, project: Path, steps: tuple[str, ...]
) -> dict[str, list[Run]]:
    """Write `count` demo editions, then import and index them `runs` times; return the runs."""
    themes = [theme.slug for theme in load_catalogue(PROJECT_ROOT / "archive" / "themes.yaml")]
    demo = workdir / f"demo-{count}"
    write_demo_archive(demo, count, themes)
    found: dict[str, list[Run]] = {step: [] for step in steps}
    for number in range(1, runs + 1):
        env = fresh_database(workdir, count, project)
        found["import"].append(measured([sys.executable, "-c", IMPORT, str(demo)], env, project))
        found["rebuild"].append(measured([*FLASK, "index", "rebuild"], env, cwd=project))
        if WHOLE in steps:
            env = fresh_database(workdir, count, project)
            found[WHOLE].append(measured([*FLASK, "editions", "import", str(demo)], env, project))
        for step in steps:
            run = found[step][-1]
            print(
                f"  {count} editions, run {number}, {step}: {line(run)}  ({run.summary})",
                flush=True,
            )
    shutil.rmtree(demo)
    return found


def fresh_database(workdir: Path, count: int, project: Path) -> dict[str, str]:
    """Return the settings of a new folder with an empty migrated database (not measured)."""
    folder = Path(tempfile.mkdtemp(prefix=f"run-{count}-", dir=workdir))
    env = {
        "PORTAL_DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
        "PORTAL_INDEX_DIR": str(folder / "index"),
        "PORTAL_SECRET_KEY": "bench",
    }
    measured([*FLASK, "db", "upgrade"], env, cwd=project)
    return env


def line(run: Run) -> str:
    """Return one run's figures on one line."""
    return (
        f"{run.seconds:7.1f} s  CPU {run.cpu_seconds:7.1f} s  largest {run.peak_mb:5.0f} MB  "
        f"all {run.tree_mb:5.0f} MB"
    )


def median_run(runs: list[Run]) -> Run:
    """Return the runs' medians as one Run (the summary line of the first)."""
    return Run(
        statistics.median(run.seconds for run in runs),
        statistics.median(run.cpu_seconds for run in runs),
        statistics.median(run.peak_mb for run in runs),
        statistics.median(run.tree_mb for run in runs),
        runs[0].summary,
    )


def main() -> None:
    """Measure every size and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--project", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument(
        "--whole", action="store_true", help="also `flask editions import` (database and index)"
    )
    args = parser.parse_args()
    steps = (*STEPS, WHOLE) if args.whole else STEPS
    print(
        f"Import memory benchmark: {args.runs} run(s) a size, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}, project {args.project}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-memory-"))
    try:
        results = {
            count: run_size(workdir, count, args.runs, args.project, steps) for count in args.counts
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"medians of {args.runs} run(s):")
    for count, found in results.items():
        for step in steps:
            print(f"{count:>7} editions  {step:<8}{line(median_run(found[step]))}")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine)")


if __name__ == "__main__":
    main()
