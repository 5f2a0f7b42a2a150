"""The PRODUCTHEAD reader portal: a Flask app over the edition archive."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from portal import settings

__all__ = ["create_app"]

_PACKAGE = Path(__file__).resolve().parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the portal app: settings, database, CLI commands and pages."""
    site, instance = _folders(settings.PROJECT_ROOT)
    app = Flask(
        __name__,
        instance_path=instance,
        instance_relative_config=True,
        template_folder=str(site / "templates"),
        static_folder=str(site / "static"),
    )
    _configure(app, test_config)

    from portal import (
        caching,
        commands,
        db,
        limits,
        search,
        security,
        static_files,
        subscriptions,
        templating,
        views,
    )

    security.init_app(app)
    static_files.init_app(app)
    caching.init_app(app)
    db.init_app(app)
    search.init_app(app)
    security.csrf.init_app(app)
    limits.init_app(app)
    subscriptions.init_app(app)
    commands.init_app(app)
    views.init_app(app)
    templating.init_app(app)
    return app


def _folders(root: Path) -> tuple[Path, str | None]:
    """Return where templates/ and static/ are, and the instance folder (None: Flask's choice).

    An installed wheel carries templates/ and static/ inside the package, and keeps its
    instance folder where Flask puts an installed package's (<prefix>/var/portal-instance);
    a checkout has them at its top, beside its instance/.
    """
    if (_PACKAGE / "templates").is_dir():
        return _PACKAGE, None
    return root, str(root / "instance")


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(settings.defaults())
    if test_config is None:
        app.config.from_pyfile("portal.cfg", silent=True)
        app.config.from_mapping(settings.from_environment())
    else:
        app.config.from_mapping(test_config)
    settings.check(app.config)
    instance = Path(app.instance_path)
    if _uses_instance_folder(app.config):
        # Owner only from the start (a umask can narrow a mode, never widen it): the folder
        # holds the database, the secret key, the index and, in development, every email.
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'portal.sqlite3'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _development_secret_key(instance / "secret_key")


def _uses_instance_folder(config: Mapping[str, Any]) -> bool:
    """Return whether a setting left unset puts something in the instance folder."""
    defaults_inside = ("DATABASE_URL", "SECRET_KEY", "INDEX_DIR")
    folder_mail = not config["SMTP_HOST"] and not config["MAIL_DIR"]
    return folder_mail or any(not config[name] for name in defaults_inside)


def _development_secret_key(path: Path) -> str:
    """Return the development secret key kept in the instance folder, making it once."""
    if not path.exists():
        # Written to a private file of our own, then linked into place: the key is never
        # readable by others, and a second process starting at once never reads half of it.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            draft.unlink()
    return path.read_text().strip()
