"""Scheduling over the store: whose events make someone busy, their working hours, and
finding a time for several people.

The rules live here; the computation is :mod:`opentalk_sched.core.freebusy`; the store
answers "which events of this user can touch the window" (:meth:`Store.window`).

    >>> from datetime import datetime, timedelta, timezone
    >>> from opentalk_sched.store import SqliteStore, User
    >>> import uuid
    >>> store = SqliteStore(":memory:")
    >>> alice = User(uuid.uuid4(), "alice@example.com", timezone="Europe/Berlin")
    >>> store.save_user(alice)
    >>> utc = timezone.utc
    >>> freebusy(store, [alice.id], datetime(2025, 3, 10, tzinfo=utc), datetime(2025, 3, 11, tzinfo=utc))[alice.id]
    []
    >>> get_working_hours(store, alice.id).describe()      # the default, in her zone
    'mon-fri 09:00-17:00'

Which events count for a user (SPEC §1 invites; docs/scheduling.md):

* events they created: BUSY (the creator's own status is ``accepted``);
* events they are invited to: accepted → BUSY, tentative → BUSY-TENTATIVE, pending →
  BUSY-TENTATIVE (a CalDAV server reports PARTSTAT=NEEDS-ACTION so; RFC 5545 has no
  pending FBTYPE), declined → free;
* cancelled instances, TRANSP:TRANSPARENT events and instances, zero-length instances and
  time-independent events are free; floating events are read in the user's zone.

The requests of the adapters (HTTP routes, command line) are answered here too, with
their rules: :func:`user_freebusy` (one user's busy time and address),
:func:`find_slots` (durations and steps in minutes up to 366 days, ``limit`` 1 to
:data:`SLOTS_MAX`, default :data:`SLOTS_DEFAULT`, the caller as a required attendee,
ignoring working hours), :func:`working_hours_view` and :func:`update_working_hours`.

Working hours are a per-user setting kept in the store's table
``scheduling_working_hours`` (part of the store's schema since version 4, on SQLite
and PostgreSQL; statements through :mod:`opentalk_sched.store.sql`, so a setting
written inside the store's transaction commits or rolls back with it); without a row a
user works 09:00-17:00 Monday to Friday in their own zone (``User.timezone``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable, Mapping, Sequence

from .core.errors import SchedError, UnknownTimezone
from .core.freebusy import (
    MAX_WINDOW, Availability, BusyPeriod, Commitment, InvalidDuration, SchedulingError, Slot, WorkingHours,
    busy_periods, check_duration, check_window, fbtype_for,
)
from .core.freebusy import find_slots as _core_find_slots
from .core.zones import resolve_zone
from .service.errors import NotFound
from .store import sql

UTC = timezone.utc

#: the most attendees (required + optional) one find_slots call may name
MAX_ATTENDEES = 100

#: how many slots :func:`find_slots` returns unless asked otherwise (API ``limit``,
#: CLI ``--limit``)
SLOTS_DEFAULT = 50
#: the most slots one :func:`find_slots` call may ask for (``limit`` is 1 to this)
SLOTS_MAX = 500


class UnknownUser(NotFound):
    """A user id that names no user (a service :class:`NotFound`: HTTP 404 ``not_found``).
    ``value`` is the id, ``field`` the parameter that carried it."""

    code = "unknown_user"


class TooManyAttendees(SchedError):
    """More than :data:`MAX_ATTENDEES` attendees in one find_slots call (HTTP 422)."""

    code = "too_many_attendees"


# -- users ----------------------------------------------------------------------------------


def user_zone(user) -> tzinfo:
    """The zone of a user's ``timezone`` setting; UTC when it is empty or unknown."""
    try:
        return resolve_zone(getattr(user, "timezone", None) or "UTC")
    except UnknownTimezone:
        return UTC


def _users(store, ids: Sequence[uuid.UUID], field: str) -> dict:
    found = store.get_users(ids)
    for uid in ids:
        if uid not in found:
            raise UnknownUser(f"no user {uid}", field=field, value=str(uid))
    return found


