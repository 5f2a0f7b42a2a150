"""Delivering one edition: claim batches, send them over the worker connections, record each."""

from __future__ import annotations

import os
import queue
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from portal.db import get_session
from portal.newsletter import deliveries, sends
from portal.newsletter.deliveries import Claimed, Outcome
from portal.newsletter.message import EditionEmail
from portal.newsletter.smtp import Pacer, SmtpSettings, Workers

# After a claim finds nothing due, wait this long before asking again.
IDLE_SECONDS = 1.0
# How long outcomes are gathered before they are recorded together.
GATHER_SECONDS = 0.02


@dataclass(frozen=True)
class Pace:
    """How fast to send: connections, messages a second (0: no limit), failures before a pause."""

    connections: int
    rate: float
    max_errors: int

    @property
    def batch(self) -> int:
        """Return how many deliveries to claim at once: about 5 seconds' worth at the rate."""
        if self.rate <= 0:
            return 200
        return int(min(500, max(10, self.rate * 5, self.connections * 2)))


@dataclass
class Tally:
    """What this sender did, and the run of failures that may pause it."""

    delivered: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    last_error: str | None = None
    paused: str | None = None

    def add(self, outcome: Outcome) -> None:
        """Count one outcome; a success ends a run of failures, a bounce neither ends nor adds."""
        name = "retried" if outcome.kind == "retry" else outcome.kind
        setattr(self, name, getattr(self, name) + 1)
        if outcome.kind == "delivered":
            self.consecutive_failures = 0
        elif outcome.kind != "bounced":
            self.consecutive_failures += 1
            self.last_error = outcome.error


def claimer_name() -> str:
    """Return a name for this sender's claims: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Sender:
    """One process's share of an edition's send, over `Pace.connections` SMTP connections."""

    def __init__(
        self,
        email: EditionEmail,
        smtp: SmtpSettings,
        pace: Pace,
        progress: Callable[[int], None] = lambda _n: None,
    ) -> None:
        self.email, self.smtp, self.pace, self.progress = email, smtp, pace, progress
        self.edition_id = email.edition_id
        self.claimer = claimer_name()
        self.tally = Tally()
        self.outstanding: dict[int, Claimed] = {}
        self.pacer = Pacer(pace.rate)
        self._open = True
        self._idle_until = 0.0
        self._renewed = time.monotonic()
        self._unrecorded: list[Outcome] = []

    def run(self) -> Tally:
        """Send until nothing is left for this sender, the send pauses, or it is cancelled."""
        workers = Workers(self.smtp, self.email.message_for, self.pace.connections, self.pacer)
        try:
            with workers:
                self._loop(workers)
        finally:
            # Outcomes of messages in flight when stopped (Ctrl-C) are kept; the rest is released.
            self._drain(workers)
            deliveries.release(list(self.outstanding))
        return self.tally

    def _loop(self, workers: Workers) -> None:
        while True:
            if self._wants_more():
                self._claim(workers)
            if not self.outstanding:
                if not self._open or self.tally.paused or not self._wait_for_due():
                    return
                continue
            self._collect(workers, timeout=0.5)
            self._renew()

    def _wants_more(self) -> bool:
        low = max(self.pace.batch // 2, self.pace.connections)
        idle = time.monotonic() < self._idle_until
        return self._open and not self.tally.paused and not idle and len(self.outstanding) <= low

    def _claim(self, workers: Workers) -> None:
        batch = deliveries.claim_batch(
            self.edition_id, self.pace.batch, self.claimer, self.pace.rate
        )
        self._open = batch.open
        if len(batch.items) < self.pace.batch:
            self._idle_until = time.monotonic() + IDLE_SECONDS
        self.pacer.not_before(batch.delay)
        for item in batch.items:
            self.outstanding[item.delivery_id] = item
            workers.jobs.put(item)

    def _wait_for_due(self) -> bool:
        """Sleep until a waiting delivery can be claimed; return False when none waits."""
        wait = deliveries.seconds_until_due(get_session(), self.edition_id)
        get_session().rollback()  # end the read transaction: no snapshot held while asleep
        if wait is None:
            return False
        time.sleep(min(max(wait, 0.05), 1.0))
        self._idle_until = 0.0
        return True

    def _collect(self, workers: Workers, timeout: float) -> None:
        # Outcomes wait in self._unrecorded until stored: a Ctrl-C at any point between
        # taking one from the queue and committing it must not lose what was sent.
        gathered = self._unrecorded
        try:
            gathered.append(workers.results.get(timeout=timeout))
        except queue.Empty:
            return
        # Gather what else arrives within GATHER_SECONDS (one transaction for many marks);
        # a message sent but not yet marked counts as in flight if the sender dies now.
        until = time.monotonic() + GATHER_SECONDS
        while len(gathered) < self.pace.connections:
            try:
                gathered.append(workers.results.get(timeout=max(until - time.monotonic(), 0)))
            except queue.Empty:
                break
        self._record(workers)

    def _record(self, workers: Workers | None) -> None:
        outcomes = self._unrecorded
        deliveries.record(outcomes)
        self._unrecorded = []
        for outcome in outcomes:
            self.outstanding.pop(outcome.delivery_id, None)
            self.tally.add(outcome)
        self.progress(sum(o.kind != "retry" for o in outcomes))
        if self.tally.consecutive_failures >= self.pace.max_errors and not self.tally.paused:
            self._pause(workers)

    def _pause(self, workers: Workers | None) -> None:
        tally = self.tally
        tally.paused = (
            f"paused after {tally.consecutive_failures} failed messages in a row "
            f"(PORTAL_MAIL_MAX_ERRORS is {self.pace.max_errors}); the last: {tally.last_error}"
        )
        sends.pause(self.edition_id, tally.paused)
        if workers is not None:
            taken = workers.take_back()
            deliveries.release(taken)
            for delivery_id in taken:
                self.outstanding.pop(delivery_id, None)

    def _renew(self) -> None:
        # Renewed three times a lease, so a busy moment never lets a live claim run out.
        if self.outstanding and time.monotonic() - self._renewed > deliveries.LEASE_SECONDS / 3:
            deliveries.renew(list(self.outstanding), self.claimer)
            self._renewed = time.monotonic()

    def _drain(self, workers: Workers) -> None:
        while True:
            try:
                self._unrecorded.append(workers.results.get_nowait())
            except queue.Empty:
                break
        if self._unrecorded:
            self._record(None)
