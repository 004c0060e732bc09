"""opentalk_sched.caldav: push a user's events to a CalDAV calendar (SPEC §3, RFC 4791, RFC 6578).

    >>> from opentalk_sched.store import open_store
    >>> from opentalk_sched.caldav import sync_to_caldav
    >>> report = sync_to_caldav(open_store("cal.db"), "alice@example.com",            # doctest: +SKIP
    ...                         "http://127.0.0.1:5232/", ("alice", "secret"), "Work")
    >>> report.summary()                                                               # doctest: +SKIP
    'created 42, updated 0, deleted 0, unchanged 0, adopted 0, conflicts 0, errors 0'

One resource per series (``<event_id>.ics``: VTIMEZONEs, master VEVENT, overrides),
created with ``If-None-Match: *``, updated and deleted with ``If-Match``; a state table
in the store's SQLite file remembers href, ETag, pushed revision and content hash, so a
run with nothing changed writes nothing; conflicts are reported with both versions and
resolved by a policy, never by a blind overwrite.

Modules, one concept each: ``engine`` (the run: :func:`sync_to_caldav`, :func:`push`),
``source`` (what is pushed: :class:`SourceItem`, :class:`StoreSource`), ``remote``
(the CalDAV side, through the ``caldav`` library), ``state`` (the caldav_* tables),
``content`` (hashing and comparing iCalendar), ``retry`` (backoff), ``report``
(:class:`SyncReport`, :class:`Conflict`), ``errors``.
"""

from .content import content_hash, same_content
from .engine import POLICIES, push, sync_to_caldav
from .errors import CalDAVAuthError, CalDAVError, CalDAVUnavailable, CalendarNotFound, InvalidPolicy
from .remote import Remote
from .report import Conflict, ItemError, SyncReport
from .retry import RetryPolicy
from .source import SourceItem, StaticSource, StoreSource, SyncSource
from .state import SyncState

__all__ = [
    "sync_to_caldav", "push", "POLICIES", "SyncReport", "Conflict", "ItemError", "SourceItem", "SyncSource",
    "StaticSource", "StoreSource", "SyncState", "Remote", "RetryPolicy", "content_hash", "same_content",
    "CalDAVError", "CalDAVUnavailable", "CalDAVAuthError", "CalendarNotFound", "InvalidPolicy",
]
