"""Each segment's posting lists as flat arrays beside Whoosh's own files, read through mmap.

Whoosh keeps a posting list in blocks of 128 postings, each a zlib-compressed pickle, and
word positions as one more pickle per posting: a cold search spent most of its time
undoing that (at 30,000 editions, 7 of a median 11 ms reading terms; phrases 100-200 ms).
Segments never change once written, so after each commit the writer (index/storage.py)
also writes every new segment's lists once more, uncompressed, in `<segment id>.flat/`:

    offsets.i64    where each list starts in Whoosh's .pst file (sorted; Whoosh's own term
                   lookup gives it), for the lists Whoosh did not inline in its term file
    starts.i64     where each list's postings start in docs, weights and counts (one more)
    docs.i32       the segment's document numbers
    weights.f32    each posting's weight, the floats Whoosh stores
    counts.i32     each posting's number of positions (fields with positions; 0 otherwise)
    pstarts.i64    where each list's positions start in positions (one more)
    positions.i32  word positions, ascending within a posting

Searches read them through the page cache, shared by every worker, and fall back to Whoosh's
blocks for a segment without them (a build written before this file existed, or the moment
between a commit and its arrays). Deleted documents are in the arrays: callers drop them.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader

from index.blocks import TermList, read_list

SUFFIX = ".flat"
# Open segments kept per process (a live build has a few; each holds three maps, four files).
KEPT_SEGMENTS = 64
_WHERE = ("offsets", "starts", "pstarts")
_LISTS = ("docs", "weights", "counts", "positions")
_FILES = {
    "offsets": np.int64,
    "starts": np.int64,
    "docs": np.int32,
    "weights": np.float32,
    "counts": np.int32,
    "pstarts": np.int64,
    "positions": np.int32,
}


class FlatSegment:
    """A segment's flat arrays: where each list starts mapped read-only (binary searched, a
    few pages touched a lookup), the lists themselves read with `pread` when asked for. (Mapped
    too, the pages a worker touched counted in its RSS: 130 -> 160 MB a worker under
    `make bench-load`, though shared and reclaimable.)"""

    def __init__(self, folder: Path) -> None:
        self.where = {name: _map(_path(folder, name)) for name in _WHERE}
        self.lists = {name: _List(_path(folder, name)) for name in _LISTS}
        w, lists = self.where, self.lists
        postings = len(lists["docs"])
        if not (
            len(w["starts"]) == len(w["pstarts"]) == len(w["offsets"]) + 1
            and w["starts"][-1] == postings == len(lists["weights"]) == len(lists["counts"])
            and w["pstarts"][-1] == len(lists["positions"])
        ):
            raise ValueError(f"{folder} is damaged: its arrays disagree in length")

    def postings(self, offset: int) -> TermList | None:
        """Return the list starting at `offset` in Whoosh's .pst file, or None if not here."""
        w, lists = self.where, self.lists
        i = int(np.searchsorted(w["offsets"], offset))
        if i == len(w["offsets"]) or w["offsets"][i] != offset:
            return None
        start, end = int(w["starts"][i]), int(w["starts"][i + 1])
        first, last = int(w["pstarts"][i]), int(w["pstarts"][i + 1])
        return TermList(
            lists["docs"].read(start, end),
            lists["weights"].read(start, end),
            lists["counts"].read(start, end),
            lists["positions"].read(first, last),
        )


class _List:
    """One file of a segment's lists, open for `pread` (no file position: thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.dtype = np.dtype(_FILES[path.name.split(".")[0]])
        self.fd = -1
        fd = os.open(path, os.O_RDONLY)
        size = os.fstat(fd).st_size
        if size % self.dtype.itemsize:
            os.close(fd)
            raise ValueError(f"{path} is damaged: not a whole number of values")
        self.fd, self.length = fd, size // self.dtype.itemsize

    def __len__(self) -> int:
        return self.length

    def read(self, start: int, end: int) -> Any:
        size = self.dtype.itemsize
        data = os.pread(self.fd, (end - start) * size, start * size)
        if len(data) != (end - start) * size:
            raise ValueError("a flat array was cut short while being read")
        return np.frombuffer(data, dtype=self.dtype)

    def __del__(self) -> None:  # dropped from _OPEN and no search reading it any more
        if self.fd >= 0:
            os.close(self.fd)


def _suffix(dtype: Any) -> str:
    return {np.int64: "i64", np.int32: "i32", np.float32: "f32"}[dtype]


def _path(folder: Path, name: str) -> Path:
    return folder / f"{name}.{_suffix(_FILES[name])}"


def _map(path: Path) -> Any:
    dtype = _FILES[path.name.split(".")[0]]
    size = path.stat().st_size
    if size % np.dtype(dtype).itemsize:
        raise ValueError(f"{path} is damaged: not a whole number of values")
    return np.memmap(path, dtype=dtype, mode="r") if size else np.zeros(0, dtype=dtype)


class _Open:
    """The FlatSegments this process has mapped, by folder (thread-safe, bounded)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[Path, FlatSegment] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, folder: Path) -> FlatSegment | None:
        with self._lock:
            if folder in self._kept:
                self._kept.move_to_end(folder)
                return self._kept[folder]
        try:
            segment = FlatSegment(folder)
        except (OSError, ValueError):  # not written (yet), or removed with its segment
            return None
        with self._lock:
            # Unmap the segments merged away or rebuilt over, so their disk space is freed.
            for gone in [kept for kept in self._kept if not kept.is_dir()]:
                del self._kept[gone]
            self._kept[folder] = segment
            while len(self._kept) > KEPT_SEGMENTS:
                self._kept.popitem(last=False)
        return segment


