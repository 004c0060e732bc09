"""How core values become database columns and back (SPEC §1, §4).

Times are stored as *wall time + zone*, never as UTC alone:

* a wall time is ISO text without offset (``2025-03-10T09:00:00``), an all-day value
  is a date (``2025-03-10``);
* the zone is a text ``tzid``: an IANA name, ``NULL`` for floating (and zone-less
  all-day) events, or the TZID of a custom VTIMEZONE whose observances are kept as JSON
  in ``custom_zones`` (``{"TZID": [observance, ...]}``), so the zone can be rebuilt
  exactly (:class:`~opentalk_sched.core.zones.VTimezone`).

UTC columns (``starts_at_utc``, ``span_start``, ...) are *derived* from those and only
serve indexes and ordering; they are rewritten whenever the event is written, so a
tzdata change re-derives them instead of orphaning exceptions. They are naive UTC ISO
text with whole seconds (``2025-03-10T08:00:00``), which sorts correctly as text.

    >>> from datetime import date, datetime
    >>> wall_text(datetime(2025, 3, 10, 9)), wall_text(date(2025, 3, 10))
    ('2025-03-10T09:00:00', '2025-03-10')
    >>> parse_wall('2025-03-10')
    datetime.date(2025, 3, 10)
"""

from __future__ import annotations

import json
import re
import uuid
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Iterator, Mapping

from ..core import (
    UTC, Event, InviteRole, InviteStatus, Observance, Override, OverrideKind, RecurrenceSet, Room, Series, Timing,
    VTimezone, resolve_zone, to_utc, to_wall, zone_key,
)
from ..core.zones import midnight

#: ``span_end`` of a series without an end (an RRULE without COUNT or UNTIL)
OPEN_END = "9999-12-31T23:59:59"
#: the smallest UTC text (before any span)
MIN_TEXT = "0001-01-01T00:00:00"
#: floating series are indexed with this margin on each side: any zone is within it
FLOATING_MARGIN = timedelta(days=1)

_FIXED = re.compile(r"^UTC([+-])(\d\d):(\d\d)$")


# -- wall times and instants --------------------------------------------------------------


def wall_text(v: date | datetime) -> str:
    """A wall time (naive datetime) or date → ISO text (``2025-03-10T09:00:00`` / ``2025-03-10``)."""
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            raise ValueError(f"wall time expected, got aware {v!r}")
        return v.isoformat(timespec="microseconds" if v.microsecond else "seconds")
    return v.isoformat()


def parse_wall(text: str | None) -> date | datetime | None:
    """Inverse of :func:`wall_text`; ``None`` stays ``None``."""
    if text is None:
        return None
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def key_text(key: datetime) -> str:
    """A naive UTC instant → sortable UTC text, whole seconds (floored)."""
    if key.tzinfo is not None:
        key = key.astimezone(UTC).replace(tzinfo=None)
    return key.replace(microsecond=0).isoformat()


def key_text_ceil(key: datetime) -> str:
    """Like :func:`key_text`, rounded up to the next whole second."""
    if key.tzinfo is not None:
        key = key.astimezone(UTC).replace(tzinfo=None)
    if key.microsecond:
        key = key.replace(microsecond=0) + timedelta(seconds=1)
    return key.isoformat()


