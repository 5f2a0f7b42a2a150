"""Whether the database's schema is the one the code's migrations make, told without Alembic.

Web workers ask this, and Alembic costs a worker 11 MB, so the code's revisions are read from
the migration files with `ast` (tests/portal/migrations/test_status.py checks the result
against Alembic's own). The database's revision is Alembic's `alembic_version` table.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, text

VERSIONS = Path(__file__).parent / "versions"
VERSION_TABLE = "alembic_version"
NO_SCHEMA = "the database has no schema yet: run 'flask db upgrade'"


@dataclass(frozen=True)
class SchemaStatus:
    """What the code can do with the database: `ready`, `missing`, `behind` or `unknown`."""

    state: str
    message: str = ""

    @property
    def usable(self) -> bool:
        """Return whether the code can work on this database (an unknown, newer one included)."""
        return self.state in ("ready", "unknown")


@functools.cache
def code_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """Return every revision the code's migrations know, and the heads among them."""
    revisions: dict[str, frozenset[str]] = {}
    for path in VERSIONS.glob("*.py"):
        found = _assignments(path)
        revision, down = found.get("revision"), found.get("down_revision")
        if isinstance(revision, str):
            # down_revision: None for the first, a string, or a tuple of them after a merge.
            downs = [down] if isinstance(down, str) else down if isinstance(down, tuple) else []
            revisions[revision] = frozenset(str(parent) for parent in downs)
    parents = {parent for downs in revisions.values() for parent in downs}
    return frozenset(revisions), frozenset(revisions.keys() - parents)


def _assignments(path: Path) -> dict[str, object]:
    """Return a migration file's module-level `name = literal` assignments (annotated or not)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant | ast.Tuple | ast.List):
            found[target.id] = ast.literal_eval(value)
    return found


def database_revisions(connection: Connection) -> frozenset[str]:
    """Return the revisions the database is at (none when it was never migrated)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return frozenset()
    return frozenset(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def schema_status(connection: Connection) -> SchemaStatus:
    """Return whether the database's schema is the code's, missing, behind it, or unknown to it."""
    current = database_revisions(connection)
    known, heads = code_revisions()
    if not current:
        return SchemaStatus("missing", NO_SCHEMA)
    if current == heads:
        return SchemaStatus("ready")
    at, wanted = ", ".join(sorted(current)), ", ".join(sorted(heads))
    if current <= known:
        return SchemaStatus(
            "behind",
            f"the database schema is behind the code (at revision {at}, the code needs {wanted}): "
            "run 'flask db upgrade'",
        )
    return SchemaStatus(
        "unknown",
        f"the database schema is at revision {at}, which this code does not know (it needs "
        f"{wanted}): newer code has migrated it; deploy that code here too",
    )
