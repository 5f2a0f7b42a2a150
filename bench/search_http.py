"""Issue #23's figures: /api/search under gunicorn beside a minimal page measured in the same run.

- rate: wrk, 8 connections, a Zipf stream of 2,000 searches drawn from the archive's words
  (bench/queries.py), after a warm-up: each distinct search of the stream asked WARM_VISITS
  times (so each of the two workers most likely made it once: a server that has been up a
  while), then the same popularity in another order; its p99 is the "p99 under load";
- cold: 200 distinct searches that neither the warm-up nor the load asked, one at a time on
  one kept-alive connection, so each is answered from no cache (a worker keeps only the
  answers it gave itself);
- the minimal page (bench/minimal_app.py) under the same gunicorn settings and the same
  clients, right after.
Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import http.client
import os
import random
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.http_load import Gunicorn
from bench.queries import query_mix, zipf_stream
from bench.wrk import RouteFigures, WrkRun, wrk_version
from index import SearchRequest

CONNECTIONS = 8
# As bench/load.py: with two workers, a worker misses a given search with a chance of 1 in 64.
WARM_VISITS = 6
STREAM = 2000
COLD = 200
# The goals of issue #23, printed beside each figure.
GOAL_RATIO = 0.6
GOAL_LOAD_P99_MS = 60.0


@dataclass(frozen=True)
class OneAtATime:
    """Latency percentiles (ms) of requests sent one after another, and the failures."""

    p50: float
    p95: float
    errors: int


@dataclass(frozen=True)
class Side:
    """One server's figures: under load, and one request at a time."""

    load: RouteFigures
    sequential: OneAtATime
    # CPU time its workers spent per request under load: unlike the rate, it hardly changes
    # when other work shares the machine.
    cpu_ms: float


def workers_cpu_seconds(server: Gunicorn) -> float:
    """Return the user + system CPU time the server's workers have used, from /proc."""
    total = 0
    for pid in server.workers():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return total / os.sysconf("SC_CLK_TCK")


def loaded(
    server: Gunicorn, name: str, paths: list[str], seconds: float, workdir: Path
) -> tuple[RouteFigures, float]:
    """Load the server with wrk; return its figures and its workers' CPU ms per request."""
    before = workers_cpu_seconds(server)
    figures = WrkRun(name, server.port, paths, CONNECTIONS, seconds, workdir).figures()
    spent = workers_cpu_seconds(server) - before
    return figures, 1000 * spent / max(1, figures.requests)


def api_path(request: SearchRequest) -> str:
    """Return the /api/search address of a search."""
    fields = (
        ("q", request.q),
        ("theme", request.theme),
        ("year", request.year),
        ("sort", request.sort.value),
    )
    return "/api/search?" + urlencode({k: v for k, v in fields if v})


def cold_paths(count: int = COLD) -> list[str]:
    """Return `count` distinct search addresses that the Zipf streams never ask for."""
    asked = {api_path(r) for r in query_mix()}
    found: dict[str, None] = {}
    for request in query_mix(count * 4, seed=29):
        path = api_path(request)
        if path not in asked:
            found[path] = None
    if len(found) < count:
        raise SystemExit(f"only {len(found)} distinct cold searches; widen bench/queries.py")
    return list(found)[:count]


def one_at_a_time(port: int, paths: list[str]) -> OneAtATime:
    """GET each path in turn on one kept-alive connection; return p50, p95 and failures."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    spent, errors = [], 0
    for path in paths:
        start = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        answer = connection.getresponse()
        answer.read()
        spent.append((time.perf_counter() - start) * 1000)
        errors += answer.status != 200
    connection.close()
    ordered = sorted(spent)
    return OneAtATime(statistics.median(ordered), ordered[int(0.95 * len(ordered))], errors)


def ask_each(port: int, paths: list[str], visits: int = WARM_VISITS) -> None:
    """GET every distinct path `visits` times, from 8 threads, in a shuffled order."""
    queue = [path for path in dict.fromkeys(paths) for _ in range(visits)]
    random.Random(3).shuffle(queue)

    def fetch(path: str) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
            answer.read()

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        list(pool.map(fetch, queue))


def measure(env: dict[str, str], root: Path, workdir: Path, seconds: float, warmup: float) -> None:
    """Serve the portal, then the minimal page, and print issue #23's figures side by side."""
    wrk_version()  # fails early, saying how to install wrk
    queries = query_mix()
    warm = [api_path(r) for r in zipf_stream(queries, STREAM, seed=12)]
    stream = [api_path(r) for r in zipf_stream(queries, STREAM, seed=11)]
    with Gunicorn("wsgi:app", env, root) as server:
        ask_each(server.port, stream)
        WrkRun("warm-up", server.port, warm, CONNECTIONS, warmup, workdir).figures()
        load, cpu = loaded(server, "search", stream, seconds, workdir)
        search = Side(load, one_at_a_time(server.port, cold_paths()), cpu)
    with Gunicorn("bench.minimal_app:app", env, root) as server:
        WrkRun("warm-up", server.port, ["/"], CONNECTIONS, 1, workdir).figures()
        load, cpu = loaded(server, "minimal", ["/"], seconds, workdir)
        minimal = Side(load, one_at_a_time(server.port, ["/"] * COLD), cpu)
    report(search, minimal, seconds, warmup)


def report(search: Side, minimal: Side, seconds: float, warmup: float) -> None:
    """Print each figure of issue #23 beside the minimal page's."""
    s, m = search, minimal
    print(
        f"issue #23 figures, gunicorn.conf.py settings, wrk {CONNECTIONS} connections "
        f"(warm-up: each search {WARM_VISITS} times, then {warmup:.0f} s; {seconds:.0f} s "
        "measured); /api/search | minimal page:"
    )
    print(
        f"  rate (Zipf stream of {STREAM} searches)  {s.load.rps:7.0f} req/s | "
        f"{m.load.rps:7.0f} req/s  ratio {s.load.rps / m.load.rps:.2f}  (goal >= {GOAL_RATIO})"
    )
    print(
        f"  worker CPU per request under load    {s.cpu_ms:7.2f} ms    | {m.cpu_ms:7.2f} ms     "
        f"ratio {m.cpu_ms / s.cpu_ms:.2f}  (the rate ratio a machine of its own would give)"
    )
    print(
        f"  p99 under load                       {s.load.p99:7.1f} ms    | "
        f"{m.load.p99:7.1f} ms     (goal <= {GOAL_LOAD_P99_MS:.0f} ms)"
    )
    print(
        f"  cold, {COLD} distinct one at a time    p50 {s.sequential.p50:5.1f} ms "
        f"p95 {s.sequential.p95:5.1f} ms | p50 {m.sequential.p50:4.1f} ms "
        f"p95 {m.sequential.p95:4.1f} ms  (goal p95 <= 15 ms at 3,000, 40 ms at 30,000)"
    )
    errors = s.load.errors + s.sequential.errors + m.load.errors + m.sequential.errors
    print(f"  errors {errors}")
