"""Where the index lives on disk, and the only code that writes it.

Layout of the index folder:
    current          the name of the live build, replaced atomically by a rebuild
    build-<stamp>/   a complete Whoosh index plus meta.json (schema version, and the
                     caller's revision the build reflects, replaced atomically), and
                     each segment's posting lists as flat arrays (<segment>.flat/,
                     index/flat.py), written after every commit
    .lock            held by whoever writes (rebuild or update), so they never interleave

A rebuild writes a new build beside the live one and then swaps `current`, so
searches keep answering from the old build until the new one is complete. The
build before the live one is kept, for searchers still reading it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.query import Term

from index.documents import EditionDocument, whoosh_documents
from index.flat import write_missing
from index.meta import build_revision, schema_version, write_meta
from index.schema import SCHEMA_VERSION, build_schema

POINTER = "current"
# How long a writer waits for another writer (an import racing a timer's update, say)
# before giving up with IndexBusy, instead of Whoosh's immediate LockError.
WRITER_TIMEOUT_S = 60.0
BUILD_PROCESSES = max(1, min(4, os.cpu_count() or 1))
# What each Whoosh writer keeps of its postings before it sorts them into a run on disk (its
# estimate; Python holds about 1.4 times as much). At Whoosh's 128 each writer process grew
# by some 140 MB, most of it by 1,000 editions; at 32, by about 25 MB. From 3,000 editions on,
# both sizes merge runs, at the same CPU cost; a 1,000-edition rebuild, which fitted in 128,
# costs about 7 s more CPU (docs/benchmarks.md, "Import memory").
WRITER_POOL_MB = 32
# An update writes what one import changed, usually a few editions, sorted in memory at
# Whoosh's default as before, so imports keep their speed; a bulk import into a host without
# an index goes through a rebuild instead.
UPDATE_POOL_MB = 128
# A segment's files stay separate. Whoosh reads a compound segment through a BytesIO copy of
# each part, so every searcher held its own copy of the postings (per thread; the figure is
# in docs/benchmarks.md); separate files are read from the shared page cache instead.
COMPOUND_SEGMENTS = False


class IndexUnavailable(Exception):
    """There is no usable index in the folder (never built, deleted or unreadable)."""


class IndexBusy(Exception):
    """Another process is writing the index and did not finish in time."""


def live_build(folder: Path) -> Path:
    """Return the folder of the live build, or raise IndexUnavailable."""
    name = _pointer(folder)
    build = folder / name
    if not name or not build.is_dir():
        raise IndexUnavailable(f"the index in {folder} points at a missing build {name!r}")
    return build


_POINTERS: dict[Path, tuple[tuple[int, int, int], str]] = {}


def _pointer(folder: Path) -> str:
    """Return the live build's name, re-reading the pointer file only when it was replaced."""
    path = folder / POINTER
    try:
        stat = path.stat()
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # os.replace gives a new inode
        known = _POINTERS.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        name = path.read_text().strip()
    except OSError:
        raise IndexUnavailable(f"no index in {folder}: run `flask index rebuild`") from None
    _POINTERS[path] = (signature, name)
    return name


def open_live(folder: Path, *, any_schema: bool = False) -> tuple[Path, FileIndex]:
    """Open the live build, or raise IndexUnavailable (also when another schema version built it)."""
    build = live_build(folder)
    return build, open_build(build, any_schema=any_schema)


def open_build(build: Path, *, any_schema: bool = False) -> FileIndex:
    """Open one build; unless `any_schema`, refuse one written by another schema version."""
    version = schema_version(build)
    if not any_schema and version != SCHEMA_VERSION:
        raise IndexUnavailable(
            f"the index in {build} has schema version {version}, this code needs "
            f"{SCHEMA_VERSION}: run `flask index rebuild`"
        )
    try:
        return whoosh_index.open_dir(str(build))
    except Exception as error:  # Whoosh raises many kinds for a damaged index
        raise IndexUnavailable(f"the index in {build} cannot be opened: {error}") from error


def indexed_revision(folder: Path) -> int | None:
    """Return the revision the live index reflects; IndexUnavailable if none of this schema."""
    build = live_build(folder)
    if schema_version(build) != SCHEMA_VERSION:
        raise IndexUnavailable(f"the index in {build} is of another schema version")
    return build_revision(build)


