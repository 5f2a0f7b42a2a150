"""`bench/wxr_import.py` keeps working: on a few editions it imports both forms and prints every figure.

Nothing here looks at the times: tests never assert them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal.settings import PROJECT_ROOT


def test_the_wxr_import_benchmark_runs_and_prints_every_figure(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    command = [sys.executable, "bench/wxr_import.py", "--editions", "6", "--runs", "1"]
    command += ["--workdir", str(tmp_path)]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.count("(Imported: 6 added, 0 updated, 0 unchanged, 0 rejected.)") == 2, out
    assert "faithful: 6 of 6 exported editions equal their demo record" in out
    assert "WXR parse alone (" in out and "(6 editions, their records included)" in out
    for line in ("process start-up", "WXR import (6 editions", "Markdown import (6 files)"):
        assert line in out, out
    assert "WXR/Markdown at the median: " in out
    assert "MB largest process, " in out
    assert "MB all its processes" in out
    assert "Traceback" not in done.stderr, done.stderr
    assert (tmp_path / "export.wxr.xml").stat().st_size > 0
