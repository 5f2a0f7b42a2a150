"""The code's revisions, read without Alembic, are the ones Alembic itself reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from portal.migrations import migrate, status


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return ScriptDirectory.from_config(config)


def test_code_revisions_are_alembics() -> None:
    script = _script()
    known, heads = status.code_revisions()
    assert known == {revision.revision for revision in script.walk_revisions()}
    assert heads == set(script.get_heads())


@pytest.mark.parametrize(
    ("files", "heads"),
    [
        ({"a": "revision = 'a'\ndown_revision = None\n"}, {"a"}),
        (
            {
                "a": "revision = 'a'\ndown_revision = None\n",
                "b": "revision = 'b'\ndown_revision = 'a'\n",
            },
            {"b"},
        ),
        (
            {
                "a": "revision = 'a'\ndown_revision = None\n",
                "b": "revision: str = 'b'\ndown_revision: str | None = 'a'\n",
                "c": "revision = 'c'\ndown_revision = 'a'\n",
                "m": "revision = 'm'\ndown_revision = ('b', 'c')\n",
            },
            {"m"},
        ),
        (
            {
                "a": "revision = 'a'\ndown_revision = None\n",
                "b": "revision = 'b'\ndown_revision = 'a'\n",
                "c": "revision = 'c'\ndown_revision = 'a'\n",
            },
            {"b", "c"},
        ),
    ],
    ids=["one", "chain", "annotated-and-merged", "two-heads"],
)
def test_heads_are_revisions_no_other_revises(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str], heads: set[str]
) -> None:
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(
            '"""A migration."""\n\nfrom alembic import op\n\n' + text
        )
    monkeypatch.setattr(status, "VERSIONS", tmp_path)
    status.code_revisions.cache_clear()
    try:
        assert status.code_revisions() == (frozenset(files), frozenset(heads))
    finally:
        status.code_revisions.cache_clear()
