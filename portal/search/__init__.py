"""The search side of the portal: the one home of the index.

`adapter` turns database editions into index documents and answers searches; `lifecycle`
keeps the index current. Every code path that commits editions or themes calls
`content_changed(session)` afterwards (import, feed sync, tagging, the newsletter); a
worker whose host's index is behind another host's writes catches up in the background,
started by the request hook `init_app` registers. Nothing else in the portal imports `index`.
"""

from portal.search.adapter import (
    SCHEMA_VERSION,
    Hit,
    IndexBusy,
    IndexSummary,
    IndexUnavailable,
    QueryError,
    SearchRequest,
    SearchResults,
    Sort,
    check_index,
    database_hashes,
    facet_names,
    get_search_index,
    highlight_param,
    highlight_terms,
    index_behind,
    index_folder,
    index_summary,
    mark,
    rebuild_index,
    update_index,
)
from portal.search.lifecycle import content_changed, init_app

__all__ = [
    "SCHEMA_VERSION",
    "Hit",
    "IndexBusy",
    "IndexSummary",
    "IndexUnavailable",
    "QueryError",
    "SearchRequest",
    "SearchResults",
    "Sort",
    "check_index",
    "content_changed",
    "database_hashes",
    "facet_names",
    "get_search_index",
    "highlight_param",
    "highlight_terms",
    "index_behind",
    "index_folder",
    "index_summary",
    "init_app",
    "mark",
    "rebuild_index",
    "update_index",
]
