# The two set-up commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
# One virtual environment per interpreter, so two never mix: .venv for the default python3,
# .venv-3.13 for PYTHON=python3.13 (or /path/to/python3.13), .venv-<name> for any other.
PYTHON_TAG := $(patsubst python%,%,$(notdir $(PYTHON)))
VENV := $(if $(filter python3,$(PYTHON)),.venv,.venv-$(or $(PYTHON_TAG),$(notdir $(PYTHON))))
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# The fast part of the suite: no browser, SQLite only (`make test-fast`, CI's pass on 3.13).
FAST_TESTS := --ignore=tests/browser -m "not postgresql"

.PHONY: run test install install-test chromium postgresql wrk nginx redis lint check-types pytest test-fast serve prepare clean bench bench-30000 bench-load bench-import bench-import-memory bench-send audit

## make run: install, migrate, import the bundled archive, serve on 127.0.0.1:$(PORT).
# Links in emails and feeds point at the port served, unless PORTAL_BASE_URL is set.
run: export PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install prepare
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

## make test: install what the tests need (PostgreSQL too), then ruff, mypy and pytest on both databases.
test: install-test lint check-types pytest

# A pyenv shim (python3.13) only runs the versions pyenv has selected; any other installed
# by pyenv is found by name, so PYTHON=python3.13 works without `pyenv global`.
$(BIN)/python:
	@py='$(PYTHON)'; \
	if ! "$$py" -c '' 2>/dev/null && command -v pyenv >/dev/null 2>&1; then \
	  version=$$(pyenv whence "$$py" 2>/dev/null | tail -n 1); \
	  if [ -n "$$version" ]; then py=$$(PYENV_VERSION=$$version pyenv which "$$py"); fi; \
	fi; \
	"$$py" -c '' 2>/dev/null || { echo "$(PYTHON) is not a Python interpreter on this machine" >&2; exit 1; }; \
	echo "$$py -m venv $(VENV)"; "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The browser tests drive Debian's Chromium (Playwright never downloads one). Install it with
# apt when it is missing and we are root; otherwise leave the machine alone.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update && apt-get install -y chromium; \
	fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test node_modules/.installed chromium postgresql wrk nginx redis

# The audit tools (axe-core, the Nu HTML Checker, Lighthouse) are pinned in package-lock.json
# and installed again only when it changes. --ignore-scripts: vnu-jar's install script would
# download a Java runtime when none is found; the machine's java runs the checker.
node_modules/.installed: package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "node and npm are missing: install Node.js 20 or later (apt-get install nodejs npm)" >&2; exit 1; }
	@command -v java >/dev/null 2>&1 || { \
	  echo "java is missing: the HTML checker needs Java 11 or later (apt-get install default-jre-headless)" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The tests start their own PostgreSQL server from Debian's package, which keeps initdb and
# postgres off PATH in /usr/lib/postgresql/<version>/bin. Install it when missing and we can.
PG_FOUND ?= { command -v initdb && command -v postgres; } >/dev/null 2>&1 \
	|| ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1

postgresql:
	@if ! { $(PG_FOUND); }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	  else \
	    echo "PostgreSQL is missing and only root can install it: apt-get install postgresql" >&2; \
	  fi; \
	fi

# bench/load.py drives HTTP load with wrk (C, light on a 2-core machine); its smoke test too.
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else \
	    echo "wrk is missing and only root can install it: apt-get install wrk" >&2; \
	  fi; \
	fi

# The HTTPS browser test runs the nginx block of docs/operations.md in front of gunicorn. Debian's package
# does not start a server by itself where services are not run (containers, CI).
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
	  else \
	    echo "nginx is missing and only root can install it: apt-get install nginx" >&2; \
	  fi; \
	fi

# The rate-limit test across two hosts counts in a real redis-server it starts itself (a temp
# folder, a free port). Debian's package does not start a server where services are not run.
redis:
	@if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	  else \
	    echo "redis-server is missing and only root can install it: apt-get install redis-server" >&2; \
	  fi; \
	fi

prepare:
	$(BIN)/flask db upgrade
	$(BIN)/flask editions import archive/
	$(BIN)/flask editions sync --warn-only
	$(BIN)/flask index update

lint:
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

check-types:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest

## make test-fast: the tests that need no browser and no PostgreSQL (CI runs them on 3.13 too).
test-fast: $(VENV)/.installed-test
	$(BIN)/pytest $(FAST_TESTS)

## make bench: the search benchmark on the 3,000-edition demo archive (prints figures, asserts nothing).
bench: install-test
	$(BIN)/python bench/search.py

## make bench-30000: the same at 30,000 editions (the first run builds the archive: slow).
bench-30000: install-test
	$(BIN)/python bench/search.py --count 30000 --workdir bench/out-30000

## make audit: Lighthouse on the main page types of a demo site; fails below the score targets.
audit: install-test
	$(BIN)/python tools/audit.py

## make bench-load: mixed HTTP load on gunicorn over the demo archive; MODE=busy adds an import
## and an index rebuild meanwhile; DATABASE_URL=postgresql+psycopg://... uses PostgreSQL.
## make bench-import: a WXR export of 500 demo editions imported against the same editions as Markdown (prints figures, asserts nothing).
bench-import: install-test
	$(BIN)/python bench/wxr_import.py

## make bench-import-memory: the database import and the index rebuild at 1,000 and 3,000 demo editions, time, CPU and peak memory (prints figures, asserts nothing).
bench-import-memory: install-test
	$(BIN)/python bench/import_memory.py --counts 1000 3000

## make bench-send: `flask newsletter send` to 20,000 subscribers on SQLite and PostgreSQL against a bare smtplib loop (prints figures, asserts nothing).
bench-send: install-test postgresql
	$(BIN)/python bench/send.py

bench-load: install-test wrk
	$(BIN)/python bench/load.py $(if $(filter busy,$(MODE)),--during-maintenance) \
		$(if $(DATABASE_URL),--database-url '$(DATABASE_URL)')

clean:
	rm -rf .venv .venv-* node_modules *.egg-info .pytest_cache .mypy_cache .ruff_cache