def stamp_text(v: datetime | None) -> str | None:
    """An aware timestamp (created_at, updated_at) → UTC ISO text with microseconds."""
    if v is None:
        return None
    if v.tzinfo is None:
        v = v.replace(tzinfo=UTC)
    return v.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stamp(text: str | datetime | None) -> datetime | None:
    """Inverse of :func:`stamp_text`; a datetime (PostgreSQL ``timestamptz``) is returned in UTC."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text if text.tzinfo is UTC else text.astimezone(UTC)
    return datetime.fromisoformat(text)


@lru_cache(maxsize=65536)
def _parse_uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


def as_uuid(v: uuid.UUID | str | None) -> uuid.UUID | None:
    """An id column → ``uuid.UUID`` (text in SQLite, ``uuid`` in PostgreSQL); ``None`` stays
    ``None``. Parsed text is memoised (creators and events repeat)."""
    if v is None or isinstance(v, uuid.UUID):
        return v
    return _parse_uuid(v)


# -- zones --------------------------------------------------------------------------------


def observance_json(ob: Observance) -> dict[str, Any]:
    return {
        "kind": ob.kind, "dtstart": ob.dtstart.isoformat(), "offset_from": ob.offset_from,
        "offset_to": ob.offset_to, "rrule": ob.rrule, "rdates": [r.isoformat() for r in ob.rdates],
        "name": ob.name,
    }


def observance_from_json(d: Mapping[str, Any]) -> Observance:
    return Observance(
        kind=d["kind"], dtstart=datetime.fromisoformat(d["dtstart"]), offset_from=int(d["offset_from"]),
        offset_to=int(d["offset_to"]), rrule=d.get("rrule", ""),
        rdates=tuple(datetime.fromisoformat(r) for r in d.get("rdates", ())), name=d.get("name", ""),
    )


def _zones_of(event: Event) -> Iterator[tzinfo]:
    t = event.timing
    if t is None:
        return
    if t.tz is not None:
        yield t.tz
    rs = t.recurrence
    if rs is not None:
        for rd in rs.rdates:
            for v in (rd.start, rd.end):
                if isinstance(v, datetime) and v.tzinfo is not None:
                    yield v.tzinfo
        for v in rs.exdates:
            if isinstance(v, datetime) and v.tzinfo is not None:
                yield v.tzinfo


def custom_zones_json(event: Event) -> str | None:
    """JSON of every custom VTIMEZONE the event uses (its own zone, RDATE/EXDATE TZIDs)."""
    found: dict[str, list] = {}
    for tz in _zones_of(event):
        if isinstance(tz, VTimezone) and tz.key not in found:
            found[tz.key] = [observance_json(ob) for ob in tz.observances]
    return json.dumps(found, sort_keys=True) if found else None


@lru_cache(maxsize=256)
def _custom_zones(custom_json: str) -> dict[str, tzinfo]:
    """Rebuilding a VTIMEZONE expands its transitions; events sharing a zone share it."""
    return {
        key: VTimezone(key, tuple(observance_from_json(o) for o in obs))
        for key, obs in json.loads(custom_json).items()
    }


class ZoneLookup(Mapping[str, tzinfo]):
    """TZID → tzinfo for reading stored values: custom zones first, then IANA / Windows
    names, then fixed offsets written as ``UTC+02:00``. Missing names are ``KeyError``."""

    def __init__(self, custom_json: str | None) -> None:
        self._custom: dict[str, tzinfo] = _custom_zones(custom_json) if custom_json else {}

    def __getitem__(self, key: str) -> tzinfo:
        tz = self._custom.get(key)
        if tz is not None:
            return tz
        m = _FIXED.match(key)
        if m:
            sign = 1 if m.group(1) == "+" else -1
            return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
        return resolve_zone(key)

    def get(self, key, default=None):  # noqa: D401 - Mapping API
        try:
            return self[key]
        except Exception:
            return default

    def __iter__(self):
        return iter(self._custom)

    def __len__(self) -> int:
        return len(self._custom)


# -- timing -------------------------------------------------------------------------------


def as_wall(v, timing: Timing):
    """Any value written for a series (date, naive, aware) → the series' wall-time kind."""
    tz = timing.tz if timing.tz is not None else (UTC if timing.is_all_day else None)
    if timing.is_all_day:
        if isinstance(v, datetime):
            return (to_wall(v, tz) if v.tzinfo is not None else v).date()
        return v
    if isinstance(v, datetime):
        if v.tzinfo is None:
            return v
        return v.replace(tzinfo=None) if tz is None else to_wall(v, tz)
    return midnight(v)


def _override_wall(v, timing: Timing, all_day: bool | None):
    """An override's start/end: dates when the override is all-day, wall datetimes otherwise."""
    if v is None:
        return None
    if isinstance(v, datetime) and v.tzinfo is not None:
        tz = timing.tz if timing.tz is not None else (UTC if timing.is_all_day else None)
        v = v.replace(tzinfo=None) if tz is None else to_wall(v, tz)
    return v


