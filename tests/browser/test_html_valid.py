"""Every page type is valid HTML, by the Nu HTML Checker (vnu) pinned in package-lock.json.

The pages are fetched without a browser, so the checker sees the HTML as served, and checked
in one run: the JVM takes seconds to start.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.settings import PROJECT_ROOT
from tests.browser.audit_pages import AuditSite

VNU_JAR = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_errors(files: list[Path]) -> list[dict[str, object]]:
    """Return the checker's error messages for the files, in one run of the checker."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.fail(f"need java and {VNU_JAR}: `make install-test` installs the checker")
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # vnu writes its JSON report to standard error and exits 1 when there are errors.
    assert run.returncode in (0, 1), run.stderr
    messages: list[dict[str, object]] = json.loads(run.stderr)["messages"]
    return messages


def test_every_page_type_is_valid_html(audit_site: AuditSite, tmp_path: Path) -> None:
    files = []
    for page in audit_site.pages:
        path = tmp_path / f"{page.name}.html"
        path.write_bytes(audit_site.html(page))
        files.append(path)
    # Each message's url is the file's (file:/tmp/.../<page name>.html).
    problems = [
        f"{str(message.get('url', '')).rsplit('/', 1)[-1]}:{message.get('lastLine', '?')}: "
        f"{message['message']}"
        for message in vnu_errors(files)
    ]
    assert not problems, "vnu found invalid HTML:\n" + "\n".join(problems)
