"""Fixtures of the newsletter tests: the ordinary edition's email."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.newsletter.message import EditionEmail
from tests.portal.newsletter.email_editions import render, store, weekly


@pytest.fixture
def weekly_email(app: Flask) -> EditionEmail:
    """Return the ordinary edition's email."""
    store(app, weekly())
    return render(app, "platforms-week")
