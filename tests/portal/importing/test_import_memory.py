"""An import's memory does not grow with the number of editions it imports.

Traced (tracemalloc) rather than resident memory, so the figures do not depend on what the
allocator keeps. Checking five times the editions may add little beyond a slug and an origin
each: when the run kept every checked edition in a list, checking 80 more peaked about 1 MB
higher. Writing them may leave nothing behind once collected; the writes' peak is not
compared, as each saved edition leaves an edition-and-links cycle that Python collects in
its own time.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from portal.demo.editions import write_demo_archive
from portal.editions.catalogue import load_catalogue
from portal.importing import spool
from portal.importing.files import collect_edition_files
from portal.importing.run import validate_files, write_editions
from tests.conftest import AppFactory

pytestmark = pytest.mark.sqlite_only(reason="measures the import's own objects, not the driver")

SMALL, LARGE = 20, 100
# What LARGE - SMALL more editions may add: their slugs, origins and report lines (about
# 0.1 MB); kept whole they added about 1 MB.
ALLOWED_GROWTH_MB = 0.5


def import_memory_mb(make_app: AppFactory, folder: Path, count: int) -> tuple[float, float]:
    """Import `count` demo editions into a fresh database; return the check's traced peak and
    what the import left allocated, in MB."""
    app = make_app()
    catalogue = load_catalogue(Path(app.config["THEMES_FILE"]))
    write_demo_archive(folder, count, [theme.slug for theme in catalogue])
    files, _missing = collect_edition_files([folder])
    with app.app_context():
        gc.collect()
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        good, report = validate_files(files, {t.slug for t in catalogue}, None, lambda _n: None)
        checked = tracemalloc.get_traced_memory()[1] - baseline
        with good:
            write_editions(good, catalogue, report)
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - baseline
    assert report.added == count
    return checked / 1e6, left / 1e6


def test_importing_five_times_the_editions_takes_no_more_memory(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both sizes wait on disk, as a large archive's editions do.
    monkeypatch.setattr(spool, "SPOOL_BYTES", 64 * 1024)
    tracemalloc.start()
    try:
        import_memory_mb(make_app, tmp_path / "warm-up", 5)  # caches every import fills once
        small = import_memory_mb(make_app, tmp_path / "small", SMALL)
        large = import_memory_mb(make_app, tmp_path / "large", LARGE)
    finally:
        tracemalloc.stop()
    assert large[0] - small[0] < ALLOWED_GROWTH_MB, ("checking", small, large)
    assert large[1] - small[1] < ALLOWED_GROWTH_MB, ("left after writing", small, large)
