"""A feed item whose full text is plain text (Atom `content type="text"`): the edition's text.

Atom's `type="text"` says the content is text, not markup, so it is read as the edition's
plain-text form (the anatomy of shared/seed/README.md), as a page copied as text would be:
its links have no addresses. The item's title stands first when the text does not repeat it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from portal.editions.records import DocumentOutcome, EditionFileError, Origin, Problem
from portal.importing.formats.edition import looks_like_edition, skipped_name
from portal.importing.formats.plaintext import CURATED_HEADING, parse_plaintext
from portal.importing.formats.post_content import edition_title


def add_text_post(
    outcome: DocumentOutcome, title: str, date: dt.date | None, origin: Origin, text: str
) -> None:
    """Read one plain-text item into the outcome: an edition, a skipped post or a rejection."""
    if not looks_like_edition(title) and CURATED_HEADING not in text.lower():
        outcome.skipped.append(skipped_name(title))
        return
    item = f"item {edition_title(title)!r}"
    body = text if looks_like_edition(text.lstrip()) else f"PRODUCTHEAD: {title}\n\n{text}"
    try:
        parsed = parse_plaintext(body, outcome.path, date)
    except EditionFileError as error:
        reasons = "; ".join(problem.message for problem in error.problems)
        outcome.rejected.append(Problem(outcome.path, None, f"{item}: {reasons}"))
        return
    outcome.editions.append(
        dataclasses.replace(parsed, origin=origin, carries_themes=False, item=item)
    )