@contextlib.contextmanager
def write_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's writer lock, waiting up to WRITER_TIMEOUT_S seconds for it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        deadline = time.monotonic() + WRITER_TIMEOUT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexBusy(f"another process is writing the index in {folder}") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rebuild(
    folder: Path,
    editions: Iterable[EditionDocument],
    progress: Callable[[int], None] = lambda _n: None,
    revision: int | None = None,
) -> int:
    """Build a complete index beside the live one, then swap it in; return the document count.

    `revision` is the source's revision read before `editions` were: the build reflects it.
    """
    with write_lock(folder):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        build = folder / f"build-{stamp}-{os.getpid()}"
        build.mkdir(parents=True)
        try:
            count = _fill(build, editions, progress)
            write_meta(build, revision)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        _swap(folder, build)
        return count


def _fill(build: Path, editions: Iterable[EditionDocument], progress: Callable[[int], None]) -> int:
    ix = whoosh_index.create_in(str(build), build_schema())
    count = 0
    # One writer process per core, each leaving its own segment: no final merge, so a full
    # rebuild of 3,000 editions takes about a third of the single-process time.
    with ix.writer(
        procs=BUILD_PROCESSES,
        limitmb=WRITER_POOL_MB,
        multisegment=BUILD_PROCESSES > 1,
        compound=COMPOUND_SEGMENTS,
    ) as writer:
        for edition in editions:
            for document in whoosh_documents(edition):
                writer.add_document(**document)
                count += 1
            progress(1)
    write_missing(ix, BUILD_PROCESSES)
    ix.close()
    return count


def _swap(folder: Path, build: Path) -> None:
    previous = _read_pointer(folder)
    temporary = folder / f"{POINTER}.tmp"
    temporary.write_text(build.name)
    os.replace(temporary, folder / POINTER)  # atomic: readers see the old or the new name
    keep = {build.name, previous}
    for old in folder.glob("build-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _read_pointer(folder: Path) -> str:
    try:
        return (folder / POINTER).read_text().strip()
    except OSError:
        return ""


def indexed_hashes(ix: FileIndex) -> dict[str, str]:
    """Return {edition slug: content hash} of every edition in the index."""
    with ix.searcher() as searcher:
        docnums = searcher.docs_for_query(Term("kind", "edition"))
        return {
            fields["edition"]: fields.get("content_hash", "")
            for fields in (searcher.stored_fields(n) for n in docnums)
        }


def update(
    folder: Path,
    wanted: dict[str, str],
    load: Callable[[list[str]], Iterable[EditionDocument]],
    revision: int | None = None,
    *,
    only_if_behind: bool = False,
) -> tuple[list[str], list[str]]:
    """Re-index editions whose hash differs from `wanted` and drop those not in it.

    `wanted` maps every edition slug to its content hash; `load` returns the
    documents of the slugs it is given. Returns (re-indexed slugs, removed slugs).
    `revision` is the source's revision read before `wanted` was, recorded once the update
    has committed (never lowering the recorded one). With `only_if_behind`, an index that
    already reflects it (another process caught up first) is left alone.
    """
    with write_lock(folder):
        build, ix = open_live(folder)
        known = build_revision(build)
        if only_if_behind and revision is not None and known is not None and known >= revision:
            ix.close()
            return [], []
        changed, removed = _apply(ix, wanted, load)
        if revision is not None:
            write_meta(build, max(revision, known or 0))
        return changed, removed


def _apply(
    ix: FileIndex, wanted: dict[str, str], load: Callable[[list[str]], Iterable[EditionDocument]]
) -> tuple[list[str], list[str]]:
    """Commit the difference between the index and `wanted` in one Whoosh commit."""
    try:
        have = indexed_hashes(ix)
        changed = sorted(slug for slug, digest in wanted.items() if have.get(slug) != digest)
        removed = sorted(set(have) - set(wanted))
        if changed or removed:
            with ix.writer(
                timeout=WRITER_TIMEOUT_S, limitmb=UPDATE_POOL_MB, compound=COMPOUND_SEGMENTS
            ) as writer:
                for slug in changed + removed:
                    writer.delete_by_term("edition", slug)
                for edition in load(changed):
                    for document in whoosh_documents(edition):
                        writer.add_document(**document)
        # Also with nothing to change: `flask index update` after an upgrade writes the
        # arrays a build from before index/flat.py lacks.
        write_missing(ix)
    finally:
        ix.close()
    return changed, removed
