"""Every file of ../shared/ingest/wild/ (other projects' exports, feeds and pages) imported
by the rules of its README: found by glob at collection time, so a file added later is
checked too. Each file is parsed once in a subprocess under a timeout (a hang fails the
session's fixture, not the machine), then imported twice into a real database."""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
import time
import xml.parsers.expat as expat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.db import get_session
from portal.editions import paragraphs
from portal.models import Edition
from tests.conftest import AppFactory
from tests.portal.importing.test_wordpress_import import (
    EXPECTED,
    SHARED,
    _expected_link,
    _link,
    exported,
    fold,
    invoke,
)

pytestmark = pytest.mark.sqlite_only(reason="parsing does not depend on the database backend")

WILD = SHARED / "wild"
# The corpus's README.md and MANIFEST.md describe it: test_the_whole_folder covers them.
FILES = sorted(p for p in WILD.rglob("*") if p.is_file() and p.suffix != ".md")
IDS = [str(p.relative_to(WILD)) for p in FILES]
# "A few seconds at most" on a loaded two-core machine: generous, measured not raced.
PARSE_SECONDS = 5.0
IMPORT_SECONDS = 15.0
NOT_WELL_FORMED = re.compile(r"^error: (.+): not well-formed XML at line (\d+), column (\d+)$")
REFUSALS = (NOT_WELL_FORMED, re.compile(r"^error: .+: refused: the XML declares entities"))
ENTITY_TEXT = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")

_PARSE_ALL = """
import json, sys, time
from pathlib import Path
from portal.importing.files import read_edition_document
seconds = {}
for name in sys.argv[1:]:
    start = time.monotonic()
    read_edition_document(Path(name))
    seconds[name] = time.monotonic() - start
print(json.dumps(seconds))
"""


@pytest.fixture(scope="module")
def parse_seconds() -> dict[str, float]:
    """Return how long parsing each file took, measured in a subprocess under a timeout."""
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_ALL, *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    seconds: dict[str, float] = json.loads(done.stdout)
    return seconds


