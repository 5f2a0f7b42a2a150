"""The `flask` command works from the project root with no flags, and as `flask --app wsgi`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings import PROJECT_ROOT

FLASK = str(Path(sys.executable).parent / "flask")

# About finding the app from the project root; the database only has to exist, so SQLite.
pytestmark = pytest.mark.sqlite_only(reason="tests the flask entry point, not the database")


@pytest.mark.parametrize("app_flags", [[], ["--app", "wsgi"]], ids=["flaskenv", "app-wsgi"])
def test_flask_commands_run_from_the_project_root(tmp_path: Path, app_flags: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))}
    env["PORTAL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    env["PORTAL_SECRET_KEY"] = "cli-test"

    def flask(*args: str) -> str:
        done = subprocess.run(
            [FLASK, *app_flags, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "up to date" in flask("db", "upgrade")
    assert "3 added" in flask("editions", "import", "archive/")
    assert "Exported 3 editions" in flask("editions", "export", str(tmp_path / "out"))
