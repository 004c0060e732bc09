"""Instance ids: the stable name of one occurrence of a series (SPEC §1).

An instance id is the occurrence's *original* start (its RECURRENCE-ID), so it survives
moves and edits:

* zoned series: UTC, ``%Y%m%dT%H%M%SZ`` (``20250310T080000Z``);
* floating series: local wall time without ``Z`` (``20250310T090000``);
* all-day series: midnight UTC of the date (``20250310T000000Z``).

:func:`parse_instance_id` also accepts the ``+hhmm`` / ``-hhmm`` offset form.

    >>> from datetime import date
    >>> format_instance_id(date(2025, 3, 10))
    '20250310T000000Z'
    >>> parse_instance_id("20250310T090000+0100")
    datetime.datetime(2025, 3, 10, 8, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from .errors import InvalidInstanceId

UTC = timezone.utc
_ID = re.compile(r"^(\d{8})T(\d{6})(Z|[+-]\d{4})?$")


def format_instance_id(original: date | datetime) -> str:
    """Format an original start: aware datetime → UTC ``...Z``; naive → floating; date → all-day."""
    if not isinstance(original, datetime):
        return original.strftime("%Y%m%dT000000Z")
    if original.tzinfo is None:
        return original.strftime("%Y%m%dT%H%M%S")
    return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_instance_id(text: str) -> datetime:
    """Parse an instance id: an aware UTC datetime for ``Z``/offset forms, naive for floating.

    Raises :class:`InvalidInstanceId` (``field="instance_id"``) when malformed.
    """
    m = _ID.match(text or "")
    if not m:
        raise InvalidInstanceId(f"malformed instance id {text!r}", field="instance_id", value=text)
    day, clock, zone = m.groups()
    try:
        dt = datetime.strptime(day + clock, "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise InvalidInstanceId(f"malformed instance id {text!r}", field="instance_id", value=text) from exc
    if not zone:
        return dt
    if zone == "Z":
        return dt.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    if hours >= 24 or minutes >= 60:
        raise InvalidInstanceId(f"bad offset in instance id {text!r}", field="instance_id", value=text)
    try:
        return (dt - timedelta(hours=hours, minutes=minutes) * sign).replace(tzinfo=UTC)
    except OverflowError:
        raise InvalidInstanceId(f"instance id {text!r} is outside the calendar", field="instance_id", value=text) from None
