"""Log records without email addresses: logs outlive `flask subscribers forget`.

Our own log lines name subscribers and messages by id. This filter is the net under them for
text we do not write: an exception's message, such as PostgreSQL's "Key (email)=(...)
already exists", or an SMTP server's reply quoting the recipient.
"""

from __future__ import annotations

import logging
import re

# Wide on purpose (RFC 5322 local-part characters, a dotted domain): a false positive costs a
# word in a log line, a miss leaks an address.
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "<address>"


def redact_addresses(record: logging.LogRecord) -> bool:
    """Replace every email address in a record's message and traceback; keep the record."""
    record.msg, record.args = ADDRESS.sub(REDACTED, record.getMessage()), None
    if record.exc_info and not record.exc_text:
        # Handlers format a traceback only when exc_text is empty, so this text is the one used.
        traceback = logging.Formatter().formatException(record.exc_info)
        record.exc_text = ADDRESS.sub(REDACTED, traceback)
    return True


def private_logger(name: str) -> logging.Logger:
    """Return `logging.getLogger(name)` with addresses redacted from everything it logs."""
    log = logging.getLogger(name)
    log.addFilter(redact_addresses)  # the same filter twice is kept once
    return log
