"""Bringing editions in: read them, check them all, write each, re-index what changed.

Data flows one way. `formats` parses a document, told apart by content, into records
(`portal.editions`); `run` checks every record (`editions.checks`) before anything is
written, then writes each edition in its own transaction through `editions.store`, then
calls `portal.search.content_changed`. `import_paths` (files and folders) and `import_documents`
(documents parsed by the caller, such as a feed `feed_sync` fetched) do all of it: the
command line calls nothing else to import.
"""

from portal.editions.catalogue import ThemeEntry, load_catalogue
from portal.editions.records import DocumentOutcome, EditionFileError, Problem
from portal.importing import feed_sync
from portal.importing.files import collect_edition_files, read_edition_text
from portal.importing.formats import detect_form, parse_document
from portal.importing.run import Bar, ImportReport, import_documents, import_paths

__all__ = [
    "Bar",
    "DocumentOutcome",
    "EditionFileError",
    "ImportReport",
    "Problem",
    "ThemeEntry",
    "collect_edition_files",
    "detect_form",
    "feed_sync",
    "import_documents",
    "import_paths",
    "load_catalogue",
    "parse_document",
    "read_edition_text",
]
