"""gunicorn settings for `make run` and production; each one can be overridden by environment."""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One worker per core: the work is CPU-bound Python, so more workers than cores only split
# each worker's search cache further. Threads cover the waits on the database and the network.
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
