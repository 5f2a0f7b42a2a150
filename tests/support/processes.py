"""Stopping a server the tests started, by its own process handle (never by name)."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen[bytes], how: signal.Signals, timeout: float) -> None:
    """Ask a running process to stop with `how`; kill it if it has not within `timeout` s."""
    if process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
