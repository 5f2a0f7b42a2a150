"""`make bench`, `make bench-load` and bench/signup_timing.py keep working: on a tiny archive they print every figure.

Nothing here looks at the figures themselves: tests never assert times.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings import PROJECT_ROOT


def test_the_search_benchmark_runs_and_prints_every_figure(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    command = [
        sys.executable,
        "bench/search.py",
        "--editions",
        "25",
        "--rounds",
        "1",
        "--seconds",
        "1",
        "--warmup",
        "1",
        "--workdir",
        str(tmp_path),
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    for line in (
        "build:",
        "(a) Whoosh floor",
        "(b) portal.search ",
        "b/a at the median",
        "issue #23 figures",
        "rate (Zipf stream of 2000 searches)",
        "worker CPU per request under load",
        "p99 under load",
        "cold, 200 distinct one at a time",
        "import one edition -> searchable",
    ):
        assert line in done.stdout, done.stdout
    assert "  errors 0\n" in done.stdout


@pytest.mark.parametrize("mode", [[], ["--during-maintenance"]], ids=["steady", "maintenance"])
def test_the_load_benchmark_runs_and_prints_every_figure(tmp_path: Path, mode: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "GUNICORN_"))}
    command = [sys.executable, "bench/load.py", "--editions", "25", "--seconds", "1"]
    command += ["--workdir", str(tmp_path), *mode]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = ["mixed workload", "sign-up POST", "minimal Flask page (ceiling)", "worker memory"]
    if mode:
        lines += ["during maintenance (editions import of 5 new, then index rebuild"]
    else:
        lines += ["each route alone", "edition / ceiling", "search / ceiling"]
    for line in lines:
        assert line in done.stdout, done.stdout
    for route in ("edition", "archive", "theme", "search", "sign-up form"):
        assert f"  {route} " in done.stdout, done.stdout
    tables = 1 if mode else 2
    assert done.stdout.count("  errors 0 (target 0)") == tables, done.stdout
    # gunicorn.conf.py's hooks ran in every worker without failing (a failing hook is only logged).
    log = (tmp_path / "gunicorn-load.log").read_text()
    assert "Exception in" not in log, log[-4000:]


def test_the_signup_timing_benchmark_runs_and_prints_every_figure(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "GUNICORN_"))}
    command = [sys.executable, "bench/signup_timing.py", "--pairs", "4", "--warmup", "1"]
    command += ["--workdir", str(tmp_path)]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("new address", "known address", "difference", "paired difference"):
        assert line in done.stdout, done.stdout
