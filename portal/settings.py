"""Every setting the portal reads, declared once with its default and meaning.

Order of precedence (later wins): these defaults, then `instance/portal.cfg`,
then `PORTAL_<NAME>` environment variables, then a test's config mapping.
The README's configuration table is checked against this list by a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    """One configuration key: its name (without the PORTAL_ prefix), default and meaning."""

    name: str
    default: str | int | bool | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and CSRF tokens. Unset in development: one is generated "
        "and kept in `instance/secret_key`.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database. Unset: the SQLite file `instance/portal.sqlite3`.",
    ),
    Setting(
        "THEMES_FILE",
        str(PROJECT_ROOT / "archive" / "themes.yaml"),
        "The theme catalogue (YAML) that edition files may name themes from.",
    ),
    Setting("EDITIONS_PER_PAGE", 20, "Editions per page of the archive and of a theme's page."),
    Setting("LINKS_PER_PAGE", 30, "Links per page of a source's page."),
    Setting(
        "BASE_URL",
        "http://127.0.0.1:8000",
        "The public address of the site (scheme, host and port, no path): the start of "
        "every absolute URL in feeds, the sitemap, canonical links and Open Graph tags.",
    ),
    Setting(
        "INDEX_DIR",
        None,
        "Folder of the search index. Unset: `instance/index`. Each web host keeps its own.",
    ),
    Setting("SEARCH_RESULTS_PER_PAGE", 20, "Search hits per page, on `/search` and `/api/search`."),
    Setting(
        "SQLITE_BUSY_TIMEOUT_MS",
        5000,
        "How long a SQLite connection waits for a lock before giving up, in milliseconds.",
    ),
)


def defaults() -> dict[str, Any]:
    """Return the committed default of every setting."""
    return {s.name: s.default for s in SETTINGS}


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Return the settings given as `PORTAL_*` variables, converted to their default's type."""
    found: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"PORTAL_{setting.name}")
        if raw is not None:
            found[setting.name] = _convert(setting, raw)
    return found


def _convert(setting: Setting, raw: str) -> str | int | bool:
    if isinstance(setting.default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(setting.default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"PORTAL_{setting.name} must be a whole number, not {raw!r}") from None
    return raw
