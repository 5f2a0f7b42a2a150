"""Claims on the delivery rows: leases, other senders' rows, and the rate window they share."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import update

from portal.db import get_session
from portal.models import Delivery
from portal.newsletter import deliveries, sends
from tests.conftest import AppFactory
from tests.portal.newsletter.delivery_helpers import add_edition, add_subscribers

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def started(make_app: AppFactory) -> tuple[Flask, int]:
    """Return an app whose edition's send has recorded an audience of 30."""
    app = make_app()
    edition_id = add_edition(app, "first")
    add_subscribers(app, range(30))
    with app.app_context():
        assert sends.start_send(edition_id) == 30
    return app, edition_id


def test_two_senders_claim_different_rows_and_reserve_windows_one_after_the_other(
    started: tuple[Flask, int],
) -> None:
    app, edition_id = started
    with app.app_context():
        one = deliveries.claim_batch(edition_id, 10, "one", rate=5.0)
        two = deliveries.claim_batch(edition_id, 10, "two", rate=5.0)
    ids_one = {item.delivery_id for item in one.items}
    ids_two = {item.delivery_id for item in two.items}
    assert len(ids_one) == len(ids_two) == 10 and not ids_one & ids_two
    # 10 messages at 5 a second: the second sender's window starts 2 s after the first's,
    # so both together never exceed the rate.
    assert one.delay == pytest.approx(0.0, abs=0.3)
    assert two.delay == pytest.approx(2.0, abs=0.3)


def test_a_lapsed_claim_is_taken_over_and_a_live_one_is_not(started: tuple[Flask, int]) -> None:
    app, edition_id = started
    with app.app_context():
        first = deliveries.claim_batch(edition_id, 30, "dead sender", rate=0)
        assert len(first.items) == 30
        assert deliveries.claim_batch(edition_id, 30, "next", rate=0).items == []
        waiting = sends.counts(get_session(), edition_id)["waiting"]
        assert waiting == 30
        due_in = deliveries.seconds_until_due(get_session(), edition_id)
        assert due_in is not None and 55 < due_in <= deliveries.LEASE_SECONDS
        get_session().rollback()
        # The dead sender's lease runs out (as it does 60 s later).
        get_session().execute(update(Delivery).values(claimed_until=LONG_AGO))
        get_session().commit()
        taken = deliveries.claim_batch(edition_id, 30, "next", rate=0)
    assert {item.delivery_id for item in taken.items} == {item.delivery_id for item in first.items}


def test_a_paused_or_cancelled_send_gives_out_no_claims(started: tuple[Flask, int]) -> None:
    app, edition_id = started
    with app.app_context():
        sends.pause(edition_id, "the provider refused everything")
        paused = deliveries.claim_batch(edition_id, 10, "one", rate=0)
        assert (paused.items, paused.open) == ([], False)
        assert sends.start_send(edition_id) == 30  # `send` resumes it
        assert sends.cancel(edition_id) == "sending"
        assert deliveries.claim_batch(edition_id, 10, "one", rate=0).open is False
