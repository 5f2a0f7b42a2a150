"""The portal's pages: one blueprint per area, plus error pages."""

from __future__ import annotations

from flask import Flask

from portal.views import (
    archive,
    discovery,
    errors,
    feeds,
    health,
    search,
    sources,
    subscribe,
    themes,
)


def init_app(app: Flask) -> None:
    """Register blueprints and error pages."""
    app.register_blueprint(archive.bp)
    app.register_blueprint(themes.bp)
    search.init_app(app)
    app.register_blueprint(sources.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(health.bp)
    subscribe.init_app(app)
    errors.init_app(app)
