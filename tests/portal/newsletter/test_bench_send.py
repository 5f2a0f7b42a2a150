"""`make bench-send` keeps working: on a few subscribers it prints every figure (never judged)."""

from __future__ import annotations

import os
import subprocess
import sys

from portal.settings import PROJECT_ROOT


def test_the_send_benchmark_runs_and_prints_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    command = [sys.executable, "bench/send.py", "--subscribers", "60", "--databases", "sqlite"]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for line in (
        "sqlite: 60 subscribers, 4 connections",
        "record the audience:",
        "flask newsletter send:",
        "bare smtplib loop:",
        "ratio send/bare:",
        "peak memory of the send process:",
        "60 delivered, 0 waiting",
    ):
        assert line in done.stdout, done.stdout
