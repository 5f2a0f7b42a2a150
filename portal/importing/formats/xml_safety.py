"""Refuse XML that declares entities: entity bombs and external (file://, http://) entities.

WordPress never writes a DOCTYPE with entity declarations, so a file that has one is
refused whole with a clear message, before any parser sees it. The parsers are hardened
as well (lxml: no entity resolution, no DTD, no network; see wxr.py).
"""

from __future__ import annotations

import re

# The prolog is everything before the root element; a DOCTYPE can only stand there.
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
# An internal subset is where entities are declared; a DOCTYPE naming a DTD alone declares none
# that a parser here would read (no DTD is loaded).
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")


def entity_problem(data: bytes) -> str | None:
    """Return why an XML document is refused, or None when it declares no entities."""
    root = _ROOT.search(data)
    prolog = data[: root.start()] if root else data
    if _ENTITY.search(prolog) or _INTERNAL_SUBSET.search(prolog):
        return "refused: the XML declares entities (a DTD), which WordPress never writes"
    return None