def start_key(timing: Timing) -> datetime:
    """The first start as a naive UTC key (floating: the wall time itself)."""
    start = timing.start if isinstance(timing.start, datetime) else midnight(timing.start)
    if timing.is_floating:
        return start
    return to_utc(start, timing.tz if timing.tz is not None else UTC)


def end_key(timing: Timing) -> datetime:
    end = timing.end if isinstance(timing.end, datetime) else midnight(timing.end)
    if timing.nominal is not None:
        end = (timing.start if isinstance(timing.start, datetime) else midnight(timing.start)) + timing.nominal
    if timing.is_floating:
        return end
    return to_utc(end, timing.tz if timing.tz is not None else UTC)


def index_columns(event: Event, series: Series | None = None) -> dict[str, Any]:
    """The derived, indexed columns of an event: ``sort_start`` (``''`` for a
    time-independent event, so those sort first), ``starts_at_utc``/``ends_at_utc`` of
    the first occurrence, and ``span_start``/``span_end`` from
    :attr:`core.Series.span <opentalk_sched.core.Series.span>`, the interval that
    contains every instance (``span_end`` = :data:`OPEN_END` for unbounded rules)."""
    t = event.timing
    if t is None:
        return {"sort_start": "", "starts_at_utc": None, "ends_at_utc": None, "span_start": None, "span_end": None}
    series = series or Series(event)
    first, last = series.span
    if t.is_floating:
        first = max(first, datetime(1, 1, 2)) - FLOATING_MARGIN
        last = None if last is None else min(last, datetime(9999, 12, 30)) + FLOATING_MARGIN
    s = key_text(start_key(t))
    return {
        "sort_start": s,
        "starts_at_utc": s,
        "ends_at_utc": key_text_ceil(end_key(t)),
        "span_start": key_text(first),
        "span_end": OPEN_END if last is None else key_text_ceil(last),
    }


def timing_columns(event: Event) -> dict[str, Any]:
    """The stored date part of an event (wall times, zone, recurrence is separate)."""
    t = event.timing
    if t is None:
        return {
            "is_time_independent": 1, "is_all_day": None, "starts_at": None, "ends_at": None,
            "tzid": None, "nominal_seconds": None, "is_recurring": 0,
        }
    return {
        "is_time_independent": 0,
        "is_all_day": int(t.is_all_day),
        "starts_at": wall_text(t.start),
        "ends_at": wall_text(t.end),
        "tzid": zone_key(t.tz),
        "nominal_seconds": None if t.nominal is None else int(t.nominal.total_seconds()),
        "is_recurring": int(t.is_recurring),
    }


def timing_from_row(row: Mapping[str, Any], lines: list[str], zones: ZoneLookup) -> Timing | None:
    if row["is_time_independent"]:
        return None
    tzid = row["tzid"]
    tz = None if tzid is None else zones[tzid]
    rs = RecurrenceSet.from_lines(lines, zones) if lines else None
    nominal = None if row["nominal_seconds"] is None else timedelta(seconds=row["nominal_seconds"])
    return Timing(parse_wall(row["starts_at"]), parse_wall(row["ends_at"]), tz, rs, nominal)


# -- exceptions ---------------------------------------------------------------------------


def override_columns(ov: Override, timing: Timing, series: Series | None = None) -> dict[str, Any]:
    """Columns of one exception row; ``recurrence_id`` is its original start as wall text."""
    rid = as_wall(ov.recurrence_id, timing)
    start = _override_wall(ov.start, timing, ov.is_all_day)
    end = _override_wall(ov.end, timing, ov.is_all_day)
    cols = {
        "recurrence_id": wall_text(rid),
        "kind": ov.kind.value,
        "title": ov.title,
        "description": ov.description,
        "is_all_day": None if ov.is_all_day is None else int(ov.is_all_day),
        "starts_at": None if start is None else wall_text(start),
        "ends_at": None if end is None else wall_text(end),
        "this_and_future": int(ov.this_and_future),
        "sequence": ov.sequence,
        "properties": json.dumps(list(ov.properties)) if ov.properties else None,
    }
    tz = timing.tz if timing.tz is not None else (UTC if timing.is_all_day else None)
    rid_dt = rid if isinstance(rid, datetime) else midnight(rid)
    cols["original_start_utc"] = key_text(rid_dt if tz is None else to_utc(rid_dt, tz))
    return cols


