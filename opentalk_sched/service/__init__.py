"""opentalk_sched.service: the events operations (rules, permissions, transactions).

    >>> from opentalk_sched.service import Service
    >>> from opentalk_sched.store import open_store
    >>> service = Service(open_store(":memory:"))

Adapters (HTTP, CLI, CalDAV) call :class:`Service`; it validates input, checks
permissions, applies the rules of SPEC §1-§2 on core events, writes through a
:class:`~opentalk_sched.store.Store` in one transaction per operation, and tells the
notification hook what changed. Requests and answers are the typed dataclasses of
:mod:`.requests` and :mod:`.views`; errors are those of :mod:`.errors`.
"""

from __future__ import annotations

from .base import Access
from .errors import BadRequest, FieldError, Forbidden, NotFound, PreconditionFailed, ServiceError, ValidationFailed
from .notifications import Change, ItipBuilder, Notification, NotificationHook
from .requests import (
    UNSET, CalendarQuery, CreateEvent, DateTimeTZ, InstanceQuery, InviteQuery, ListEvents, PatchEvent, PatchInstance,
)
from .service import Service
from .views import (
    EventView, ExceptionView, ImportReport, InstanceView, InviteeView, InvitePage, Page, Profile, RoomEventView,
    RoomView,
)

__all__ = [
    "Service", "Access", "BadRequest", "FieldError", "Forbidden", "NotFound", "PreconditionFailed", "ServiceError",
    "ValidationFailed", "Change", "ItipBuilder", "Notification", "NotificationHook", "UNSET", "CalendarQuery",
    "CreateEvent", "DateTimeTZ", "InstanceQuery", "InviteQuery", "ListEvents", "PatchEvent", "PatchInstance",
    "EventView", "ExceptionView", "ImportReport", "InstanceView", "InviteeView", "InvitePage", "Page", "Profile",
    "RoomEventView", "RoomView",
]
