"""The database's tables as typed SQLAlchemy 2 models, one module per part of the portal.

`base` holds the declarative base (with the constraint naming convention every migration
relies on) and the UTC time column; `archive` the editions, links, themes and sources;
`subscribers` the subscribers and the outbox; `newsletter` an edition's send and its
delivery records. Importing this package registers every table on `Base.metadata`.
"""

from portal.models.archive import (
    ContentRevision,
    Edition,
    FeedState,
    Link,
    Source,
    Theme,
    edition_themes,
    link_anchor,
    link_themes,
)
from portal.models.base import NAMING_CONVENTION, Base, UTCDateTime, utc
from portal.models.newsletter import (
    DELIVERY_STATUSES,
    SEND_STATES,
    AutosendState,
    Delivery,
    NewsletterSend,
)
from portal.models.subscribers import (
    OUTBOX_STATUSES,
    SUBSCRIBER_STATUSES,
    OutboxMessage,
    Subscriber,
)

__all__ = [
    "DELIVERY_STATUSES",
    "NAMING_CONVENTION",
    "OUTBOX_STATUSES",
    "SEND_STATES",
    "SUBSCRIBER_STATUSES",
    "AutosendState",
    "Base",
    "ContentRevision",
    "Delivery",
    "Edition",
    "FeedState",
    "Link",
    "NewsletterSend",
    "OutboxMessage",
    "Source",
    "Subscriber",
    "Theme",
    "UTCDateTime",
    "edition_themes",
    "link_anchor",
    "link_themes",
    "utc",
]
