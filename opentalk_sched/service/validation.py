"""Rules on values a client sends (SPEC §2), with one typed error per broken rule.

Checks collect :class:`~opentalk_sched.service.errors.FieldError` entries in an
:class:`Errors` list, so one answer names every problem; :meth:`Errors.check` raises
:class:`~opentalk_sched.service.errors.ValidationFailed` when there is any.

==========================  ================================  ==========================
field                       code                              rule
==========================  ================================  ==========================
``title``                   ``invalid_length``                at most 255 characters
``description``             ``invalid_length``                at most 4096 characters
``starts_at``/``ends_at``   ``required``                      timed events need both
``ends_at``                 ``ends_before_start``             end >= start
``starts_at``/``ends_at``   ``not_midnight``                  all-day values: 00:00 UTC
``starts_at``/``ends_at``   ``out_of_range``                  years 1000-8999
``timezone``                ``unknown_timezone``              an IANA (or Windows) name;
                                                              in a PATCH also the event's
                                                              own zone by its shown name
``recurrence_pattern``      ``too_many_lines``                at most 4 lines
``recurrence_pattern``      ``invalid_recurrence_pattern``    a readable, non-empty RRULE /
                                                              RDATE / EXRULE / EXDATE line of at
                                                              most 1024 characters, UNTIL
                                                              in UTC, COUNT at most
                                                              100000, at least one RRULE
                                                              or RDATE
``recurrence_pattern``      ``dtstart_not_allowed``           no DTSTART / DTEND lines
``recurrence_pattern``      ``unsupported_frequency``         FREQ HOURLY or coarser
``email``                   ``invalid_email``                 ``local@domain``
``role``                    ``invalid_role``                  user/moderator (users),
                                                              guest/moderator (emails)
==========================  ================================  ==========================

    >>> errors = Errors()
    >>> rs = recurrence_pattern(errors, ["FREQ=MINUTELY"], all_day=False)
    >>> [(e.field, e.code) for e in errors]
    [('recurrence_pattern', 'unsupported_frequency')]
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Iterable, Iterator

from ..core import InvalidRecurrence, RecurrenceSet, SchedError, resolve_zone, zone_key
from ..core.recurrence import split_content_line
from ..core.rrule import MINUTELY
from .errors import FieldError, ValidationFailed

TITLE_MAX = 255
DESCRIPTION_MAX = 4096
MAX_PATTERN_LINES = 4
MAX_LINE_LENGTH = 1024
#: the largest COUNT a client may send: a COUNT series is expanded from DTSTART once
MAX_COUNT = 100_000
PATTERN_PROPERTIES = ("RRULE", "RDATE", "EXRULE", "EXDATE")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class Errors:
    """An ordered list of :class:`FieldError` (each (field, code) at most once)."""

    def __init__(self) -> None:
        self._items: list[FieldError] = []

    def add(self, field: str, code: str, message: str) -> None:
        if not any(e.field == field and e.code == code for e in self._items):
            self._items.append(FieldError(field, code, message))

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def check(self) -> None:
        """Raise :class:`ValidationFailed` with every entry, if any."""
        if self._items:
            raise ValidationFailed(self._items)


def text(errors: Errors, field: str, value: str, maximum: int) -> str:
    """A title/description: a string of at most ``maximum`` characters (``invalid_length``)."""
    if not isinstance(value, str):
        errors.add(field, "invalid_value", f"{field} must be text")
        return ""
    if len(value) > maximum:
        errors.add(field, "invalid_length", f"{field} must be at most {maximum} characters")
    return value


def zone(errors: Errors, name: str, current: tzinfo | None = None) -> tzinfo | None:
    """An IANA (or Windows) zone name → tzinfo; ``unknown_timezone`` otherwise.

    ``current``: the zone of the event being changed. Its own name (what answers show as
    ``timezone``) is accepted as that zone even when no IANA name matches: an imported
    series in a custom VTIMEZONE (``"Company Local Time"``) is shown with that TZID, and
    a client sending the value back must be able to PATCH the event."""
    if current is not None and name == zone_key(current):
        return current
    try:
        return resolve_zone(name)
    except SchedError:
        errors.add("timezone", "unknown_timezone", f"unknown time zone {name!r}")
        return None


def email(errors: Errors, value: str) -> str:
    """An email address, lowercased and stripped (``invalid_email`` when not ``a@b``)."""
    value = (value or "").strip().lower()
    if value.startswith("mailto:"):
        value = value[7:]
    if not _EMAIL.match(value) or len(value) > 320:
        errors.add("email", "invalid_email", f"{value!r} is not an email address")
    return value


def _pattern_error(err: SchedError) -> tuple[str, str]:
    if err.code == "dtstart_not_allowed":
        return "dtstart_not_allowed", err.message
    if err.code == "unknown_timezone":
        return "unknown_timezone", err.message
    return "invalid_recurrence_pattern", err.message


def recurrence_pattern(errors: Errors, lines: Iterable[str], *, all_day: bool) -> RecurrenceSet | None:
    """Client-sent ``recurrence_pattern`` lines → :class:`RecurrenceSet`, or ``None`` for
    an empty list (no recurrence). Rules: see the module table. A line without a name
    is an RRULE; an empty (or blank) line is ``invalid_recurrence_pattern``. UNTIL must
    be UTC (``...Z``); on an all-day series a DATE is accepted."""
    lines = [ln for ln in (lines or ()) if ln is not None]
    field = "recurrence_pattern"
    if len(lines) > MAX_PATTERN_LINES:
        errors.add(field, "too_many_lines", f"at most {MAX_PATTERN_LINES} recurrence lines")
        return None
    for line in lines:
        if not isinstance(line, str):
            errors.add(field, "invalid_recurrence_pattern", "recurrence lines must be text")
            return None
        if len(line) > MAX_LINE_LENGTH:
            errors.add(field, "invalid_recurrence_pattern", f"a recurrence line has more than {MAX_LINE_LENGTH} characters")
            return None
        if not line.strip():  # [""] is not "no recurrence": that is []
            errors.add(field, "invalid_recurrence_pattern", "a recurrence line is empty (send [] for no recurrence)")
            return None
        name = split_content_line(line.strip())[0]
        if name in ("DTSTART", "DTEND", "DURATION"):
            errors.add(field, "dtstart_not_allowed", f"{name} is not allowed in recurrence_pattern")
            return None
        if name not in PATTERN_PROPERTIES:
            errors.add(field, "invalid_recurrence_pattern", f"{name} is not a recurrence property")
            return None
    if not lines:
        return None
    try:
        rs = RecurrenceSet.from_lines(lines)
    except InvalidRecurrence as err:
        code, message = _pattern_error(err)
        errors.add(field, code, message)
        return None
    for rule in (*rs.rrules, *rs.exrules):
        if rule.freq >= MINUTELY:
            errors.add(field, "unsupported_frequency", f"FREQ={rule.freq_name} is not supported; use HOURLY or coarser")
            return None
        if rule.count is not None and rule.count > MAX_COUNT:
            errors.add(field, "invalid_recurrence_pattern", f"COUNT must be at most {MAX_COUNT}")
            return None
        until = rule.until
        if until is not None:
            utc = isinstance(until, datetime) and until.tzinfo is not None
            if not utc and not (all_day and not isinstance(until, datetime)):
                errors.add(field, "invalid_recurrence_pattern", "UNTIL must be given in UTC (ending in Z)")
                return None
    if rs.is_empty:
        errors.add(field, "invalid_recurrence_pattern", "a recurrence needs an RRULE or RDATE line")
        return None
    return rs


def role(errors: Errors, value, allowed: tuple[str, ...]):
    """A role name (or InviteRole) among ``allowed`` values; ``invalid_role`` otherwise."""
    from ..core import InviteRole

    name = value.value if isinstance(value, InviteRole) else str(value)
    if name not in allowed:
        errors.add("role", "invalid_role", f"role must be one of {', '.join(allowed)}")
        return None
    return InviteRole(name)


def fail(field: str, code: str, message: str) -> ValidationFailed:
    """A one-entry :class:`ValidationFailed`."""
    return ValidationFailed.one(field, code, message)
