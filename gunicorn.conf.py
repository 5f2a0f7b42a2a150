"""gunicorn settings for `make run` and production; each one can be overridden by environment."""

import ctypes
import os
import time

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One worker per core: the work is CPU-bound Python, so more workers than cores only split
# each worker's search cache further. Threads cover the waits on the database and the network.
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Forwarded headers are believed only as PORTAL_PROXY_HOPS says (werkzeug's ProxyFix in the
# app), never by gunicorn itself. Its defaults trust any client on 127.0.0.1 (where nginx,
# but also every local process, connects from) to set the scheme with X-Forwarded-Proto and
# to move every link on a page under a prefix of its choice with a `SCRIPT_NAME:` header.
forwarded_allow_ips = ""
forwarder_headers = ""
secure_scheme_headers: dict[str, str] = {}
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log

# glibc gives each thread that allocates under contention an arena of its own and rarely
# hands the memory back: two arenas keep a four-thread worker smaller at no measurable cost
# in speed (docs/benchmarks.md, "Figures behind choices in the code").
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number
# glibc returns freed memory to the system only from the top of a heap; what is freed between
# blocks still in use (a search's arrays, a page's strings) stays with the worker until
# malloc_trim() is called. A worker calls it after a request, once every TRIM_SECONDS at
# most, after the response has gone. (Fixing glibc's mmap threshold instead gave back as
# much, but made every uncached search slower; figures in docs/benchmarks.md.)
TRIM_SECONDS = 5.0


def _libc() -> ctypes.CDLL | None:
    """Return glibc, or None under another C library."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()
_last_trim = [0.0]  # per worker: the hooks below run after the fork


def post_fork(_server: object, _worker: object) -> None:
    """Limit the new worker's malloc arenas, before its threads start (glibc only)."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def post_request(_worker: object, _req: object, _environ: object, _resp: object) -> None:
    """Hand freed memory back to the system, at most once every TRIM_SECONDS (glibc only)."""
    now = time.monotonic()
    if _LIBC is not None and now - _last_trim[0] >= TRIM_SECONDS:
        _last_trim[0] = now
        _LIBC.malloc_trim(0)
