"""Typed requests of the scheduling service: one dataclass per operation's input.

PATCH-style requests use :data:`UNSET` for "absent = unchanged" (SPEC §2): a field
left at ``UNSET`` is not touched, while ``None`` is an explicit value (``password=None``
removes the room password).

    >>> p = PatchEvent(title="New title")
    >>> p.given()
    {'title': 'New title'}

Times come as :class:`DateTimeTZ`, the wire's ``{"datetime", "timezone"}``: an instant
plus the IANA zone it is meant in. The service turns them into wall time + zone.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, fields
from typing import Any

from ..core import InviteRole, InviteStatus


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: "not given" in PATCH requests (distinct from ``None``)
UNSET = _Unset.UNSET


@dataclass(frozen=True, slots=True)
class DateTimeTZ:
    """An instant and the zone it is meant in (SPEC §2 DateTimeTZ).

    ``datetime``: an aware datetime (a naive one is read as UTC); ``timezone``: an IANA
    zone name (``Europe/Berlin``). In answers the instant is UTC; all-day values are
    midnight UTC of the date; floating values are the wall time shown as UTC with
    ``timezone="UTC"``.
    """

    datetime: dt.datetime
    timezone: str = "UTC"

    @property
    def utc(self) -> dt.datetime:
        v = self.datetime
        return v.replace(tzinfo=dt.timezone.utc) if v.tzinfo is None else v.astimezone(dt.timezone.utc)


class _Patch:
    __slots__ = ()

    def given(self) -> dict[str, Any]:
        """The fields that are set (not :data:`UNSET`), without the control fields."""
        skip = {"if_match", "suppress_email_notification"}
        return {f.name: getattr(self, f.name) for f in fields(self)  # type: ignore[arg-type]
                if f.name not in skip and getattr(self, f.name) is not UNSET}


@dataclass(frozen=True, slots=True)
class CreateEvent:
    """``POST /v1/events``. A timed event (``is_time_independent=False``) needs
    ``is_all_day``, ``starts_at`` and ``ends_at``; ``recurrence_pattern`` holds at most 4
    RRULE/RDATE/EXRULE/EXDATE lines of at most 1024 characters."""

    title: str
    description: str = ""
    password: str | None = None
    waiting_room: bool = False
    is_adhoc: bool = False
    is_time_independent: bool = False
    is_all_day: bool | None = None
    starts_at: DateTimeTZ | None = None
    ends_at: DateTimeTZ | None = None
    recurrence_pattern: tuple[str, ...] = ()
    suppress_email_notification: bool = False


@dataclass(frozen=True, slots=True)
class PatchEvent(_Patch):
    """``PATCH /v1/events/{id}`` (and "this and following"): absent = unchanged.

    ``starts_at`` alone keeps the duration; ``recurrence_pattern=()`` removes the
    recurrence; ``password=None`` removes the password; ``is_time_independent=True``
    clears dates, recurrence and exceptions. ``if_match``: the revision the client saw
    (412 when it is not the stored one)."""

    title: Any = UNSET
    description: Any = UNSET
    password: Any = UNSET
    waiting_room: Any = UNSET
    is_adhoc: Any = UNSET
    is_time_independent: Any = UNSET
    is_all_day: Any = UNSET
    starts_at: Any = UNSET
    ends_at: Any = UNSET
    recurrence_pattern: Any = UNSET
    if_match: int | None = None
    suppress_email_notification: bool = False


@dataclass(frozen=True, slots=True)
class PatchInstance(_Patch):
    """``PATCH /v1/events/{id}/instances/{instance_id}``: absent = unchanged.

    ``status``: ``"ok"`` / ``"cancelled"`` (or :class:`~opentalk_sched.core.InstanceStatus`)."""

    title: Any = UNSET
    description: Any = UNSET
    is_all_day: Any = UNSET
    starts_at: Any = UNSET
    ends_at: Any = UNSET
    status: Any = UNSET
    if_match: int | None = None
    suppress_email_notification: bool = False


@dataclass(frozen=True, slots=True)
class ListEvents:
    """``GET /v1/events`` filters (SPEC §2). ``invite_status``: statuses to keep (the
    caller's own events count as accepted); ``after``: the cursor of the previous page."""

    time_min: dt.datetime | None = None
    time_max: dt.datetime | None = None
    favorites: bool | None = None
    adhoc: bool | None = None
    time_independent: bool | None = None
    invite_status: frozenset[InviteStatus] | tuple[InviteStatus, ...] | None = None
    invitees_max: int = 0
    per_page: int = 30
    after: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarQuery:
    """``GET /v1/events/instances``: every instance of the caller's timed events that
    overlaps [time_min, time_max) (at most 366 days), by start then event id.
    ``tz``: zone for floating (imported) times; the caller's own zone when ``None``."""

    time_min: dt.datetime
    time_max: dt.datetime
    include_cancelled: bool = False
    include_declined: bool = False
    invitees_max: int = 0
    per_page: int = 30
    after: str | None = None
    tz: str | None = None


@dataclass(frozen=True, slots=True)
class InstanceQuery:
    """``GET /v1/events/{id}/instances``: instances of one event overlapping
    [time_min, time_max) (either may be ``None`` = open), cancelled ones included."""

    time_min: dt.datetime | None = None
    time_max: dt.datetime | None = None
    invitees_max: int = 0
    per_page: int = 30
    after: str | None = None


@dataclass(frozen=True, slots=True)
class InviteQuery:
    """``GET /v1/events/{id}/invites``: page paging (``page`` from 1), ``status`` filter."""

    status: InviteStatus | None = None
    page: int = 1
    per_page: int = 30


__all__ = [
    "UNSET", "DateTimeTZ", "CreateEvent", "PatchEvent", "PatchInstance", "ListEvents", "CalendarQuery",
    "InstanceQuery", "InviteQuery", "InviteRole", "InviteStatus",
]
