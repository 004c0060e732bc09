"""The event model: plain data, no I/O.

An :class:`Event` is what a user creates or imports. It has one date part:

* time-independent: ``timing is None`` (no dates, no recurrence);
* timed: a :class:`Timing` with a start and an exclusive end in *wall time* plus a zone,
  an optional :class:`~opentalk_sched.core.recurrence.RecurrenceSet` and the
  per-instance :class:`Override` objects (exceptions).

Times are kept as wall time + zone, never as UTC alone (SPEC §1): ``Timing.start`` is a
naive ``datetime`` (or a ``date`` for all-day events) read in ``Timing.tz``, which is a
``zoneinfo.ZoneInfo``, a :class:`~opentalk_sched.core.zones.VTimezone` built from an
imported VTIMEZONE, or ``None`` for floating times. UTC instants are derived on demand,
so a tzdata update re-derives them instead of orphaning exceptions.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> t = Timing(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), ZoneInfo("Europe/Berlin"))
    >>> t.is_all_day, t.duration
    (False, datetime.timedelta(seconds=3600))

Series compilation and window queries live in :mod:`opentalk_sched.core.series`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Union

from .errors import InvalidEvent

if TYPE_CHECKING:  # pragma: no cover
    from .recurrence import RecurrenceSet

UTC = timezone.utc

#: A wall time (naive datetime) or a calendar date (all-day).
WallTime = Union[datetime, date]


class InviteStatus(str, enum.Enum):
    """An invitee's answer; maps to iCalendar PARTSTAT (RFC 5545 §3.2.12)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"

    @property
    def partstat(self) -> str:
        return _PARTSTAT[self]

    @classmethod
    def from_partstat(cls, partstat: str) -> "InviteStatus":
        """PARTSTAT → status; unknown or NEEDS-ACTION values read as pending."""
        return _FROM_PARTSTAT.get(partstat.upper(), cls.PENDING)


_PARTSTAT = {
    InviteStatus.PENDING: "NEEDS-ACTION",
    InviteStatus.ACCEPTED: "ACCEPTED",
    InviteStatus.TENTATIVE: "TENTATIVE",
    InviteStatus.DECLINED: "DECLINED",
}
_FROM_PARTSTAT = {v: k for k, v in _PARTSTAT.items()}


class InviteRole(str, enum.Enum):
    """Invitee role. Users are ``user`` or ``moderator``; email invitees ``guest`` or
    ``moderator``. iCalendar ROLE: CHAIR for moderators, REQ-PARTICIPANT otherwise."""

    USER = "user"
    MODERATOR = "moderator"
    GUEST = "guest"

    @property
    def ical_role(self) -> str:
        return "CHAIR" if self is InviteRole.MODERATOR else "REQ-PARTICIPANT"


class OverrideKind(str, enum.Enum):
    MODIFIED = "modified"
    CANCELLED = "cancelled"


class InstanceStatus(str, enum.Enum):
    OK = "ok"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Room:
    """The video room an event belongs to."""

    id: uuid.UUID
    password: str | None = None
    waiting_room: bool = False


