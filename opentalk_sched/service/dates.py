"""From the wire's instants to the core's wall time + zone, and back (SPEC §1, §2).

A client sends :class:`~opentalk_sched.service.requests.DateTimeTZ` values: an instant
and the zone it is meant in. The event keeps the *wall time in that zone*
(``2025-03-10T08:00:00Z`` in ``Europe/Berlin`` is 09:00 Berlin), so later rule changes
of the zone move the UTC instant, not the meeting. All-day values are midnight UTC of
their date (``not_midnight`` otherwise) and become dates.

* :func:`timing_for_create`: a new event's :class:`~opentalk_sched.core.Timing`;
* :func:`timing_for_patch`: PATCH semantics, absent = unchanged; ``starts_at`` alone
  keeps the exact duration; toggling ``is_all_day`` alone converts the dates;
* :func:`present`: a stored value (wall, date, key) → ``DateTimeTZ`` for answers.

    >>> from datetime import datetime, timezone
    >>> errors = Errors()
    >>> t = timing_for_create(errors, False, DateTimeTZ(datetime(2025, 3, 10, 8, tzinfo=timezone.utc),
    ...     "Europe/Berlin"), DateTimeTZ(datetime(2025, 3, 10, 9, tzinfo=timezone.utc), "Europe/Berlin"), ())
    >>> t.start, t.tzid
    (datetime.datetime(2025, 3, 10, 9, 0), 'Europe/Berlin')
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Mapping

from ..core import UTC, InvalidEvent, Timing, to_utc, to_wall, zone_key
from ..core.zones import midnight
from . import validation
from .requests import UNSET, DateTimeTZ
from .validation import Errors

_DAY = timedelta(days=1)
#: accepted years of client-sent times (the engine needs room to both sides of a series)
MIN_YEAR, MAX_YEAR = 1000, 8999


def _given(v: Any) -> bool:
    return v is not UNSET and v is not None


def wall_from(errors: Errors, value: DateTimeTZ, field: str, all_day: bool, tz: tzinfo | None):
    """One ``DateTimeTZ`` → a date (all-day) or the wall time in ``tz`` (naive; whole
    seconds). ``None`` when it breaks a rule (recorded in ``errors``)."""
    if not isinstance(value, DateTimeTZ):
        errors.add(field, "invalid_value", f"{field} must be a date-time with a time zone")
        return None
    utc = value.utc
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        errors.add(field, "out_of_range", f"{field} must be between the years {MIN_YEAR} and {MAX_YEAR}")
        return None
    if all_day:
        if (utc.hour, utc.minute, utc.second, utc.microsecond) != (0, 0, 0, 0):
            errors.add(field, "not_midnight", f"{field} of an all-day event must be midnight UTC")
            return None
        return utc.date()
    utc = utc.replace(microsecond=0)
    if tz is None:
        return utc.replace(tzinfo=None)
    return to_wall(utc, tz)


def _zone_for(errors: Errors, value: Any, current: tzinfo | None = None) -> tzinfo | None:
    """The zone a ``DateTimeTZ`` names; ``current`` (the event's zone) is accepted by its
    own name, custom VTIMEZONEs included (see :func:`validation.zone`)."""
    if not isinstance(value, DateTimeTZ):
        return None
    return validation.zone(errors, value.timezone, current)


def _timing(errors: Errors, start, end, tz, recurrence, nominal=None) -> Timing | None:
    try:
        return Timing(start, end, tz, recurrence, nominal)
    except InvalidEvent as err:
        if err.code == "ends_before_start":
            errors.add("ends_at", "ends_before_start", "ends_at must not be before starts_at")
        else:
            errors.add("ends_at", "invalid_value", err.message)
        return None


def _check_order(errors: Errors, starts_at: Any, ends_at: Any) -> None:
    if isinstance(starts_at, DateTimeTZ) and isinstance(ends_at, DateTimeTZ) and ends_at.utc < starts_at.utc:
        errors.add("ends_at", "ends_before_start", "ends_at must not be before starts_at")


def timing_for_create(errors: Errors, is_all_day, starts_at, ends_at, pattern) -> Timing | None:
    """A timed event's Timing from its request fields (every rule of the module)."""
    missing = False
    for name, value in (("is_all_day", is_all_day), ("starts_at", starts_at), ("ends_at", ends_at)):
        if not _given(value):
            errors.add(name, "required", f"{name} is required for an event with dates")
            missing = True
    if missing:
        return None
    before = len(list(errors))
    all_day = bool(is_all_day)
    tz = _zone_for(errors, starts_at)
    _zone_for(errors, ends_at)
    _check_order(errors, starts_at, ends_at)
    rs = validation.recurrence_pattern(errors, pattern, all_day=all_day)
    start = wall_from(errors, starts_at, "starts_at", all_day, tz)
    end = wall_from(errors, ends_at, "ends_at", all_day, tz)
    if len(list(errors)) > before:
        return None
    return _timing(errors, start, end, tz, rs)


def _to_all_day(t: Timing) -> tuple[date, date]:
    start = t.start.date()
    end_wall = t.start + t.duration if t.nominal is not None else t.end
    end = end_wall.date() if end_wall.time() == datetime.min.time() else end_wall.date() + _DAY
    return start, max(end, start + _DAY)


def _exact_end(old: Timing, new_start: datetime, tz: tzinfo | None) -> datetime:
    """``new_start`` plus the old exact duration (UTC seconds), as wall time in ``tz``."""
    if tz is None or old.tz is None:
        return new_start + (old.end - old.start)
    length = to_utc(old.end, old.tz) - to_utc(old.start, old.tz)
    return to_wall(to_utc(new_start, tz) + length, tz)


def timing_for_patch(errors: Errors, old: Timing | None, patch: Mapping[str, Any]):
    """The date part after a PATCH (only keys present in ``patch`` count as given).

    Returns the new :class:`Timing`, ``None`` for time-independent, or :data:`UNSET` when
    the patch does not touch the date part. Records broken rules in ``errors``.
    """
    keys = ("is_time_independent", "is_all_day", "starts_at", "ends_at", "recurrence_pattern")
    given = {k: patch[k] for k in keys if k in patch and patch[k] is not UNSET}
    if "recurrence_pattern" in given and given["recurrence_pattern"] is None:
        del given["recurrence_pattern"]
    for k in ("is_all_day", "starts_at", "ends_at", "is_time_independent"):
        if k in given and given[k] is None:
            del given[k]
    if not given:
        return UNSET
    if given.get("is_time_independent") is True:
        for k in ("starts_at", "ends_at", "is_all_day"):
            if k in given:
                errors.add(k, "not_allowed", f"{k} cannot be set on a time-independent event")
        if given.get("recurrence_pattern"):
            errors.add("recurrence_pattern", "not_allowed", "a time-independent event has no recurrence")
        return None
    if old is None:
        return timing_for_create(
            errors, given.get("is_all_day", False), given.get("starts_at"), given.get("ends_at"),
            given.get("recurrence_pattern", ()),
        )
    all_day = bool(given.get("is_all_day", old.is_all_day))
    starts_at, ends_at = given.get("starts_at"), given.get("ends_at")
    tz = old.tz
    if starts_at is not None:
        tz = _zone_for(errors, starts_at, old.tz)
        if all_day and old.tz is None and starts_at.timezone.upper() in ("UTC", "Z"):
            tz = None  # a zone-less all-day event stays zone-less
    if ends_at is not None:
        _zone_for(errors, ends_at, old.tz)
    _check_order(errors, starts_at, ends_at)
    if "recurrence_pattern" in given:
        rs = validation.recurrence_pattern(errors, given["recurrence_pattern"], all_day=all_day)
    else:
        rs = old.recurrence
    if errors:
        return None
    toggled = all_day != old.is_all_day
    nominal = old.nominal if not toggled and ends_at is None else None
    if starts_at is not None:
        start = wall_from(errors, starts_at, "starts_at", all_day, tz)
    elif toggled:
        start = _to_all_day(old)[0] if all_day else midnight(old.start)
    else:
        start = old.start
    if errors:
        return None
    if ends_at is not None:
        end = wall_from(errors, ends_at, "ends_at", all_day, tz)
    elif starts_at is not None and not toggled:
        end = start + (old.end - old.start) if all_day else _exact_end(old, start, tz)
    elif toggled:
        if all_day:
            a, b = _to_all_day(old)
            end = start + (b - a)
        else:
            end = start + (midnight(old.end) - midnight(old.start))
    else:
        end = old.end
    if errors:
        return None
    return _timing(errors, start, end, tz, rs, nominal)


def present(value, tz: tzinfo | None, *, all_day: bool, floating: bool) -> DateTimeTZ:
    """A stored value → the wire's ``DateTimeTZ``.

    ``value``: a date (all-day: midnight UTC of the date), an aware datetime (the
    instant), or a naive wall time (read in ``tz``; floating: shown as UTC). The zone
    name is the event's (``UTC`` when it has none)."""
    name = zone_key(tz) or "UTC"
    if not isinstance(value, datetime):
        return DateTimeTZ(datetime(value.year, value.month, value.day, tzinfo=UTC), name)
    if all_day:
        local = value.astimezone(tz) if value.tzinfo is not None and tz is not None else value
        d = local.date()
        return DateTimeTZ(datetime(d.year, d.month, d.day, tzinfo=UTC), name)
    if value.tzinfo is not None:
        return DateTimeTZ(value.astimezone(UTC), "UTC" if floating else name)
    if floating or tz is None:
        return DateTimeTZ(value.replace(tzinfo=UTC), "UTC")
    return DateTimeTZ(to_utc(value, tz).replace(tzinfo=UTC), name)
