"""SMTP for the newsletter: connections that carry many messages, in parallel, at a set pace."""

from __future__ import annotations

import queue
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from portal.newsletter.deliveries import Claimed, Outcome
from portal.newsletter.message import Recipient
from portal.subscriptions.transport import smtp_settings


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect: the PORTAL_SMTP_* settings."""

    host: str
    port: int
    tls: str
    timeout: float
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_config(cls, config: Any, sender: str) -> SmtpSettings:
        """Return the settings of the app's config."""
        return cls(**smtp_settings(config), sender=sender)


class Pacer:
    """At most `rate` messages a second over all threads (0: no limit), from a start time."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def not_before(self, delay: float) -> None:
        """Send nothing sooner than `delay` seconds from now (the start of a reserved window)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + delay)

    def wait(self) -> None:
        """Block until this thread may send its next message."""
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


def describe(error: BaseException) -> str:
    """Return a one-line account of an SMTP failure (the server's code and text)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{code} {text}"
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        said = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        return f"{error.smtp_code} {said}"
    return f"{type(error).__name__}: {error}"


def classify(error: BaseException) -> str:
    """Return `bounced` (5xx on RCPT), `failed` (other 5xx) or `retry` (4xx, dropped, timeouts)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = next(iter(error.recipients.values()))[0]
        return "bounced" if 500 <= code < 600 else "retry"
    if isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600:
        # The message or sender refused for good (not this reader's address): never a bounce.
        return "retry" if isinstance(error, smtplib.SMTPAuthenticationError) else "failed"
    return "retry"


class Connection:
    """One SMTP session, opened on first use, kept for the next message, reopened after a drop."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.tls == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.tls == "starttls":
            smtp.starttls(context=context)
        if s.user:
            smtp.login(s.user, s.password or "")
        return smtp

    def send(self, recipient: str, message: bytes) -> None:
        """Hand one message to the server, or raise OSError / smtplib.SMTPException."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.sendmail(self.settings.sender, [recipient], message)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.close()
            raise
        except smtplib.SMTPException:
            # After a 421 (the server closing this session) smtplib has closed the socket.
            if self._smtp is not None and self._smtp.sock is None:
                self._smtp = None
            raise

    def close(self) -> None:
        """End the session politely if it is still there."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class Workers:
    """`count` threads, each with its own connection, sending claimed deliveries at a shared pace."""

    def __init__(
        self,
        settings: SmtpSettings,
        render: Callable[[Recipient], bytes],
        count: int,
        pacer: Pacer,
    ) -> None:
        self.jobs: queue.Queue[Claimed | None] = queue.Queue()
        self.results: queue.Queue[Outcome] = queue.Queue()
        self._settings, self._render, self._pacer = settings, render, pacer
        self._threads = [
            threading.Thread(target=self._work, name=f"newsletter-smtp-{n}", daemon=True)
            for n in range(count)
        ]

    def __enter__(self) -> Workers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.take_back()
        for _thread in self._threads:
            self.jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=self._settings.timeout * 4)

    def take_back(self) -> list[int]:
        """Remove the jobs no thread has started; return their delivery ids."""
        taken: list[int] = []
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return taken
            if job is not None:
                taken.append(job.delivery_id)

    def _work(self) -> None:
        connection = Connection(self._settings)
        try:
            while (job := self.jobs.get()) is not None:
                self._pacer.wait()
                self.results.put(self._attempt(connection, job))
        finally:
            connection.close()

    def _attempt(self, connection: Connection, job: Claimed) -> Outcome:
        reader = job.recipient
        try:
            message = self._render(reader)
        except ValueError as error:  # an address the message cannot carry
            return Outcome(job.delivery_id, reader.subscriber_id, "failed", str(error)[:200])
        try:
            connection.send(reader.email, message)
        except (OSError, smtplib.SMTPException) as error:
            reason = describe(error).replace(reader.email, "the recipient")
            return Outcome(job.delivery_id, reader.subscriber_id, classify(error), reason)
        return Outcome(job.delivery_id, reader.subscriber_id, "delivered")
