"""`make audit` reads Lighthouse's JSON report: scores, failed audits and tolerated ones.

The report is a real one of /search (Lighthouse 12.8.2), trimmed to what tools/audit.py reads.
Lighthouse itself is not run here: a run takes half a minute a page; `make audit` runs it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tools.audit import TARGETS, scores, shortfalls

REPORT: dict[str, Any] = json.loads((FIXTURES / "lighthouse" / "search.json").read_text())


@pytest.fixture
def report() -> dict[str, Any]:
    return copy.deepcopy(REPORT)


def fail(report: dict[str, Any], category: str, audit: str, score: float) -> None:
    """Make one audit fail and lower its category's score, as Lighthouse would."""
    report["audits"][audit]["score"] = 0
    report["categories"][category]["score"] = score


def test_scores_are_percentages(report: dict[str, Any]) -> None:
    assert scores(report) == {
        "performance": 100,
        "accessibility": 100,
        "best-practices": 96,
        "seo": 100,
    }
    assert set(scores(report)) == set(TARGETS)


def test_the_favicon_404_alone_is_tolerated(report: dict[str, Any]) -> None:
    assert shortfalls(report) == (
        [],
        ["best-practices: Browser errors were logged to the console"],
    )


def test_another_console_error_is_not_tolerated(report: dict[str, Any]) -> None:
    items = report["audits"]["errors-in-console"]["details"]["items"]
    items.append({"source": "javascript", "sourceLocation": {"url": "http://x/static/app.js"}})
    failed, tolerated = shortfalls(report)
    assert failed == ["best-practices: Browser errors were logged to the console"]
    assert tolerated == []


@pytest.mark.parametrize(
    ("category", "audit", "score"),
    [
        ("seo", "is-crawlable", 0.66),
        ("accessibility", "color-contrast", 0.93),
        ("performance", "total-blocking-time", 0.94),
    ],
)
def test_a_category_below_its_target_names_its_failed_audits(
    report: dict[str, Any], category: str, audit: str, score: float
) -> None:
    fail(report, category, audit, score)
    failed, _tolerated = shortfalls(report)
    assert len(failed) == 1
    assert failed[0].startswith(f"{category}: {report['audits'][audit]['title']}")


def test_a_category_lighthouse_could_not_score_fails(report: dict[str, Any]) -> None:
    report["categories"]["seo"]["score"] = None
    assert scores(report)["seo"] is None
    assert shortfalls(report)[0] == ["seo: no score"]
