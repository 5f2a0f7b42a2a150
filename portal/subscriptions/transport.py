"""Handing a finished message to SMTP, or to a folder when no SMTP server is configured."""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Protocol

from portal.logs import private_logger

log = private_logger(__name__)

TLS_MODES = ("starttls", "ssl", "none")


class Transport(Protocol):
    """Something that delivers one message or raises OSError / smtplib.SMTPException."""

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Deliver the message to the recipient."""


@dataclass(frozen=True)
class SmtpTransport:
    """One SMTP connection per message, each socket operation bounded by `timeout`."""

    host: str
    port: int
    tls: str
    timeout: float
    user: str | None = None
    password: str | None = None

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Deliver the message over SMTP."""
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.sendmail(sender, [recipient], message)


@dataclass(frozen=True)
class FolderTransport:
    """Development delivery: each message becomes an .eml file, and a log line says where."""

    folder: Path

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Write the message to a new file in the folder, readable by its owner only."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex}.eml"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(message)
        # A warning, so it shows under gunicorn's default logging and a production
        # server that lost its PORTAL_SMTP_HOST says so loudly. The file, not the address:
        # logs outlive `flask subscribers forget`.
        log.warning("No SMTP host configured: mail written to %s", path)


def erase_mail_files(folder: Path, address: str) -> int:
    """Delete the .eml files in `folder` addressed to `address`; return how many."""
    erased = 0
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as file:
            headers = BytesHeaderParser().parse(file)
        fields = [str(value) for name in ("To", "Cc") for value in headers.get_all(name, [])]
        if any(found.lower() == address for _name, found in getaddresses(fields)):
            path.unlink(missing_ok=True)
            erased += 1
    return erased


def mail_folder(config: Mapping[str, Any], instance_path: str) -> Path:
    """Return the folder the folder transport writes to: MAIL_DIR, else instance/mail."""
    return Path(config["MAIL_DIR"] or Path(instance_path) / "mail")


def check_mail_settings(config: Mapping[str, Any]) -> None:
    """Raise ValueError naming the variable when a mail setting cannot work."""
    if config["SMTP_TLS"] not in TLS_MODES:
        raise ValueError(
            f"PORTAL_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {config['SMTP_TLS']!r}"
        )


def transport_from_config(config: Mapping[str, Any], instance_path: str) -> Transport:
    """Return the SMTP transport when a host is set, else the folder transport."""
    if not config["SMTP_HOST"]:
        return FolderTransport(mail_folder(config, instance_path))
    return SmtpTransport(**smtp_settings(config))


def smtp_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the PORTAL_SMTP_* settings as SmtpTransport's (and the newsletter's) fields."""
    return {
        "host": config["SMTP_HOST"],
        "port": int(config["SMTP_PORT"]),
        "tls": config["SMTP_TLS"],
        "timeout": float(config["SMTP_TIMEOUT_SECONDS"]),
        "user": config["SMTP_USER"] or None,
        "password": config["SMTP_PASSWORD"] or None,
    }
