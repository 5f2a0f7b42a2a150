"""Checked editions wait in a spool between checking and writing: they come back whole, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.editions.records import DocumentOutcome, Origin, ParsedEdition
from portal.importing import spool
from portal.importing.run import validate_documents
from portal.importing.spool import EditionSpool
from tests.support.builders import edition, link


def parsed(slug: str, path: Path, guid: str | None = None) -> ParsedEdition:
    record = edition(
        slug, "2021-06-07", (link(f"A link of {slug}", url=f"https://x.example/{slug}"),)
    )
    return ParsedEdition(path, record, origin=Origin(guid), warnings=(f"note on {slug}",))


@pytest.mark.parametrize("limit", [spool.SPOOL_BYTES, 1], ids=["in-memory", "on-disk"])
def test_editions_come_back_equal_and_in_order_every_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, limit: int
) -> None:
    monkeypatch.setattr(spool, "SPOOL_BYTES", limit)
    editions = [parsed(f"edition-{n}", tmp_path / f"{n}.md") for n in range(25)]
    kept = EditionSpool()
    for one in editions:
        kept.append(one)
    assert len(kept) == 25
    assert list(kept) == editions
    assert list(kept) == editions  # and again, from the start
    kept.close()


def test_an_empty_spool_yields_nothing() -> None:
    with EditionSpool() as kept:
        assert len(kept) == 0 and list(kept) == []


# Items of one export share its path: a second item with a first one's slug is still refused,
# unless both are forms of one post (the same GUID).
@pytest.mark.parametrize(
    ("second_guid", "rejected"), [("guid-2", 1), ("guid-1", 0)], ids=["other-post", "same-post"]
)
def test_a_slug_twice_in_one_export_is_refused_unless_one_post(
    tmp_path: Path, second_guid: str, rejected: int
) -> None:
    export = tmp_path / "export.xml"
    outcome = DocumentOutcome(
        export, editions=[parsed("twice", export, "guid-1"), parsed("twice", export, second_guid)]
    )
    good, report = validate_documents([outcome], set())
    assert (report.rejected, len(good)) == (rejected, 2 - rejected)
    if rejected:
        assert str(report.problems[0]) == f"{export}:1: slug 'twice' is also used by {export}"
    good.close()
