"""Where a search's time goes in a gunicorn worker: py-spy samples the workers under wrk.

    python bench/profile_search.py [--mode repeated|cold|kept] [--seconds 15] [--workdir bench/out]

Serves the prepared benchmark archive (`make bench` prepares it) under gunicorn.conf.py,
drives /api/search with wrk (8 connections) and records every worker with `py-spy record`
(pip install py-spy). `repeated`: the Zipf stream of `make bench`, after a warm-up, so
nearly every answer is kept; `cold`: thousands of distinct searches, each asked once.
Prints the functions holding the most samples, inclusive and own, and writes the
collapsed stacks to the workdir (for flamegraph.pl or speedscope). 127.0.0.1 only.

`kept`: no server and no py-spy: the CPU time per kept /api/search answer in this process,
the Zipf stream's requests handed to the WSGI app directly, beside the minimal Flask page's;
rounds of the whole stream, median and fastest. It moves far less with the machine's load
than a rate does; to compare two trees, run it in each, alternating.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_load import Gunicorn  # noqa: E402
from bench.queries import query_mix, zipf_stream  # noqa: E402
from bench.search import prepare  # noqa: E402
from bench.search_http import CONNECTIONS, STREAM, api_path  # noqa: E402
from bench.wrk import WrkRun  # noqa: E402


def paths(mode: str) -> tuple[list[str], list[str]]:
    """Return the warm-up paths and the measured paths of a mode."""
    queries = query_mix()
    warm = [api_path(r) for r in zipf_stream(queries, STREAM, seed=12)]
    if mode == "repeated":
        return warm, [api_path(r) for r in zipf_stream(queries, STREAM, seed=11)]
    asked = set(warm)
    distinct = dict.fromkeys(api_path(r) for r in query_mix(40_000, seed=31))
    return warm, [path for path in distinct if path not in asked]


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Start py-spy recording one process's Python stacks as collapsed text."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "--pid", str(pid), "--duration", str(round(seconds))]
    command += ["--format", "raw", "--output", str(out), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def summarise(files: list[Path], top: int) -> None:
    """Print the functions with the most samples, inclusive and own, over all workers."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [
                f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].split(":")[0]
                for f in stack.split(";")
            ]
            total += int(count)
            own[frames[-1]] += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
    for title, counts in (("inclusive", inclusive), ("own", own)):
        print(f"{title} (share of {total} samples):")
        for frame, n in counts.most_common(top):
            print(f"  {100 * n / total:5.1f} %  {frame}")


def cpu_per_request(app: Flask, paths: list[str], rounds: int) -> list[float]:
    """Return the CPU microseconds per request of each round of `paths` through a WSGI app."""
    from werkzeug.test import EnvironBuilder

    headers = {"Accept-Encoding": "gzip, deflate, br"}  # as wrk_paths.lua sends
    environs = []
    for path in paths:
        base, _, query = path.partition("?")
        environs.append(EnvironBuilder(base, query_string=query, headers=headers).get_environ())

    def serve_all() -> None:
        for environ in environs:
            with closing(app(dict(environ), lambda *_: None)) as body:
                for _chunk in body:
                    pass

    serve_all()  # everything made and kept before measuring
    spent = []
    for _ in range(rounds):
        start = time.process_time()
        serve_all()
        spent.append(1e6 * (time.process_time() - start) / len(environs))
    return spent


def kept_in_process(env: dict[str, str], rounds: int) -> None:
    """Print the CPU time per kept /api/search answer and per minimal page, in this process."""
    os.environ.update(env)
    from bench.minimal_app import app as minimal
    from wsgi import app

    _warm, measured = paths("repeated")
    for name, served, asked in (
        ("/api/search, kept", app, measured),
        ("minimal page", minimal, ["/"] * len(measured)),
    ):
        spent = cpu_per_request(served, asked, rounds)
        print(
            f"{name}: CPU per request {statistics.median(spent):.0f} us (median of {rounds} "
            f"rounds of {len(asked)}), fastest round {min(spent):.0f} us"
        )


def main() -> None:
    """Serve, load, record, summarise."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=("repeated", "cold", "kept"), default="repeated")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--editions", type=int, default=3000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=10, help="kept: rounds of the stream")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    if args.mode == "kept":
        kept_in_process(prepare(args.workdir, args.editions), args.rounds)
        return
    env = os.environ | prepare(args.workdir, args.editions)
    warm, measured = paths(args.mode)
    outputs = []
    with Gunicorn("wsgi:app", env, ROOT) as server:
        WrkRun("warm-up", server.port, warm, CONNECTIONS, 10, args.workdir).figures()
        load = WrkRun(
            "profiled", server.port, measured, CONNECTIONS, args.seconds + 2, args.workdir
        )
        spies = []
        for pid in server.workers():
            outputs.append(args.workdir / f"profile-{args.mode}-{pid}.txt")
            spies.append(record(pid, args.seconds, outputs[-1]))
        for spy in spies:
            spy.wait()
        figures = load.figures()
    print(
        f"{args.mode}: {figures.rps:.0f} req/s, p99 {figures.p99:.1f} ms, errors {figures.errors}"
    )
    summarise([path for path in outputs if path.exists()], args.top)


if __name__ == "__main__":
    main()
