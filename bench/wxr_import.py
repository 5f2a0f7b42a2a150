"""WordPress export import benchmark: a WXR of N demo editions against the same as Markdown.

Builds a WXR 1.2 export of N demo editions (bench/wxr_writer.py), then imports it with the
real command line, `flask editions import export.xml`, into a fresh SQLite database and a
fresh search index, several times: each run validates, writes and indexes everything. Then
it exports those editions to Markdown once (`flask editions export`) and imports the same
editions from Markdown the same way. Prints each form's median time, the WXR/Markdown ratio
and the peak memory (maximum resident set) of each import process. Asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.wxr_writer import write_wxr  # noqa: E402
from portal.demo.editions import demo_editions  # noqa: E402
from portal.editions.catalogue import load_catalogue  # noqa: E402
from portal.editions.records import EditionRecord  # noqa: E402
from portal.importing.files import read_edition_file  # noqa: E402
from portal.settings import PROJECT_ROOT  # noqa: E402

TARGET_SECONDS, TARGET_MB = 30.0, 300.0


@dataclasses.dataclass(frozen=True)
class Run:
    """One import process: wall time, peak resident memory, last output line."""

    seconds: float
    # User + system CPU of the process and the processes it waited for (Whoosh's writers):
    # steadier than wall time when other work shares the machine.
    cpu_seconds: float
    # ru_maxrss from wait4: the largest single process (the import, or a Whoosh writer it forked).
    peak_mb: float
    # Memory of the import and all its processes together, sampled every 50 ms: the sum of
    # their proportional set sizes (a page shared after fork counts once, split among them).
    tree_mb: float
    summary: str


def demo_records(count: int) -> list[EditionRecord]:
    """Return the demo editions as WordPress would hold them: dated, no themes (posts have none)."""
    themes = [theme.slug for theme in load_catalogue(PROJECT_ROOT / "archive" / "themes.yaml")]
    undated = dt.date(2020, 1, 6)
    return [
        dataclasses.replace(
            record,
            date=record.date or undated,
            themes=(),
            curated=tuple(dataclasses.replace(link, themes=()) for link in record.curated),
            recent_posts=tuple(
                dataclasses.replace(link, themes=()) for link in record.recent_posts
            ),
        )
        for record in demo_editions(count, themes)
    ]


def flask(workdir: Path, *args: str) -> Run:
    """Run one `flask` command on the database and index in workdir; measure that process."""
    env = {
        "PORTAL_DATABASE_URL": f"sqlite:///{workdir / 'portal.sqlite3'}",
        "PORTAL_INDEX_DIR": str(workdir / "index"),
        "PORTAL_SECRET_KEY": "bench",
    }
    return measured([sys.executable, "-m", "flask", "--app", "wsgi", *args], env)


# Starts the measured command from a small process of its own and reports the command's
# rusage. Linux carries a process's peak RSS across fork and exec (ru_maxrss starts at the
# parent's peak), so a command spawned straight from this process would report at least this
# process's own peak: 546 MB for a 30,000-edition rebuild that was really half that.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as figures:
    figures.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(command: list[str], settings: dict[str, str], cwd: Path = ROOT) -> Run:
    """Run a command in the project (or `cwd`) with these PORTAL_* settings; measure it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")} | settings
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile("w+") as out:
        figures = Path(scratch) / "rusage"
        launch = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(figures), *command]
        start = time.perf_counter()
        child = subprocess.Popen(launch, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with TreeSampler(child.pid) as sampler:
            child.wait()
        seconds = time.perf_counter() - start
        out.seek(0)
        output = out.read()
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{output}")
        # The command's own rusage (its waited-for children included); ru_maxrss is in KiB.
        maxrss_kb, cpu = figures.read_text().split()
    lines = output.strip().splitlines()
    summary = lines[-1] if lines else ""
    return Run(seconds, float(cpu), int(maxrss_kb) / 1024, sampler.peak_mb, summary)


def parse_alone(export: Path) -> None:
    """Print the memory that parsing the export adds to a process: streamed, it stays small."""
    load = "from pathlib import Path; from portal.importing.files import read_edition_document"
    parse = f"; print(len(read_edition_document(Path({str(export)!r})).editions), 'editions')"
    baseline = measured([sys.executable, "-c", load], {})
    parsed = measured([sys.executable, "-c", load + parse], {})
    print(
        f"  WXR parse alone ({export.stat().st_size / 1e6:.1f} MB file): "
        f"CPU {parsed.cpu_seconds - baseline.cpu_seconds:.2f} s, "
        f"{parsed.peak_mb - baseline.peak_mb:.0f} MB over the {baseline.peak_mb:.0f} MB of a "
        f"process that only loads the parser ({parsed.summary}, their records included)",
        flush=True,
    )


class TreeSampler:
    """Samples the memory of a process and its descendants until the block ends."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeSampler:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.thread.join()

    def _sample(self) -> None:
        while not self.done.wait(0.05):
            # The launcher (the root) is left out: only the command and its processes count.
            self.peak_mb = max(self.peak_mb, tree_pss_mb(self.pid, include_root=False))


def tree_pss_mb(pid: int, *, include_root: bool = True) -> float:
    """Return the summed PSS of a process and its descendants now, in MB (Linux /proc)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:  # gone meanwhile
            continue
        pss = [line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")]
        if include_root or current != pid:
            total_kb += int(pss[0]) if pss else 0
        pending += [int(child) for child in children]
    return total_kb / 1024


def fresh(workdir: Path) -> Path:
    """Return a new folder with an empty migrated database (its making is not measured)."""
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
    flask(folder, "db", "upgrade")
    return folder


def measure(label: str, source: Path, workdir: Path, runs: int) -> list[Run]:
    """Import `source` into a fresh database and index `runs` times; print each run."""
    measured = []
    for number in range(1, runs + 1):
        folder = fresh(workdir)
        run = flask(folder, "editions", "import", str(source))
        measured.append(run)
        print(
            f"  {label} run {number}: {run.seconds:.2f} s, CPU {run.cpu_seconds:.2f} s  "
            f"({run.summary})",
            flush=True,
        )
    return measured


def faithful(records: list[EditionRecord], folder: Path) -> int:
    """Return how many exported editions equal their demo record (all but the slug)."""
    wanted = {(record.title, record.date): record for record in records}
    same = 0
    for path in folder.glob("*.md"):
        got = read_edition_file(path).record
        want = wanted.get((got.title, got.date))
        same += want is not None and dataclasses.replace(got, slug=want.slug) == want
    return same


def report(wxr: list[Run], markdown: list[Run], count: int, size_mb: float) -> None:
    """Print medians, the ratio and peak memory against the targets."""
    wxr_median, md_median = _median(wxr), _median(markdown)
    wxr_cpu, md_cpu = _median(wxr, cpu=True), _median(markdown, cpu=True)
    wxr_tree = max(run.tree_mb for run in wxr)
    print(
        f"WXR import ({count} editions, {size_mb:.1f} MB): median {wxr_median:.2f} s "
        f"(CPU {wxr_cpu:.2f} s), peak {max(run.peak_mb for run in wxr):.0f} MB largest "
        f"process, {wxr_tree:.0f} MB all its processes  "
        f"(targets < {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB)"
    )
    print(
        f"Markdown import ({count} files): median {md_median:.2f} s (CPU {md_cpu:.2f} s), "
        f"peak {max(run.peak_mb for run in markdown):.0f} MB largest process, "
        f"{max(run.tree_mb for run in markdown):.0f} MB all its processes"
    )
    print(f"WXR/Markdown at the median: {wxr_median / md_median:.2f} (CPU {wxr_cpu / md_cpu:.2f})")
    verdict = wxr_median < TARGET_SECONDS and wxr_tree < TARGET_MB
    print(f"targets {'met' if verdict else 'MISSED'}")


def _median(runs: list[Run], *, cpu: bool = False) -> float:
    return statistics.median(run.cpu_seconds if cpu else run.seconds for run in runs)


def main() -> None:
    """Build the export, import it and the Markdown runs, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--editions", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="kept afterwards (default: a temp folder)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-wxr-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        run_all(workdir, args.editions, args.runs)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run_all(workdir: Path, count: int, runs: int) -> None:
    """Prepare the export and an empty database, then measure both forms."""
    print(
        f"WXR import benchmark: {count} demo editions, {runs} runs, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    export = workdir / "export.wxr.xml"
    records = demo_records(count)
    write_wxr(export, records)
    startup = [flask(workdir, "editions", "--help") for _ in range(3)]
    print(
        f"  process start-up (flask editions --help): median {_median(startup):.2f} s, "
        f"CPU {_median(startup, cpu=True):.2f} s",
        flush=True,
    )
    parse_alone(export)
    wxr = measure("WXR", export, workdir, runs)
    markdown_folder = workdir / "markdown"
    first = min(workdir.glob("run-*"), key=lambda p: p.stat().st_mtime)
    flask(first, "editions", "export", str(markdown_folder))
    print(
        f"  faithful: {faithful(records, markdown_folder)} of {count} exported editions "
        "equal their demo record",
        flush=True,
    )
    markdown = measure("Markdown", markdown_folder, workdir, runs)
    report(wxr, markdown, count, export.stat().st_size / 1e6)
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine)")


if __name__ == "__main__":
    main()
