"""`make audit` reads Lighthouse's JSON report: its scores and failed audits.

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


def test_a_console_error_fails_best_practices(report: dict[str, Any]) -> None:
    """The report was taken before the favicon existed: Chromium logged its 404."""
    assert shortfalls(report) == ["best-practices: Browser errors were logged to the console"]


def test_a_report_meeting_every_target_has_no_shortfalls(report: dict[str, Any]) -> None:
    report["categories"]["best-practices"]["score"] = 1
    assert shortfalls(report) == []


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
    report["categories"]["best-practices"]["score"] = 1
    fail(report, category, audit, score)
    failed = shortfalls(report)
    assert len(failed) == 1
    assert failed[0].startswith(f"{category}: {report['audits'][audit]['title']}")


def test_a_category_lighthouse_could_not_score_fails(report: dict[str, Any]) -> None:
    report["categories"]["seo"]["score"] = None
    assert scores(report)["seo"] is None
    assert "seo: no score" in shortfalls(report)
