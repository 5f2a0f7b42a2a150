"""Helpers for the subscription tests: a real SMTP server, the form's hidden fields, links."""

from __future__ import annotations

import asyncio
import email
import re
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One message as the SMTP server got it: envelope and raw bytes."""

    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """Return the message parsed."""
        parsed = email.message_from_bytes(self.raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        """Return the plain-text body."""
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        """Return the HTML body."""
        body = self.message.get_body(("html",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.reply = "250 OK"
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message (aiosmtpd handler hook) and answer with `self.reply`."""
        if self.reply.startswith("250"):
            with self._lock:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
                )
        return self.reply

    def start(self) -> None:
        """Start listening."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening, if started."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        """Return the messages received for one address."""
        with self._lock:
            return [r for r in self.received if address in r.recipients]


def mail_settings(port: int, mail_dir: object) -> dict[str, object]:
    """Return app settings that send mail to a local test SMTP server."""
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_TLS": "none",
        "SMTP_TIMEOUT_SECONDS": 5,
        "MAIL_IN_BACKGROUND": False,  # so the mailbox holds the mail when the request returns
        "MAIL_DIR": str(mail_dir),
        "SIGNUP_MIN_SECONDS": 0,
        "SIGNUP_RATE_LIMIT": "1000 per minute",
    }


def hidden_fields(page: str) -> dict[str, str]:
    """Return the CSRF token and the signed form time from a page with the sign-up form."""
    found = dict(re.findall(r'name="(csrf_token|started)" type="hidden" value="([^"]+)"', page))
    assert set(found) == {"csrf_token", "started"}, page
    return found


def sign_up(client: FlaskClient, address: str, **fields: str) -> TestResponse:
    """Fill in the sign-up form like a browser and send it, following the redirect."""
    data = hidden_fields(client.get("/subscribe").text) | {"email": address} | fields
    return client.post("/subscribe", data=data, follow_redirects=True)


def link(received: Received, kind: str) -> str:
    """Return the path of the `confirm` or `unsubscribe` link in a message's text."""
    pattern = {"confirm": r"/subscribe/confirm/[\w.-]+", "unsubscribe": r"/unsubscribe/[\w.-]+"}
    found = re.search(r"http://127\.0\.0\.1:8000(" + pattern[kind] + ")", received.text)
    assert found, received.text
    return found.group(1)


def csrf_token(client: FlaskClient, path: str) -> str:
    """Return the CSRF token of the form on a page."""
    found = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).text
    )
    assert found
    return found.group(1)


class HoldingMailbox(Mailbox):
    """A Mailbox that, while holding, keeps each message's DATA unanswered until released.

    A sender is then provably inside its SMTP step. A message whose sender hung up before
    the answer is not kept: a real server does not deliver what it never acknowledged.
    """

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.released = threading.Event()
        self.arrived = threading.Event()
        self.held_from: list[tuple[str, int]] = []  # the (host, port) of each held sender

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Hold the answer while `holding` is set, then keep the message if its sender waited."""
        if self.holding.is_set():
            self.held_from.append(session.peer)
            self.arrived.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)  # cancelled by aiosmtpd if the sender hangs up
            if server.transport is None or server.transport.is_closing():
                return "421 sender gone"
        return await super().handle_DATA(server, session, envelope)
