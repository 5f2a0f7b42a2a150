"""`bench/import_memory.py` keeps working, and the memory it reports is the measured command's own.

Nothing here looks at the times: tests never assert them.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

from bench.wxr_import import measured
from portal.settings import PROJECT_ROOT


def test_the_import_memory_benchmark_runs_and_prints_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    command = [sys.executable, "bench/import_memory.py", "--counts", "4", "6", "--whole"]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "(imported: 4 added, 0 updated, 0 unchanged, 0 rejected)" in out, out
    assert "(Search index rebuilt: 6 editions," in out, out
    for size in ("      4 editions", "      6 editions"):
        for step in ("import", "rebuild", "whole"):
            assert f"{size}  {step}" in out, out
    assert "(Imported: 6 added, 0 updated, 0 unchanged, 0 rejected.)" in out, out
    assert out.count(" MB  all ") == 12, out  # a line a run and a median, per step and size
    assert "Traceback" not in done.stderr, done.stderr
    # Its folder (demo archives, databases, indexes), named in the rebuild's summary, is gone.
    found = re.search(r" in (\S+)/run-6-\w+/index\.\)", out)
    assert found is not None, out
    assert not Path(found.group(1)).exists()


def test_a_measured_command_reports_its_own_peak_not_this_process_peak() -> None:
    # Linux starts a child's ru_maxrss at its parent's peak; an empty interpreter is ~10 MB.
    ballast = bytearray(96 * 1024 * 1024)
    ballast[:: resource.getpagesize()] = b"x" * len(ballast[:: resource.getpagesize()])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 > 96
    run = measured([sys.executable, "-c", "pass"], {})
    assert run.peak_mb < 48, run
    del ballast
