"""A real SMTP server for the newsletter tests (aiosmtpd on 127.0.0.1), with chosen misbehaviour.

It can refuse chosen recipients for good (550 on RCPT), refuse a chosen message once (451
on DATA), drop the connection on chosen messages, answer slowly, and it counts and keeps
every message per recipient.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.signup_helpers import Received, free_port


@dataclass
class Behaviour:
    """What the server does to whom: refused (550), refused once (451 on DATA, 421 on RCPT),
    dropped once, refused message (554), slowness."""

    refuse: set[str] = field(default_factory=set)
    refuse_once: set[str] = field(default_factory=set)
    drop_once: set[str] = field(default_factory=set)
    # Answer RCPT once with 421 (the server closing the session: "too many messages").
    busy_once: set[str] = field(default_factory=set)
    # Refuse the message itself for good (554 on DATA), not the recipient.
    reject: set[str] = field(default_factory=set)
    # Refuse every message with this reply (e.g. "421 4.7.0 too many messages"), while set.
    refuse_all: str | None = None
    delay: float = 0.0


class SmtpServer:
    """An aiosmtpd server that misbehaves on purpose and remembers what it accepted."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.port = free_port()
        self.behaviour = behaviour or Behaviour()
        self.received: list[Received] = []
        self.counts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.connections = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        """Start listening on 127.0.0.1."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening, if started."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """Count connections (one EHLO each) and answer as aiosmtpd would (its hook)."""
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Refuse the chosen addresses for good; accept the others (aiosmtpd hook)."""
        with self._lock:
            if address in self.behaviour.refuse:
                self.refusals[address] += 1
                return "550 5.1.1 no such mailbox"
            if address in self.behaviour.busy_once:
                self.behaviour.busy_once.discard(address)
                self.refusals[address] += 1
                return "421 4.7.0 too many messages, closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message, unless told to refuse or drop it (aiosmtpd hook)."""
        if self.behaviour.delay:
            await asyncio.sleep(self.behaviour.delay)
        recipient = envelope.rcpt_tos[0]
        if reply := self._refusal(recipient):
            if reply == "drop":
                server.transport.close()
            return reply if reply != "drop" else "421 closing"
        with self._lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
            for address in envelope.rcpt_tos:
                self.counts[address] += 1
        return "250 OK"

    def _refusal(self, recipient: str) -> str | None:
        behaviour = self.behaviour
        with self._lock:
            if behaviour.refuse_all or recipient in behaviour.reject:
                self.refusals[recipient] += 1
                return behaviour.refuse_all or "554 5.6.0 message refused"
            for chosen, reply in (
                (behaviour.refuse_once, "451 4.3.0 try again later"),
                (behaviour.drop_once, "drop"),
            ):
                if recipient in chosen:
                    chosen.discard(recipient)
                    self.refusals[recipient] += 1
                    return reply
        return None

    def to(self, address: str) -> list[Received]:
        """Return the messages accepted for one address."""
        with self._lock:
            return [r for r in self.received if address in r.recipients]

    def message_ids(self, address: str) -> list[str]:
        """Return the Message-ID of every message accepted for one address."""
        return [str(r.message["Message-ID"]) for r in self.to(address)]
