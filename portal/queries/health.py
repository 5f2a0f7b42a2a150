"""The state of the database and the search index, as /healthz reports it to load balancers.

- `ok`: the database answers and the live index is readable, of this code's schema
  version, and reflects the database's content revision.
- `stale`: as `ok`, but the index records an older content revision (or none): an import
  whose index update failed, or a host that has not caught up yet. The host still serves
  every page, and search finds all but the newest changes: 200. Revisions, not clocks,
  decide it, so hosts whose clocks disagree are judged right.
- `unavailable`: the database does not answer, or there is no usable index: 503, so a
  load balancer sends readers to another host.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.db import get_session
from portal.logs import private_logger
from portal.queries import archive
from portal.search import SCHEMA_VERSION, IndexUnavailable, index_folder, index_summary

log = private_logger(__name__)


def report() -> dict[str, Any]:
    """Return the health report: overall status, then the database's and the index's state."""
    database, wanted = _database()
    search, indexed = _index()
    usable = database["ok"] and search["ok"]
    stale = bool(usable and (indexed is None or (wanted is not None and indexed < wanted)))
    if search["ok"]:
        search["stale"] = stale
    status = "unavailable" if not usable else "stale" if stale else "ok"
    return {"status": status, "database": database, "index": search}


def _database() -> tuple[dict[str, Any], int | None]:
    session = get_session()
    try:
        session.execute(text("SELECT 1"))
        version = archive.content_version(session)
    except SQLAlchemyError as error:
        session.rollback()
        # The details (hosts, paths) go to the log, not to whoever asks /healthz.
        log.error("health check: the database does not answer: %s", error)
        return {"ok": False, "error": type(error).__name__}, None
    changed = _iso(version.changed_at) if version.changed_at else None
    state = {"ok": True, "latest_change": changed, "editions": version.editions}
    return state | {"revision": version.revision}, version.revision


def _index() -> tuple[dict[str, Any], int | None]:
    folder = index_folder()
    wanted = SCHEMA_VERSION
    state: dict[str, Any] = {"ok": False, "present": (folder / "current").is_file()}
    state |= {"readable": False, "expected_schema_version": wanted}
    if not state["present"]:
        return state, None
    try:
        found = index_summary()
    except IndexUnavailable as error:
        log.error("health check: the search index is unusable: %s", error)
        return state, None
    state |= {
        "ok": found.schema_version == wanted,
        "readable": True,
        "schema_version": found.schema_version,
        "documents": found.documents,
        "updated_at": _iso(found.updated_at),
        "revision": found.revision,
    }
    return state, found.revision


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
