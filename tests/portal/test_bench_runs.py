"""`make bench` keeps working: bench/search.py on a tiny archive prints every figure.

Nothing here looks at the figures themselves: tests never assert times.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
        "(b) portal/search.py",
        "b/a at the median",
        "/api/search",
        "minimal page",
        "import one edition -> searchable",
    ):
        assert line in done.stdout, done.stdout
    assert "errors 0" in done.stdout