def _aware(value: date | datetime, tz: tzinfo | None) -> datetime:
    """A bound → aware UTC (dates and naive values are read in ``tz``, UTC by default)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    from .core.freebusy import utc_key

    return utc_key(value, tz).replace(tzinfo=UTC)


# -- free/busy ------------------------------------------------------------------------------


def commitments(store, user_id: uuid.UUID, start: datetime, end: datetime) -> list[Commitment]:
    """The events of ``user_id`` that can touch ``[start, end)`` (aware bounds), each with
    how it counts for them (see the module docstring). Declined ones are left out."""
    out = []
    for hit in store.window(start, end, user_id=user_id):
        if hit.created_by == user_id:
            status = None
        elif hit.invite is not None:
            status = hit.invite.status
        else:  # neither creator nor invited (a store returning more than asked)
            continue
        fb = fbtype_for(status)
        if fb.rank > 0:
            out.append(Commitment(hit.compiled, fb))
    return out


def freebusy(
    store,
    user_ids: Iterable[uuid.UUID],
    start: date | datetime,
    end: date | datetime,
    *,
    tz: tzinfo | None = None,
) -> dict[uuid.UUID, list[BusyPeriod]]:
    """Busy periods of each user in ``[start, end)``: ``{user_id: [BusyPeriod...]}``,
    each list merged, sorted and disjoint, in aware UTC, clipped to the window.

    Bounds: aware datetimes, or dates / naive values read in ``tz`` (UTC by default).
    Raises :class:`UnknownUser` (field ``user_id``) for an id without a user and
    :class:`~opentalk_sched.core.freebusy.InvalidWindow` for an empty window or one
    over 366 days. The window is checked before the store is asked.
    """
    return _freebusy(store, user_ids, start, end, tz)[1]


def _freebusy(store, user_ids, start, end, tz) -> tuple[dict, dict[uuid.UUID, list[BusyPeriod]]]:
    """``(users by id, busy periods by id)``: the window is checked before the store is asked."""
    ids = list(dict.fromkeys(user_ids))
    lo, hi = check_window(start, end, tz)
    a, b = lo.replace(tzinfo=UTC), hi.replace(tzinfo=UTC)
    users = _users(store, ids, "user_id")
    return users, {uid: busy_periods(commitments(store, uid, a, b), a, b, tz=user_zone(users[uid])) for uid in ids}


@dataclass(frozen=True, slots=True)
class UserBusy:
    """One user's busy time in a window, what ``GET /v1/users/{id}/freebusy`` shows:
    ``user_id``; ``email`` (the VFREEBUSY's ORGANIZER, ``None`` when the user has none);
    ``start``, ``end``: the window ``[start, end)`` in aware UTC; ``busy``: as
    :func:`freebusy` gives it (merged, sorted, disjoint, clipped, aware UTC)."""

    user_id: uuid.UUID
    email: str | None
    start: datetime
    end: datetime
    busy: list[BusyPeriod]


def user_freebusy(store, user_id: uuid.UUID, start: date | datetime, end: date | datetime, *,
                  tz: tzinfo | None = None) -> UserBusy:
    """:func:`freebusy` of one user, with their address and the window in aware UTC.
    Raises :class:`~opentalk_sched.core.freebusy.InvalidWindow` (before the store is
    asked) and :class:`UnknownUser` (field ``user_id``)."""
    users, busy = _freebusy(store, [user_id], start, end, tz)
    lo, hi = check_window(start, end, tz)
    return UserBusy(user_id, getattr(users[user_id], "email", None) or None,
                    lo.replace(tzinfo=UTC), hi.replace(tzinfo=UTC), busy[user_id])


# -- working hours --------------------------------------------------------------------------

#: one row per user who saved working hours (store schema version 4): ``user_id``,
#: ``hours`` (:meth:`WorkingHours.describe` text, e.g. ``'mon-fri 09:00-17:00'``),
#: ``timezone`` (``NULL``: follow the user's timezone setting), ``updated_at``
_TABLE = "scheduling_working_hours"


@dataclass(frozen=True, slots=True)
class WorkingHoursSetting:
    """What a user saved: ``hours`` (text :meth:`WorkingHours.parse` reads) and
    ``timezone`` (``None`` = their user timezone). ``is_default`` when nothing is saved."""

    hours: str
    timezone: str | None = None
    is_default: bool = False


def working_hours_setting(store, user_id: uuid.UUID) -> WorkingHoursSetting:
    """The saved setting of a user, or the default one. Raises :class:`UnknownUser`."""
    _users(store, [user_id], "user_id")
    return _setting(store, user_id)


def _setting(store, user_id: uuid.UUID) -> WorkingHoursSetting:
    """The saved row, or the default (also for a store that keeps no working hours)."""
    rows = []
    if sql.backend(store) is not None:
        rows = sql.run(store, f"SELECT hours, timezone FROM {_TABLE} WHERE user_id = ?", (str(user_id),))
    if not rows:
        return WorkingHoursSetting(WorkingHours.default(UTC).describe(), None, True)
    return WorkingHoursSetting(rows[0][0], rows[0][1])


def get_working_hours(store, user_id: uuid.UUID, user=None) -> WorkingHours:
    """A user's working hours as a :class:`WorkingHours` in their zone (the setting's own
    zone when it has one). Raises :class:`UnknownUser`."""
    if user is None:
        user = _users(store, [user_id], "user_id")[user_id]
    setting = _setting(store, user_id)
    tz = resolve_zone(setting.timezone) if setting.timezone else user_zone(user)
    return WorkingHours.parse(setting.hours, tz)


def set_working_hours(store, user_id: uuid.UUID, hours: str | WorkingHours | None, timezone_name: str | None = None) -> WorkingHoursSetting:
    """Save a user's working hours (``None`` = back to the default). ``hours`` is text
    (``"mon-fri 09:00-17:00"``) or a :class:`WorkingHours`; ``timezone_name`` an IANA
    name or ``None`` to follow the user's timezone. Raises :class:`UnknownUser`,
    :class:`~opentalk_sched.core.freebusy.InvalidWorkingHours`,
    :class:`~opentalk_sched.core.errors.UnknownTimezone`, and ``TypeError`` for a store
    other than SQLite / PostgreSQL (it has no table to keep them in)."""
    _users(store, [user_id], "user_id")
    if timezone_name:
        resolve_zone(timezone_name)
    if hours is None:
        sql.run(store, f"DELETE FROM {_TABLE} WHERE user_id = ?", (str(user_id),))
        return working_hours_setting(store, user_id)
    text = hours.describe() if isinstance(hours, WorkingHours) else WorkingHours.parse(hours, UTC).describe()
    sql.run(
        store,
        f"INSERT INTO {_TABLE} (user_id, hours, timezone, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET hours = excluded.hours, timezone = excluded.timezone,"
        " updated_at = excluded.updated_at",
        (str(user_id), text, timezone_name or None, datetime.now(UTC).isoformat()),
    )
    return WorkingHoursSetting(text, timezone_name or None)


@dataclass(frozen=True, slots=True)
class WorkingHoursView:
    """A user's working hours as they are shown (``GET /v1/users/me/working_hours``):
    ``days``: ``{"mon": [["09:00", "17:00"]], ...}`` (working days only, wall time);
    ``timezone``: the zone they are read in (the setting's, else the user's, else UTC);
    ``timezone_setting``: the saved zone, ``None`` when they follow their user timezone;
    ``is_default``: nothing is saved (09:00-17:00 Monday to Friday)."""

    days: dict[str, list[list[str]]]
    timezone: str
    timezone_setting: str | None
    is_default: bool


def working_hours_view(store, user_id: uuid.UUID) -> WorkingHoursView:
    """The :class:`WorkingHoursView` of a user. Raises :class:`UnknownUser`."""
    user = _users(store, [user_id], "user_id")[user_id]
    setting = _setting(store, user_id)
    tz = resolve_zone(setting.timezone) if setting.timezone else user_zone(user)
    wh = WorkingHours.parse(setting.hours, tz)
    return WorkingHoursView(wh.to_mapping(), getattr(wh.tz, "key", None) or "UTC", setting.timezone,
                            setting.is_default)


def update_working_hours(
    store, user_id: uuid.UUID, days: Mapping[str, Sequence[Sequence[str]]] | str | WorkingHours | None,
    timezone_name: str | None = None,
) -> WorkingHoursView:
    """Save a user's working hours and return the new :class:`WorkingHoursView`.

    ``days``: ``{"mon": [["09:00", "17:00"]], ...}`` (days left out are free), the text
    form, a :class:`WorkingHours`, or ``None`` for the default; ``timezone_name``: an
    IANA name, or ``None`` to follow the user's timezone. The zone and the hours are
    checked first: raises :class:`~opentalk_sched.core.errors.UnknownTimezone` (field
    ``timezone``), :class:`~opentalk_sched.core.freebusy.InvalidWorkingHours` (field
    ``working_hours``), then :class:`UnknownUser`; ``TypeError`` as
    :func:`set_working_hours`.
    """
    tz = resolve_zone(timezone_name) if timezone_name else UTC
    if days is not None and not isinstance(days, (str, WorkingHours)):
        days = WorkingHours.from_mapping({k: [list(r) for r in v] for k, v in dict(days).items()}, tz)
    set_working_hours(store, user_id, days, timezone_name)
    return working_hours_view(store, user_id)


# -- finding a time -------------------------------------------------------------------------


def find_slots(
    store,
    attendees: Sequence[uuid.UUID],
    duration: timedelta | int,
    start: date | datetime,
    end: date | datetime,
    *,
    optional: Sequence[uuid.UUID] = (),
    caller: uuid.UUID | None = None,
    include_caller: bool = True,
    working_hours: dict[uuid.UUID, WorkingHours | None] | None = None,
    ignore_working_hours: bool = False,
    step: timedelta | int = timedelta(minutes=15),
    tz: tzinfo | None = None,
    tentative_is_busy: bool = True,
    order: str = "rank",
    limit: int = SLOTS_DEFAULT,
) -> list[Slot]:
    """Times of length ``duration`` in ``[start, end)`` where every user in ``attendees``
    is free and inside their working hours (their saved setting, or
    ``working_hours[user_id]`` when given; ``None`` there = no limit;
    ``ignore_working_hours`` = no limit for anyone). Users in ``optional`` never exclude
    a slot; each slot lists those free (``Slot.optional_free``, user ids). Ordering,
    ``step``, ``tentative_is_busy``: see :func:`opentalk_sched.core.freebusy.find_slots`.

    ``duration`` and ``step``: a ``timedelta`` or a whole number of minutes, positive and
    at most 366 days (the longest window). ``caller``: the user asking; with
    ``include_caller`` they are the first required attendee (unless listed already).
    ``limit``: the most slots returned, 1 to :data:`SLOTS_MAX` (default
    :data:`SLOTS_DEFAULT`). A user in both lists is required.

    Raises, in this order (nothing is read from the store before the first four):
    :class:`~opentalk_sched.core.freebusy.InvalidDuration` (``duration``:
    ``not_positive``, ``longer_than_window``), :class:`SchedulingError` (``step``:
    ``not_positive``, ``too_large``; ``limit``: ``out_of_range``),
    :class:`~opentalk_sched.core.freebusy.InvalidWindow` (``time_max``),
    :class:`InvalidDuration` (longer than this window), :class:`TooManyAttendees`,
    :class:`UnknownUser` (field ``attendees`` or ``optional_attendees``), and
    :class:`SchedulingError` for an unknown ``order`` or nobody required
    (``attendees``: ``no_required_attendee``).
    """
    duration = _length(duration, "duration")
    step = _length(step, "step")
    _check_limit(limit)
    lo, hi = check_window(start, end, tz)
    check_duration(duration, lo, hi)
    required = list(dict.fromkeys(attendees))
    if caller is not None and include_caller and caller not in required:
        required.insert(0, caller)
    extra = [u for u in dict.fromkeys(optional) if u not in set(required)]
    if len(required) + len(extra) > MAX_ATTENDEES:
        raise TooManyAttendees(f"at most {MAX_ATTENDEES} attendees", field="attendees",
                               value=str(len(required) + len(extra)))
    users = _users(store, required, "attendees")
    users.update(_users(store, extra, "optional_attendees"))
    a, b = lo.replace(tzinfo=UTC), hi.replace(tzinfo=UTC)
    busy = freebusy(store, required + extra, a, b)
    given = {uid: None for uid in required + extra} if ignore_working_hours else (working_hours or {})
    people = []
    for uid in required + extra:
        wh = given[uid] if uid in given else get_working_hours(store, uid, users[uid])
        people.append(Availability(uid, busy[uid], wh, required=uid not in extra))
    return _core_find_slots(people, duration, a, b, step=step, tentative_is_busy=tentative_is_busy, order=order,
                            limit=limit)


def _length(value: timedelta | int, field: str) -> timedelta:
    """A duration or step (``timedelta`` or minutes) → ``timedelta``, positive and at most
    366 days: nothing longer fits a window, and a count of minutes stays convertible."""
    if isinstance(value, bool) or not isinstance(value, (int, timedelta)):
        raise TypeError(f"{field} is a timedelta or a number of minutes, not {value!r}")
    error = InvalidDuration if field == "duration" else SchedulingError
    shown = f"{value} minutes" if isinstance(value, int) else str(value)
    if (value <= 0) if isinstance(value, int) else (value <= timedelta(0)):
        raise error(f"{field} {shown} is not positive", code="not_positive", field=field, value=str(value))
    if (value > MAX_WINDOW // timedelta(minutes=1)) if isinstance(value, int) else (value > MAX_WINDOW):
        code = "longer_than_window" if field == "duration" else "too_large"
        raise error(f"{field} {shown} is longer than the longest window (366 days)", code=code, field=field,
                    value=str(value))
    return timedelta(minutes=value) if isinstance(value, int) else value


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= SLOTS_MAX:
        raise SchedulingError(f"limit must be between 1 and {SLOTS_MAX}, not {limit!r}", code="out_of_range",
                              field="limit", value=str(limit))


__all__ = [
    "MAX_ATTENDEES", "SLOTS_DEFAULT", "SLOTS_MAX", "UnknownUser", "TooManyAttendees", "user_zone", "commitments",
    "freebusy", "UserBusy", "user_freebusy", "WorkingHoursSetting", "working_hours_setting", "get_working_hours",
    "set_working_hours", "WorkingHoursView", "working_hours_view", "update_working_hours", "find_slots",
]
