"""The package stands alone: a wheel installed outside the checkout migrates its database
and serves a page and its stylesheet, keeping its instance folder out of site-packages."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.settings import PROJECT_ROOT
from tests.support import processes
from tests.support.serving import PATIENCE
from tests.support.signup_helpers import free_port

pytestmark = pytest.mark.sqlite_only(reason="tests the package, not the database")
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def listed_packages() -> set[str]:
    """Return the packages pyproject.toml ships."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_is_in_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for folder in ("portal", "index")
        for init in (PROJECT_ROOT / folder).rglob("__init__.py")
    }
    assert listed_packages() == found | {"portal.templates", "portal.static"}


def clean_environment(**extra: str) -> dict[str, str]:
    """Return this environment without the developer's portal, Flask and venv settings."""
    prefixes = ("PORTAL_", "FLASK_", "GUNICORN_", "VIRTUAL_ENV", "PYTHON")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)} | extra


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel, install it (and its pinned dependencies) in a new venv; return the venv."""
    where = tmp_path_factory.mktemp("wheel")
    run = {"check": True, "capture_output": True, "env": clean_environment()}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(where), str(PROJECT_ROOT)], **run)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], **run)
    wheel = next(where.glob("producthead_portal-*.whl"))
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], **run)
    return venv


def get(host: str, path: str) -> tuple[int, str, str]:
    """Return (status, content type, body) of one GET."""
    connection = http.client.HTTPConnection(host, timeout=PATIENCE)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def served(installed: Path, tmp_path: Path) -> Iterator[str]:
    """Migrate a database from an empty folder and serve it with the venv's gunicorn."""
    env = clean_environment(PORTAL_SECRET_KEY="packaging-test")
    flask = [installed / "bin" / "flask", "--app", "portal"]
    subprocess.run(
        [*flask, "db", "upgrade"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    host = f"127.0.0.1:{free_port()}"
    command = [installed / "bin" / "gunicorn", "--bind", host, "portal:create_app()"]
    with (tmp_path / "gunicorn.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline and process.poll() is None:
            try:
                get(host, "/subscribe")
                break
            except OSError:
                time.sleep(0.2)
        yield host
    finally:
        processes.stop(process, signal.SIGTERM, PATIENCE)


def test_an_installed_wheel_serves_a_page_and_its_stylesheet(
    served: str, installed: Path, tmp_path: Path
) -> None:
    status, content_type, page = get(served, "/")
    assert (status, content_type) == (200, "text/html; charset=utf-8"), page
    stylesheet = STYLESHEET.search(page)
    assert stylesheet, page
    status, content_type, css = get(served, stylesheet.group(1))
    assert (status, content_type) == (200, "text/css; charset=utf-8")
    assert "color" in css
    # The instance folder is where Flask keeps an installed package's, never site-packages.
    instance = installed / "var" / "portal-instance"
    assert (instance / "portal.sqlite3").is_file()
    assert not list(installed.glob("lib/python*/site-packages/instance"))
    assert list(tmp_path.iterdir()) == [tmp_path / "gunicorn.log"]