def override_from_row(row: Mapping[str, Any]) -> Override:
    return Override(
        recurrence_id=parse_wall(row["recurrence_id"]),
        kind=OverrideKind(row["kind"]),
        title=row["title"],
        description=row["description"],
        is_all_day=None if row["is_all_day"] is None else bool(row["is_all_day"]),
        start=parse_wall(row["starts_at"]),
        end=parse_wall(row["ends_at"]),
        this_and_future=bool(row["this_and_future"]),
        sequence=row["sequence"] or 0,
        properties=tuple(json.loads(row["properties"])) if row["properties"] else (),
    )


def override_content(cols: Mapping[str, Any]) -> tuple:
    """The part of an exception row that, when it changes, is an edit (not metadata)."""
    return tuple(cols[k] for k in (
        "kind", "title", "description", "is_all_day", "starts_at", "ends_at", "this_and_future", "sequence",
        "properties",
    ))


# -- whole events (shared by every store backend) -------------------------------------------


def event_columns(event: Event) -> dict[str, Any]:
    """Every column of an event row except ``version``: ids as text, flags as 0/1,
    stamps as :func:`stamp_text`, plus :func:`timing_columns` and :func:`index_columns`.
    A backend adapts the types it stores differently (PostgreSQL: booleans, span range)."""
    room = event.room
    cols: dict[str, Any] = {
        "id": str(event.id), "ical_uid": event.ical_uid, "title": event.title,
        "description": event.description,
        "created_by": None if event.created_by is None else str(event.created_by),
        "created_at": stamp_text(event.created_at),
        "updated_by": None if event.updated_by is None else str(event.updated_by),
        "updated_at": stamp_text(event.updated_at), "is_adhoc": int(event.is_adhoc),
        "revision": event.revision,
        "room_id": str(room.id) if room else None,
        "room_password": room.password if room else None,
        "waiting_room": int(room.waiting_room) if room else 0,
        "custom_zones": custom_zones_json(event),
        "properties": json.dumps(list(event.properties)) if event.properties else None,
    }
    cols.update(timing_columns(event))
    cols.update(index_columns(event))
    return cols


def event_from_row(row: Mapping[str, Any], lines: list[str], exc_rows: Iterator[Mapping[str, Any]]) -> Event:
    """An event row (any backend: ids as text or UUID, stamps as text or datetime, flags
    as 0/1 or bool) with its recurrence lines and exception rows → the core Event."""
    zones = ZoneLookup(row["custom_zones"])
    timing = timing_from_row(row, lines, zones)
    overrides = {}
    if timing is not None:
        for r in exc_rows:
            ov = override_from_row(r)
            overrides[ov.recurrence_id] = ov
    room = None
    if row["room_id"] is not None:
        room = Room(as_uuid(row["room_id"]), row["room_password"], bool(row["waiting_room"]))
    return Event(
        id=as_uuid(row["id"]), ical_uid=row["ical_uid"], title=row["title"], description=row["description"],
        timing=timing, overrides=overrides, created_by=as_uuid(row["created_by"]),
        created_at=parse_stamp(row["created_at"]), updated_by=as_uuid(row["updated_by"]),
        updated_at=parse_stamp(row["updated_at"]), is_adhoc=bool(row["is_adhoc"]),
        revision=row["revision"], room=room,
        properties=tuple(json.loads(row["properties"])) if row["properties"] else (),
    )


def role(text: str) -> InviteRole:
    return InviteRole(text)


def status(text: str) -> InviteStatus:
    return InviteStatus(text)
