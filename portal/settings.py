"""Every setting the portal reads, declared once with its default and meaning.

Order of precedence (later wins): these defaults, then `instance/portal.cfg`,
then `PORTAL_<NAME>` environment variables, then a test's config mapping.
The table in docs/configuration.md is checked against this list by a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    """One configuration key: its name (without the PORTAL_ prefix), default and meaning."""

    name: str
    default: str | int | bool | None
    help: str


ENVIRONMENTS = ("development", "production")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        "development",
        "`development` or `production`. In production the portal refuses to start "
        "without `PORTAL_SECRET_KEY` instead of generating one.",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and CSRF tokens. Required in production. Unset in development: "
        "one is generated and kept in `instance/secret_key`.",
    ),
    Setting(
        "PROXY_HOPS",
        0,
        "How many reverse proxies in front of the portal to trust for `X-Forwarded-For`, "
        "`-Proto`, `-Host` and `-Port`. 0: those headers are ignored.",
    ),
    Setting(
        "CONTENT_CHECK_SECONDS",
        1,
        "How often each worker asks the database whether the archive changed, for page "
        "validators and kept pages: an import by another process shows on pages at most this "
        "late, and this host's search index starts catching up with it (0: on every request).",
    ),
    Setting(
        "PAGE_CACHE_MB",
        16,
        "Rendered archive, theme, source and feed pages each worker keeps, in megabytes, "
        "answered again while the archive is unchanged (0: none).",
    ),
    Setting(
        "PAGE_MAX_AGE",
        60,
        "Seconds browsers and shared caches may reuse an archive, theme, source or feed page "
        "before asking again (with its ETag); 0: ask every time.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database. Unset: the SQLite file `instance/portal.sqlite3`.",
    ),
    Setting(
        "THEMES_FILE",
        str(PROJECT_ROOT / "archive" / "themes.yaml"),
        "The theme catalogue (YAML) that edition files may name themes from.",
    ),
    Setting("EDITIONS_PER_PAGE", 20, "Editions per page of the archive and of a theme's page."),
    Setting("LINKS_PER_PAGE", 30, "Links per page of a source's page."),
    Setting(
        "SITEMAP_LIMIT",
        50_000,
        "Most URLs in one sitemap file (the protocol's maximum, 1 to 50000). With more pages, "
        "`/sitemap.xml` is a sitemap index of parts `/sitemap-1.xml`, `/sitemap-2.xml`, ...",
    ),
    Setting(
        "BASE_URL",
        "http://127.0.0.1:8000",
        "The public address of the site (scheme, host and port, no path): the start of "
        "every absolute URL in emails, feeds, the sitemap, canonical links and Open Graph tags.",
    ),
    Setting(
        "FEED_URL",
        None,
        "The RSS or Atom feed of the site where editions are published: `flask editions sync` "
        "reads it when given no URL, and `make run` syncs it before serving (a feed out of "
        "reach is a warning, not a failed start).",
    ),
    Setting(
        "INDEX_DIR",
        None,
        "Folder of the search index. Unset: `instance/index`. Each web host keeps its own.",
    ),
    Setting("SEARCH_RESULTS_PER_PAGE", 20, "Search hits per page, on `/search` and `/api/search`."),
    Setting(
        "SQLITE_BUSY_TIMEOUT_MS",
        5000,
        "How long a SQLite connection waits for a lock before giving up, in milliseconds.",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        65536,
        "Largest request body accepted, in bytes; a larger one gets a friendly 413 page.",
    ),
    Setting(
        "SIGNUP_RATE_LIMIT",
        "5 per minute",
        "Sign-up and resend requests allowed per client (an IPv4 address or an IPv6 /64) "
        "([limits](https://limits.readthedocs.io/en/stable/quickstart.html#rate-limit-string-notation) notation).",
    ),
    Setting(
        "SEARCH_RATE_LIMIT",
        "240 per minute",
        "Searches (`/search` and `/api/search` together) allowed per client, IPv4 address or "
        "IPv6 /64: room for search-as-you-type, not for scraping ([limits] notation; a 429 "
        "says when to come back in `Retry-After`).",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Where rate-limit counters and used sign-up forms are kept. `memory://` counts per "
        "worker process; `redis://host:6379` (`pip install -e '.[redis]'`) counts across "
        "workers and hosts: use it in production.",
    ),
    Setting(
        "SIGNUP_MIN_SECONDS",
        3,
        "A sign-up sent sooner than this after the form was shown is taken for a bot "
        "and silently ignored.",
    ),
    Setting(
        "MAIL_FROM",
        "PRODUCTHEAD <newsletter@localhost>",
        "The From address of confirmation and welcome emails.",
    ),
    Setting(
        "SMTP_HOST",
        None,
        "SMTP server for outgoing mail. Unset: mail is written to `MAIL_DIR` and logged.",
    ),
    Setting("SMTP_PORT", 587, "SMTP server port."),
    Setting("SMTP_USER", None, "SMTP user name; unset: no login."),
    Setting("SMTP_PASSWORD", None, "SMTP password."),
    Setting(
        "SMTP_TLS",
        "starttls",
        "`starttls` (upgrade the connection), `ssl` (TLS from the start, usually port 465) "
        "or `none`.",
    ),
    Setting(
        "SMTP_TIMEOUT_SECONDS",
        5,
        "How long one SMTP attempt may take; a slow server leaves the mail queued instead.",
    ),
    Setting(
        "MAIL_IN_BACKGROUND",
        True,
        "Send a request's confirmation or welcome email from a thread of its own once the "
        "answer has gone, so the next page on that connection never waits for the SMTP "
        "server. Off: on the request's thread, after the answer (tests that read the "
        "mailbox right after a request).",
    ),
    Setting(
        "OUTBOX_MAX_ATTEMPTS",
        10,
        "Delivery attempts per email before it is given up as `failed` (waits between them "
        "double from 1 minute: 10 attempts span about 4 hours). `flask outbox status` lists "
        "failed mail; `flask outbox retry` queues it again.",
    ),
    Setting(
        "NEWSLETTER_SUBJECT",
        "PRODUCTHEAD: {title}",
        "Subject of the edition email; `{title}` is the edition's title.",
    ),
    Setting(
        "MAIL_CONNECTIONS",
        4,
        "SMTP connections `flask newsletter send` keeps open at once, each carrying many "
        "messages (1 to 50; most providers allow 10 or more).",
    ),
    Setting(
        "MAIL_RATE",
        14,
        "Newsletter messages per second one sender may hand to the SMTP server, all its "
        "connections together (0: no limit). With several senders, give each its share of "
        "the provider's rate (see docs/newsletter.md).",
    ),
    Setting(
        "MAIL_MAX_ERRORS",
        20,
        "Consecutive failed newsletter messages after which the send pauses with the last "
        "error; `flask newsletter send` resumes it.",
    ),
    Setting(
        "NEWSLETTER_AUTOSEND",
        "off",
        "What `flask editions sync` does with an edition it sees on the feed's first page for "
        "the first time: `off` nothing, `draft` list it as ready in `flask newsletter status`, "
        "`send` schedule it for `NEWSLETTER_DELAY` minutes later.",
    ),
    Setting(
        "NEWSLETTER_DELAY",
        30,
        "Minutes between a scheduled edition's arrival and its sending (time to fix a typo or "
        "`flask newsletter cancel` it); `flask newsletter send --due` sends what came due.",
    ),
    Setting(
        "MAIL_DIR",
        None,
        "Where mail goes when no SMTP host is set. Unset: `instance/mail/`.",
    ),
)


def defaults() -> dict[str, Any]:
    """Return the committed default of every setting."""
    return {s.name: s.default for s in SETTINGS}


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Return the settings given as `PORTAL_*` variables, converted to their default's type."""
    found: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"PORTAL_{setting.name}")
        if raw is not None:
            found[setting.name] = _convert(setting, raw)
    return found


