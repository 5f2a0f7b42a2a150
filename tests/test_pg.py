"""The PostgreSQL test helper finds Debian's binaries, and says what to do when there are none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import pg


def test_missing_binaries_fail_loudly_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pg, "DEBIAN_BINARIES", str(tmp_path / "*" / "bin"))
    with pytest.raises(pg.PostgresUnavailable, match="apt-get install postgresql"):
        pg.find_binaries()


def test_the_newest_debian_version_is_found_off_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for version in ("9", "15", "13"):
        (tmp_path / version / "bin").mkdir(parents=True)
        for program in ("initdb", "postgres"):
            (tmp_path / version / "bin" / program).touch()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(pg, "DEBIAN_BINARIES", str(tmp_path / "*" / "bin"))
    assert pg.find_binaries() == tmp_path / "15" / "bin"