_OPEN = _Open()


def segment_lists(
    searcher: Any, fieldname: str, text: str, with_positions: bool = False
) -> Iterator[tuple[TermList, int]]:
    """Yield (postings, first document number) of each segment holding the term: from the
    segment's flat arrays, or else from Whoosh's blocks."""
    for leaf, offset in searcher.reader().leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        info = leaf.term_info(fieldname, text)
        segment = None if info.is_inlined() else _OPEN.get(segment_folder(leaf))
        found = None if segment is None else segment.postings(info.extent()[0])
        yield found or read_list(leaf, fieldname, text, with_positions), offset


def segment_folder(leaf: Any) -> Path:
    """Return where a leaf reader's segment keeps its flat arrays."""
    storage = leaf._storage
    storage = getattr(storage, "b", storage)  # a compound segment's files, over the folder's
    return Path(storage.folder) / f"{leaf.segment().segment_id()}{SUFFIX}"


def write_missing(ix: Any, processes: int = 1) -> None:
    """Write the flat arrays of every segment of the index that has none (up to `processes`
    segments at a time), and remove those of segments the index no longer has (merged away).
    The caller holds the write lock."""
    folder = Path(ix.storage.folder)
    with ix.reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers() if isinstance(leaf, SegmentReader)]
        wanted = {segment_folder(leaf): leaf.segment().segment_id() for leaf in leaves}
    missing = [segment for target, segment in wanted.items() if not target.is_dir()]
    if processes > 1 and len(missing) > 1:
        with ProcessPoolExecutor(min(processes, len(missing))) as pool:
            list(pool.map(_write_segment, [folder] * len(missing), missing))
    else:
        for segment in missing:
            _write_segment(folder, segment)
    for old in folder.glob(f"*{SUFFIX}*"):  # with the leftovers of a writer that was killed
        if old not in wanted:
            shutil.rmtree(old, ignore_errors=True)


def _write_segment(folder: Path, segment_id: str) -> None:
    """Write one segment's arrays (in a process of its own, when several are missing)."""
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            if isinstance(leaf, SegmentReader) and leaf.segment().segment_id() == segment_id:
                _write(leaf, segment_folder(leaf))


def _write(leaf: Any, target: Path) -> None:
    """Write a segment's arrays into a temporary folder, then rename it into place."""
    temporary = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        with _Files(temporary) as files:
            _write_lists(leaf, files)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


class _Files:
    """The seven files being written, appended to a few megabytes at a time (a write per
    list and file was a fifth of the time)."""

    FLUSH_BYTES = 8 << 20

    def __init__(self, folder: Path) -> None:
        self.files = {
            name: (folder / f"{name}.{_suffix(t)}").open("wb") for name, t in _FILES.items()
        }
        self.pending: dict[str, list[bytes]] = {name: [] for name in _FILES}
        self.size = 0

    def append(self, name: str, values: Any) -> None:
        data = np.asarray(values, dtype=_FILES[name]).tobytes()
        self.pending[name].append(data)
        self.size += len(data)
        if self.size >= self.FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        for name, chunks in self.pending.items():
            self.files[name].write(b"".join(chunks))
            chunks.clear()
        self.size = 0

    def __enter__(self) -> _Files:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.flush()
        finally:
            for file in self.files.values():
                file.close()


def _write_lists(leaf: Any, files: _Files) -> None:
    """Append every list that Whoosh did not inline, in the order of its offset."""
    postings = positions = 0
    for offset, fieldname, text, info in sorted(_block_lists(leaf), key=lambda each: each[0]):
        found = read_list(leaf, fieldname, text, with_positions=True, info=info)
        counts = found.counts if len(found.counts) else np.zeros(len(found.docs), np.int32)
        files.append("offsets", [offset])
        files.append("starts", [postings])
        files.append("pstarts", [positions])
        files.append("docs", found.docs)
        files.append("weights", found.weights)
        files.append("counts", counts)
        files.append("positions", found.positions)
        postings += len(found.docs)
        positions += len(found.positions)
    files.append("starts", [postings])
    files.append("pstarts", [positions])


def _block_lists(leaf: Any) -> Iterator[tuple[int, str, bytes, Any]]:
    """Yield (offset, field, term, term info) of the lists Whoosh did not inline, reading the
    term file in order (not a hash lookup a term)."""
    for (fieldname, text), info in leaf._terms.items():
        if fieldname in leaf.schema and not info.is_inlined():
            yield info.extent()[0], fieldname, text, info