def _convert(setting: Setting, raw: str) -> str | int | bool:
    if isinstance(setting.default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(setting.default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"PORTAL_{setting.name} must be a whole number, not {raw!r}") from None
    return raw


class ConfigurationError(ValueError):
    """A setting that makes the portal unsafe or unable to start; the message says which."""


# Whole-number settings and the values they may take (None: no upper bound).
_RANGES: dict[str, tuple[int, int | None]] = {
    "PROXY_HOPS": (0, None),
    "PAGE_MAX_AGE": (0, None),
    "OUTBOX_MAX_ATTEMPTS": (1, None),
    "SITEMAP_LIMIT": (1, 50_000),  # the sitemap protocol's limit per file
    "MAIL_CONNECTIONS": (1, 50),
    "MAIL_RATE": (0, None),
    "MAIL_MAX_ERRORS": (1, None),
    "NEWSLETTER_DELAY": (0, None),
}
AUTOSEND_MODES = ("off", "draft", "send")


def _check_range(name: str, value: int, low: int, high: int | None) -> None:
    if high is None and value < low:
        raise ConfigurationError(f"PORTAL_{name} must be {low} or more, not {value!r}")
    if high is not None and not low <= value <= high:
        raise ConfigurationError(f"PORTAL_{name} must be from {low} to {high}, not {value!r}")


def check(config: Mapping[str, Any]) -> None:
    """Raise ConfigurationError for an unknown environment, a negative number, or no secret in production."""
    if config["ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(
            f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {config['ENV']!r}"
        )
    for name, (low, high) in _RANGES.items():
        _check_range(name, int(config[name]), low, high)
    if config["NEWSLETTER_AUTOSEND"] not in AUTOSEND_MODES:
        raise ConfigurationError(
            f"PORTAL_NEWSLETTER_AUTOSEND must be one of {', '.join(AUTOSEND_MODES)}, "
            f"not {config['NEWSLETTER_AUTOSEND']!r}"
        )
    if config["ENV"] == "production" and not config["SECRET_KEY"]:
        raise ConfigurationError(
            "PORTAL_SECRET_KEY is not set. In production (PORTAL_ENV=production) the portal "
            "needs a fixed secret key to sign sessions, CSRF tokens and email links; make one "
            "with `python3 -c 'import secrets; print(secrets.token_hex(32))'` and set it in "
            "the environment or in instance/portal.cfg."
        )
