"""Configuration: defaults, instance/portal.cfg, PORTAL_* variables, and the table in docs/configuration.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal import create_app
from portal.settings import PROJECT_ROOT, SETTINGS, from_environment

# Settings are read, not used: the default database is the SQLite file under instance/.
pytestmark = pytest.mark.sqlite_only(reason="checks the default SQLite database setting")


def test_environment_overrides_defaults_with_the_right_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_EDITIONS_PER_PAGE", "5")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "12345")
    monkeypatch.setenv("PORTAL_NOT_A_SETTING", "x")
    assert from_environment() == {"EDITIONS_PER_PAGE": 5, "SECRET_KEY": "12345"}


def test_a_bad_number_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_EDITIONS_PER_PAGE", "many")
    with pytest.raises(ValueError, match="PORTAL_EDITIONS_PER_PAGE must be a whole number"):
        from_environment()


def test_instance_file_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("portal.settings.PROJECT_ROOT", tmp_path)
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "portal.cfg").write_text(
        "EDITIONS_PER_PAGE = 7\nSECRET_KEY = 'from-file'\n"
    )
    app = create_app()
    assert app.config["EDITIONS_PER_PAGE"] == 7
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'portal.sqlite3'}"
    monkeypatch.setenv("PORTAL_EDITIONS_PER_PAGE", "9")
    assert create_app().config["EDITIONS_PER_PAGE"] == 9


def test_development_secret_key_is_made_once_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("portal.settings.PROJECT_ROOT", tmp_path)
    first = create_app().config["SECRET_KEY"]
    assert len(first) == 64
    assert create_app().config["SECRET_KEY"] == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_configuration_table(setting: object) -> None:
    readme = (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    assert f"| `PORTAL_{setting.name}` |" in readme  # type: ignore[attr-defined]
