"""meta.json, beside each build's Whoosh files: the schema version it was written with and
the caller's revision it reflects. Replaced atomically, so a reader sees the old or the new."""

from __future__ import annotations

import json
import os
from pathlib import Path

from index.schema import SCHEMA_VERSION


def _read(build: Path, key: str) -> int | None:
    try:
        value = json.loads((build / "meta.json").read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def schema_version(build: Path) -> int | None:
    """Return the schema version a build was written with (None when unknown)."""
    return _read(build, "schema_version")


def build_revision(build: Path) -> int | None:
    """Return the revision of its source a build reflects (None when never recorded)."""
    return _read(build, "revision")


def write_meta(build: Path, revision: int | None) -> None:
    """Write meta.json beside the index, atomically: readers see the old or the new one."""
    meta = {"schema_version": SCHEMA_VERSION, "revision": revision}
    temporary = build / "meta.json.tmp"
    temporary.write_text(json.dumps(meta))
    os.replace(temporary, build / "meta.json")
