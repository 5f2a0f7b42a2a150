"""Checked editions kept out of memory between checking them all and writing them.

An import checks every file before it writes any, so what it checked must wait somewhere.
In a list, parsed editions took about 13 MB per 1,000 (7 KB pickled), so a 30,000-edition
import held 400 MB of them; here they wait pickled, in memory up to SPOOL_BYTES and in an
unnamed temporary file beyond, and come back one at a time. Pickling and reading back cost
about 0.1 ms an edition, against 7 ms to parse one (docs/benchmarks.md, "Import memory").
"""

from __future__ import annotations

import pickle
import tempfile
import weakref
from collections.abc import Iterator

from portal.editions.records import ParsedEdition

# A small import never touches the disk; a large one keeps at most this much in memory.
SPOOL_BYTES = 8 * 1024 * 1024


class EditionSpool:
    """Parsed editions appended, then read back in the same order (one reader at a time)."""

    def __init__(self) -> None:
        # It outlives this method: close(), the end of a `with` block or the spool's end closes it.
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self._count = 0
        # A spool its reader drops unclosed closes its file then, quietly.
        self._close = weakref.finalize(self, self._file.close)

    def append(self, parsed: ParsedEdition) -> None:
        """Keep one edition, at the end."""
        self._file.seek(0, 2)
        pickle.dump(parsed, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[ParsedEdition]:
        self._file.seek(0)
        for _ in range(self._count):
            # Only this process wrote the file (unnamed, or in memory): unpickling it is safe.
            parsed: ParsedEdition = pickle.load(self._file)
            yield parsed

    def close(self) -> None:
        """Drop what is kept (the temporary file goes with it)."""
        self._close()

    def __enter__(self) -> EditionSpool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
