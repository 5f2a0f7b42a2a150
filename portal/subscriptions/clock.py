"""The database's clock: outbox times every sending host must agree on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from portal.models import UTCDateTime


class database_now(FunctionElement[dt.datetime]):
    """The database server's current UTC time plus `seconds`, computed in the SQL statement.

    Claims and retry times written from each host's own clock disagree when one clock is
    off: a host running ahead takes over messages another host is still sending.
    """

    type = UTCDateTime()
    inherit_cache = True

    def __init__(self, seconds: float = 0) -> None:
        super().__init__(literal(float(seconds), Float()))


@compiles(database_now)
def _postgresql_now(element: database_now, compiler: SQLCompiler, **kw: Any) -> str:
    seconds = compiler.process(element.clauses, **kw)
    return f"(CURRENT_TIMESTAMP + make_interval(secs => {seconds}))"


@compiles(database_now, "sqlite")
def _sqlite_now(element: database_now, compiler: SQLCompiler, **kw: Any) -> str:
    # The text form SQLAlchemy stores SQLite datetimes in, to the millisecond, so that
    # string comparison with stored values compares times.
    seconds = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f', 'now', {seconds} || ' seconds')"