def expat_verdict(data: bytes) -> tuple[int, int] | bool | None:
    """Return True (well-formed) or (line, column) by the standard library's expat: a second
    opinion beside lxml's. None when expat cannot judge (UTF-32, multi-byte legacy encodings)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or data[:4] in (
        b"\0\0\0<",
        b"<\0\0\0",
    ):
        return None
    body = data.removeprefix(codecs.BOM_UTF8)
    if body[:1].isspace() and body.lstrip().startswith(b"<?xml"):
        data = body.lstrip()  # the README: blanks before <?xml are read as the feed they are
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except (ValueError, LookupError):
        return None
    except expat.ExpatError as error:
        if error.code == expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING]:
            return None
        return (error.lineno, error.offset + 1)
    return True


def state(app: Flask) -> list[tuple[str, object, object]]:
    """Return every stored edition with its content revision stamps."""
    with app.app_context():
        rows = get_session().execute(select(Edition.slug, Edition.updated_at, Edition.date))
        return sorted((slug, updated, date) for slug, updated, date in rows)


def timed_import(app: Flask, path: Path) -> tuple[int, str, float]:
    start = time.monotonic()
    code, output = invoke(app, "editions", "import", str(path))
    return code, output, time.monotonic() - start


def check_constructed(app: Flask, tmp_path: Path) -> None:
    """The three published editions of ../expected/, as a faithful import gives them."""
    editions = exported(app, tmp_path / "out")
    assert set(editions) == set(EXPECTED)
    for slug, want in EXPECTED.items():
        got = editions[slug]
        assert (got["title"], str(got["date"])) == (want["title"], want["date"])
        assert [fold(h) for h in got["highlights"]] == [fold(h) for h in want["highlights"]]
        intro = [fold(paragraphs.plain_text(p)) for p in got["intro"]]
        assert intro == [fold(p) for p in want["intro"]]
        assert [_link(g) for g in got["curated"]] == [_expected_link(w) for w in want["curated"]]
        recent = [_link(g) for g in got.get("recent_posts", [])]
        assert recent == [_expected_link(w) for w in want["recent_posts"]]


def check_refusal(path: Path, code: int, output: str) -> None:
    """A refused file: exit 1, one error line naming the whole file; expat agrees it is broken."""
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    verdict = expat_verdict(path.read_bytes()) if path.suffix == ".xml" else None
    if code == 0:
        assert errors == [], output
        assert verdict in (True, None), f"expat finds it not well-formed at {verdict}"
        return
    assert len(errors) == 1 and any(r.match(errors[0]) for r in REFUSALS), output
    assert "Error: 1 rejected in 1 file; fix the lines above" in output
    broken = NOT_WELL_FORMED.match(errors[0])
    if broken and isinstance(verdict, tuple):
        assert abs(int(broken.group(2)) - verdict[0]) <= 1, (errors[0], verdict)
    if not broken or verdict is True:
        assert verdict is not True, f"lxml refused what expat reads: {errors[0]}"


_ITEM = re.compile(rb"<item[\s>].*?</item>", re.DOTALL)
_WXR = re.compile(rb"xmlns:wp=[\"']https?://wordpress\.org/export/")


def _wp(name: bytes, value: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"<wp:%s>(?:<!\[CDATA\[)?%s(?:\]\]>)?</wp:%s>" % (name, value, name))


def published_posts(data: bytes) -> int | None:
    """Return how many items of an export are published posts; None for other files."""
    if not _WXR.search(data[:8192]):
        return None
    post, publish = _wp(b"post_type", b"post"), _wp(b"status", b"publish")
    return sum(1 for m in _ITEM.finditer(data) if post.search(m[0]) and publish.search(m[0]))


def check_one_line_per_post(path: Path, output: str) -> None:
    """An export names only its published posts: pages, attachments, menus pass in one line."""
    posts = published_posts(path.read_bytes())
    if posts is None:
        return
    named = [
        line
        for line in output.splitlines()
        if line.startswith("skipped: '") or (line.startswith("error:") and ": item '" in line)
    ]
    assert len(named) <= posts, output
    assert not any("full text" in line for line in named), output


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_a_wild_file_imports_by_the_readme_s_rules(
    make_app: AppFactory, tmp_path: Path, path: Path, parse_seconds: dict[str, float]
) -> None:
    assert parse_seconds[str(path)] < PARSE_SECONDS
    app = make_app()
    code, output, seconds = timed_import(app, path)
    assert "Traceback" not in output and code in (0, 1), output
    assert seconds < IMPORT_SECONDS
    assert not ENTITY_TEXT.search(output), output
    check_refusal(path, code, output)
    check_one_line_per_post(path, output)
    if path.parent.name == "constructed":
        assert code == 0, output
        check_constructed(app, tmp_path)
    else:
        assert state(app) == [], output
    before = state(app)
    again, output = invoke(app, "editions", "import", str(path))
    assert again == code and "0 added, 0 updated" in output, output
    assert state(app) == before


def test_the_whole_folder_in_one_import(make_app: AppFactory) -> None:
    app = make_app()
    code, output, seconds = timed_import(app, WILD)
    assert code == 1 and "Traceback" not in output
    assert seconds < 60
    assert f"skipped: {WILD / 'README.md'}: a README (not an edition)" in output
    line = f"skipped: {WILD / 'MANIFEST.md'}: Markdown without edition front matter"
    assert line in output
    refused = [line for line in output.splitlines() if line.startswith("error:")]
    assert all(any(r.match(line) for r in REFUSALS) for line in refused)
    assert output.strip().splitlines()[-1] == (
        f"Error: {len(refused)} rejected in {len(refused)} files; "
        "fix the lines above and import again."
    )
    assert [slug for slug, _updated, _date in state(app)] == sorted(EXPECTED)
