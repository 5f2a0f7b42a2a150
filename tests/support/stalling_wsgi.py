"""The portal for gunicorn, but one sign-up stops inside its transaction, so a test can kill it there.

The first sign-up of STALL_ADDRESS pauses just before its outbox row is inserted: the
subscriber row is written but not committed. The worker writes its PID to STALL_MARKER
and sleeps until killed. Later sign-ups (the marker exists) go through untouched.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from portal import create_app
from portal.db import get_engine

app = create_app()
MARKER = Path(os.environ["STALL_MARKER"])
ADDRESS = os.environ["STALL_ADDRESS"]


def _stall_before_the_outbox_insert(
    _conn: object, _cursor: object, statement: str, parameters: Any, *_: object
) -> None:
    ours = statement.startswith("INSERT INTO outbox") and ADDRESS in str(parameters)
    if ours and not MARKER.exists():
        MARKER.write_text(str(os.getpid()))
        time.sleep(3600)


with app.app_context():
    event.listen(get_engine(), "before_cursor_execute", _stall_before_the_outbox_insert)