@dataclass(frozen=True, slots=True)
class Attendee:
    """An invitee as iCalendar sees it (ATTENDEE, RFC 5545 §3.8.4.1).

    ``email`` is lowercased by the caller; ``user_id`` is set for registered users.
    """

    email: str | None
    status: "InviteStatus"
    role: "InviteRole"
    user_id: uuid.UUID | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """A per-instance exception (RFC 5545 RECURRENCE-ID component).

    ``recurrence_id`` is the original start of the occurrence it replaces, as wall time
    in the series' zone (a ``date`` on all-day series). ``None`` fields keep the series'
    value. ``start``/``end`` are wall times in the series' zone (dates when the override
    is all-day); when set, the instance moves there and is no longer at its original
    slot. ``this_and_future`` (RANGE=THISANDFUTURE, import only) applies the field
    changes and the time shift to every later occurrence too (RFC 5545 §3.8.4.4).
    ``properties`` holds extra iCalendar content lines kept from import.
    """

    recurrence_id: WallTime
    kind: OverrideKind = OverrideKind.MODIFIED
    title: str | None = None
    description: str | None = None
    is_all_day: bool | None = None
    start: WallTime | None = None
    end: WallTime | None = None
    this_and_future: bool = False
    sequence: int = 0
    properties: tuple[str, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.kind is OverrideKind.CANCELLED


@dataclass(frozen=True, slots=True)
class Timing:
    """When a timed event happens.

    ``start`` and ``end`` are wall times in ``tz`` (naive ``datetime``), or ``date``
    values for all-day events; ``end`` is exclusive (DTEND semantics, RFC 5545 §3.6.1).
    ``nominal`` is set when the duration came from a nominal DURATION (days/weeks,
    RFC 5545 §3.3.6): each instance then ends at the same wall time ``nominal`` later
    rather than after an exact number of seconds. ``recurrence`` is ``None`` for a
    single event.

    Raises :class:`InvalidEvent` (``ends_before_start``) when end < start; an all-day
    event with end == start is normalised to one day.
    """

    start: WallTime
    end: WallTime
    tz: tzinfo | None = None
    recurrence: "RecurrenceSet | None" = None
    nominal: timedelta | None = None

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime):
            if self.start.tzinfo is not None or not isinstance(self.end, datetime) or self.end.tzinfo is not None:
                raise InvalidEvent(
                    "Timing.start/end must both be naive wall-time datetimes or both dates",
                    code="mixed_value_types",
                    field="end",
                )
        elif not isinstance(self.end, date) or isinstance(self.end, datetime):
            raise InvalidEvent("all-day start needs a date end", code="mixed_value_types", field="end")
        if self.end < self.start:
            raise InvalidEvent(
                f"end {self.end} is before start {self.start}", code="ends_before_start", field="end"
            )
        if self.is_all_day and self.end == self.start:
            object.__setattr__(self, "end", self.start + timedelta(days=1))

    @property
    def is_all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def is_floating(self) -> bool:
        return self.tz is None and not self.is_all_day

    @property
    def is_recurring(self) -> bool:
        return self.recurrence is not None and not self.recurrence.is_empty

    @property
    def duration(self) -> timedelta:
        """Wall-clock length end − start (nominal length for nominal durations)."""
        return self.nominal if self.nominal is not None else self.end - self.start

    @property
    def tzid(self) -> str | None:
        return zone_key(self.tz)


@dataclass(slots=True)
class Event:
    """An event as stored and exchanged.

    ``id`` is the engine's UUID; ``ical_uid`` the iCalendar UID (the id as a string for
    events created here, the source UID for imported ones). ``timing is None`` means a
    time-independent event. ``overrides`` maps each exception's ``recurrence_id`` to it.
    ``properties`` are extra iCalendar content lines kept from import (LOCATION,
    CATEGORIES, TRANSP, VALARM blocks, X- properties) to re-emit on export.
    ``revision`` is the iCalendar SEQUENCE (SPEC §1 says when it goes up).
    """

    id: uuid.UUID
    ical_uid: str
    title: str = ""
    description: str = ""
    timing: Timing | None = None
    overrides: dict[WallTime, Override] = field(default_factory=dict)
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_by: uuid.UUID | None = None
    updated_at: datetime | None = None
    is_adhoc: bool = False
    revision: int = 0
    room: Room | None = None
    properties: tuple[str, ...] = ()

    @classmethod
    def new(cls, title: str = "", timing: Timing | None = None, **kw) -> "Event":
        """An event with a fresh UUID whose ``ical_uid`` is that UUID."""
        event_id = kw.pop("id", None) or uuid.uuid4()
        return cls(id=event_id, ical_uid=kw.pop("ical_uid", None) or str(event_id), title=title, timing=timing, **kw)

    @property
    def is_time_independent(self) -> bool:
        return self.timing is None

    @property
    def is_recurring(self) -> bool:
        return self.timing is not None and self.timing.is_recurring

    def replace(self, **changes) -> "Event":
        return replace(self, **changes)


def zone_key(tz: tzinfo | None) -> str | None:
    """The name of a zone: the IANA key, the VTIMEZONE TZID, ``UTC``; ``None`` for floating."""
    if tz is None:
        return None
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key:
        return key
    if tz is UTC or tz.utcoffset(None) == timedelta(0):
        return "UTC"
    return str(tz)
