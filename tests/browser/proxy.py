"""The nginx server block of docs/operations.md, run for real in front of gunicorn with TLS.

The block is read out of the Deployment section of docs/operations.md, so the test checks what an
operator copies. Two lines change, as certbot and the operator change them: it listens with
TLS on a free port of 127.0.0.1 (certbot adds the certificate lines), and `proxy_pass`
points at the test's gunicorn.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.settings import PROJECT_ROOT

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_SECONDS = 15
_NGINX_BLOCK = re.compile(r"\*\*nginx and TLS\.\*\*.*?```nginx\n(.*?)```", re.DOTALL)


def documented_server_block() -> str:
    """Return the nginx server block docs/operations.md tells operators to use."""
    found = _NGINX_BLOCK.search(
        (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    )
    if not found:
        raise AssertionError("docs/operations.md has no ```nginx block after **nginx and TLS.**")
    return found.group(1)


def local_config(folder: Path, port: int, upstream: int, cert: Path, key: Path) -> str:
    """Return a whole nginx.conf around the documented block, on `port` with TLS."""
    block = documented_server_block()
    block = re.sub(r"^\s*listen .*;\n", "", block, flags=re.MULTILINE)
    listen = (
        f"    listen 127.0.0.1:{port} ssl;\n"
        f"    ssl_certificate {cert};\n    ssl_certificate_key {key};\n"
    )
    block = block.replace("server {\n", "server {\n" + listen, 1)
    block, swapped = re.subn(
        r"proxy_pass http://127\.0\.0\.1:\d+;", f"proxy_pass http://127.0.0.1:{upstream};", block
    )
    assert swapped == 1, "the documented block has no proxy_pass to 127.0.0.1"
    temp = folder / "temp"
    return f"""
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{block}
}}
"""


@contextmanager
def nginx_proxy(folder: Path, port: int, upstream: int, cert: Path, key: Path) -> Iterator[None]:
    """Run nginx with the documented block on `port` (TLS) in front of `upstream`; stop it after."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "temp").mkdir(exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(local_config(folder, port, upstream, cert, key), encoding="utf-8")
    subprocess.run([NGINX, "-t", "-q", "-c", str(config)], check=True, capture_output=True)
    server = subprocess.Popen(
        [NGINX, "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_pid_file(folder / "nginx.pid", server)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_pid_file(pid_file: Path, server: subprocess.Popen[bytes]) -> None:
    """Return once nginx has written its pid file, that is, once it listens."""
    deadline = time.monotonic() + START_SECONDS
    while not pid_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"nginx did not start:\n{(pid_file.parent / 'error.log').read_text()}"
            )
        time.sleep(0.05)
