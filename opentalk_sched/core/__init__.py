"""opentalk_sched.core: the pure-Python event model and recurrence engine (no I/O).

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from opentalk_sched.core import Event, Timing, RecurrenceSet, Series
    >>> ev = Event.new("Weekly", Timing(datetime(2024, 1, 1, 9), datetime(2024, 1, 1, 10),
    ...     ZoneInfo("Europe/Berlin"), RecurrenceSet.from_lines(["FREQ=WEEKLY;BYDAY=MO,WE,FR"])))
    >>> len(Series(ev).overlapping(datetime(2024, 1, 1), datetime(2025, 1, 1)))
    157

Modules: ``model`` (Event, Timing, Override, Room, enums), ``rrule`` (RRULE parsing and
iteration), ``recurrence`` (the recurrence set), ``zones`` (zone names, VTIMEZONE,
wall ↔ UTC), ``series`` (window queries on one event), ``timeline`` (many events),
``instance_id`` (stable instance ids), ``errors`` (typed errors).
"""

from .errors import InvalidEvent, InvalidInstanceId, InvalidRecurrence, SchedError, UnknownTimezone
from .instance_id import format_instance_id, parse_instance_id
from .model import (
    UTC, Attendee, Event, InstanceStatus, InviteRole, InviteStatus, Override, OverrideKind, Room, Timing, zone_key,
)
from .recurrence import RDate, RecurrenceSet, format_duration, parse_duration
from .rrule import RRule, RuleIterator
from .series import Instance, Series, expand
from .timeline import Timeline
from .zones import Observance, VTimezone, normalize, resolve_zone, to_utc, to_wall

__all__ = [
    "SchedError", "InvalidEvent", "InvalidInstanceId", "InvalidRecurrence", "UnknownTimezone",
    "format_instance_id", "parse_instance_id", "UTC", "Attendee", "Event", "InstanceStatus", "InviteRole",
    "InviteStatus", "Override", "OverrideKind", "Room", "Timing", "zone_key", "RDate",
    "RecurrenceSet", "format_duration", "parse_duration", "RRule", "RuleIterator", "Instance",
    "Series", "expand", "Timeline", "Observance", "VTimezone", "normalize", "resolve_zone",
    "to_utc", "to_wall",
]
