"""iCalendar import: any RFC 5545 calendar → :class:`~opentalk_sched.core.Event` objects.

    >>> result = read_calendar(open("examples/team.ics", "rb").read())   # doctest: +SKIP
    >>> [item.event.title for item in result.items]                      # doctest: +SKIP

icalendar does the parsing and x-wr-timezone the Google/Apple ``X-WR-TIMEZONE``
convention; this module maps components onto the model (SPEC §1, §3):

* VEVENTs sharing a UID are one series: the one without RECURRENCE-ID is the master,
  the others become :class:`~opentalk_sched.core.Override` objects keyed by their
  original start in the master's wall time, whatever form the RECURRENCE-ID is written
  in (UTC, another TZID, DATE). When the same override appears twice the higher
  SEQUENCE wins, then the later LAST-MODIFIED / DTSTAMP, then the later in the file.
  A ``STATUS:CANCELLED`` override whose RECURRENCE-ID is also an EXDATE of the master
  (how :mod:`.export` writes a cancelled instance) becomes a cancelled exception and
  that EXDATE value is dropped, so the instance stays listed as cancelled. An
  override keeps its own ATTENDEE / ORGANIZER lines only when they differ from the
  master's (per-instance answers); identical copies are not frozen onto the instance.
* Zones: IANA names and Windows names (Outlook) become ``ZoneInfo``; any other TZID
  with a VTIMEZONE in the file becomes a :class:`~opentalk_sched.core.VTimezone`.
* DURATION with days or weeks stays nominal (RFC 5545 §3.3.6); DTEND in another zone
  is converted; a missing DTEND means one day (DATE) or zero length (DATE-TIME).
* ATTENDEEs become :class:`~opentalk_sched.core.Attendee` values with their PARTSTAT
  and CN; the master's ATTENDEE lines are also kept as content lines, without PARTSTAT
  and RSVP (the export writes each attendee's line from its kept one: the store keeps
  no names of email invitees);
  ORGANIZER is kept, and LOCATION, CATEGORIES, TRANSP, VALARM and X- properties are kept
  as content lines to re-emit on export.

A broken series raises a typed :class:`~opentalk_sched.core.SchedError` naming its UID;
with ``skip_invalid=True`` it is reported in ``ImportResult.errors`` and the rest of the
file still loads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Callable, Iterable

import icalendar
import x_wr_timezone

from ..core import (
    UTC, Attendee, Event, InvalidEvent, InvalidRecurrence, InviteRole, InviteStatus, Observance,
    Override, OverrideKind, RecurrenceSet, SchedError, Timing, UnknownTimezone, VTimezone,
    normalize, resolve_zone, to_utc, to_wall,
)

#: namespace for the ids of imported events: the same UID always gets the same id
IMPORT_NAMESPACE = uuid.UUID("6f1d3b0e-5c1a-4a57-9a43-2f0c4f1f7e21")

_RECURRENCE_PROPS = ("RRULE", "RDATE", "EXRULE", "EXDATE")
#: parameters of a master's kept ATTENDEE line that are an answer, not the person: left
#: out (the answer is the attendee's status), so a re-import that only changes answers
#: leaves the event's properties as they are
_ANSWER_PARAMS = ("PARTSTAT", "RSVP")
_HANDLED = {
    "UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "RECURRENCE-ID",
    "SEQUENCE", "DTSTAMP", "LAST-MODIFIED", "CREATED", "STATUS", "ORGANIZER", "ATTENDEE",
    *_RECURRENCE_PROPS,
}


@dataclass(frozen=True, slots=True)
class Imported:
    """One series from a file: the event, its attendees and the ORGANIZER value."""

    event: Event
    attendees: tuple[Attendee, ...] = ()
    organizer: str | None = None


@dataclass(slots=True)
class ImportResult:
    """``items`` in file order of their UIDs; ``errors`` for skipped series (with ``uid``)."""

    items: list[Imported] = field(default_factory=list)
    errors: list[SchedError] = field(default_factory=list)

    @property
    def events(self) -> list[Event]:
        return [i.event for i in self.items]


def read_calendar(
    data: bytes | str,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Parse iCalendar text (one or several VCALENDARs) into events.

    ``progress(done, total)`` is called as series are converted. Raises
    :class:`InvalidEvent` (``invalid_calendar``) when the text is not iCalendar at all,
    and the first series error unless ``skip_invalid``.
    """
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # icalendar raises ValueError and friends
        raise InvalidEvent(f"not an iCalendar file: {exc}", code="invalid_calendar") from exc
    if not calendars:
        raise InvalidEvent("no VCALENDAR in the input", code="invalid_calendar")
    result = ImportResult()
    for cal in calendars:
        try:
            cal = x_wr_timezone.to_standard(cal)
        except Exception:  # unknown X-WR-TIMEZONE: keep the floating times as they are
            pass
        zones = _custom_zones(cal)
        groups: dict[str, list] = {}
        for comp in cal.walk("VEVENT"):
            uid = str(comp.get("UID", "")).strip() or f"no-uid-{len(groups)}@opentalk-sched"
            groups.setdefault(uid, []).append(comp)
        total = len(groups)
        for n, (uid, comps) in enumerate(groups.items(), start=1):
            try:
                result.items.extend(_series(uid, comps, zones))
            except SchedError as err:
                err.with_uid(uid)
                if not skip_invalid:
                    raise
                result.errors.append(err)
            if progress is not None:
                progress(n, total)
    return result


# -- zones ------------------------------------------------------------------------------


def _custom_zones(cal) -> dict[str, tzinfo]:
    """TZIDs of the file's VTIMEZONEs that are not IANA/Windows names → VTimezone."""
    zones: dict[str, tzinfo] = {}
    for vtz in cal.walk("VTIMEZONE"):
        tzid = str(vtz.get("TZID", ""))
        try:
            zones[tzid] = resolve_zone(tzid)
            continue
        except UnknownTimezone:
            pass
        observances = []
        for sub in vtz.subcomponents:
            if sub.name not in ("STANDARD", "DAYLIGHT"):
                continue
            start = sub.decoded("DTSTART")
            rrule = sub.get("RRULE")
            rdates = []
            for rd in _as_list(sub.get("RDATE")):
                rdates.extend(v.dt.replace(tzinfo=None) for v in rd.dts)
            observances.append(Observance(
                kind=sub.name,
                dtstart=start.replace(tzinfo=None) if isinstance(start, datetime) else datetime.combine(start, datetime.min.time()),
                offset_from=int(sub.decoded("TZOFFSETFROM").total_seconds()),
                offset_to=int(sub.decoded("TZOFFSETTO").total_seconds()),
                rrule=rrule.to_ical().decode() if rrule is not None else "",
                rdates=tuple(rdates),
                name=str(sub.get("TZNAME", "")),
            ))
        if observances:
            try:
                zones[tzid] = VTimezone.cached(tzid, tuple(observances))
            except SchedError:
                continue
    return zones


def _zone(tzid: str, zones: dict[str, tzinfo]) -> tzinfo:
    tz = zones.get(tzid)
    if tz is not None:
        return tz
    return resolve_zone(tzid)


def _value(prop, zones) -> tuple[date | datetime, tzinfo | None]:
    """A DATE/DATE-TIME property → (wall value, its zone): date → (date, None); floating →
    (naive, None); UTC → (naive, UTC zone); TZID → (naive wall, that zone)."""
    dt = prop.dt
    if not isinstance(dt, datetime):
        return dt, None
    tzid = prop.params.get("TZID")
    if tzid:
        return dt.replace(tzinfo=None), _zone(str(tzid), zones)
    if dt.tzinfo is None:
        return dt, None
    dt = normalize(dt)
    key = getattr(dt.tzinfo, "key", None)
    if key:
        return dt.replace(tzinfo=None), resolve_zone(key)
    return dt.astimezone(UTC).replace(tzinfo=None), resolve_zone("UTC")


def _in_zone(wall, src_tz, tz, all_day: bool):
    """Express a value read in ``src_tz`` as wall time of the series zone ``tz``."""
    if not isinstance(wall, datetime):
        return wall
    if src_tz is None or tz is None or src_tz is tz or getattr(src_tz, "key", 0) == getattr(tz, "key", 1):
        return wall
    return to_wall(to_utc(wall, src_tz), tz)


# -- series -----------------------------------------------------------------------------


def _rank(comp, index: int):
    def stamp(name):
        v = comp.get(name)
        try:
            return normalize(v.dt).astimezone(UTC) if v is not None and isinstance(v.dt, datetime) else None
        except Exception:
            return None

    seq = int(comp.get("SEQUENCE", 0) or 0)
    lm = stamp("LAST-MODIFIED") or stamp("DTSTAMP") or datetime.min.replace(tzinfo=UTC)
    return (seq, lm, index)


def _series(uid: str, comps: list, zones) -> list[Imported]:
    masters = [(i, c) for i, c in enumerate(comps) if c.get("RECURRENCE-ID") is None]
    children = [(i, c) for i, c in enumerate(comps) if c.get("RECURRENCE-ID") is not None]
    if not masters:
        # instances without their series (an invitation to one occurrence): each stands alone
        return [_standalone(uid, c, zones, n) for n, (_, c) in enumerate(children)]
    _, master = max(masters, key=lambda p: _rank(p[1], p[0]))
    item = _master(uid, master, zones)
    timing = item.event.timing
    if timing is None or not children:
        return [item]
    overrides: dict = {}
    ranks: dict = {}
    people = {name: _people_key(master, name) for name in ("ATTENDEE", "ORGANIZER")}
    for index, comp in children:
        ov = _override(comp, timing, zones, people)
        rank = _rank(comp, index)
        if ov.recurrence_id not in ranks or rank > ranks[ov.recurrence_id]:
            overrides[ov.recurrence_id] = ov
            ranks[ov.recurrence_id] = rank
    item.event.overrides = overrides
    item.event.timing = _cancelled_not_excluded(timing, overrides)
    return [item]


def _cancelled_not_excluded(timing: Timing, overrides: dict) -> Timing:
    """Drop the EXDATE values that name a cancelled override's original start exactly
    (the export writes a cancelled instance as both), so the override is an occurrence
    again and the instance shows as cancelled. A DATE EXDATE on a DATE-TIME series
    removes a whole day and is kept."""
    rs = timing.recurrence
    cancelled = {rid for rid, ov in overrides.items() if ov.cancelled}
    if rs is None or not rs.exdates or not cancelled:
        return timing
    tz = timing.tz or UTC
    kept = []
    for v in rs.exdates:
        if isinstance(v, datetime):
            wall = v if v.tzinfo is None else (v.replace(tzinfo=None) if timing.is_floating else to_wall(v, tz))
            wall = wall.date() if timing.is_all_day else wall
        else:
            wall = v if timing.is_all_day else None
        if wall is None or wall not in cancelled:
            kept.append(v)
    if len(kept) == len(rs.exdates):
        return timing
    return replace(timing, recurrence=replace(rs, exdates=tuple(kept)))


def _people_key(comp, name: str) -> frozenset:
    """ATTENDEE or ORGANIZER values of a component, comparable across components:
    (address lowercased, parameters with upper-case names)."""
    out = set()
    for prop in _as_list(comp.get(name)):
        params = frozenset((str(k).upper(), str(v)) for k, v in getattr(prop, "params", {}).items())
        out.add((str(prop).strip().lower(), params))
    return frozenset(out)


def _master(uid: str, comp, zones) -> Imported:
    if comp.get("DTSTART") is None:
        if any(comp.get(p) is not None for p in _RECURRENCE_PROPS):
            raise InvalidEvent("a recurring VEVENT needs DTSTART", code="missing_dtstart", field="DTSTART", uid=uid)
        timing = None
    else:
        timing = _timing(comp, zones, uid)
    event = Event(
        id=uuid.uuid5(IMPORT_NAMESPACE, uid),
        ical_uid=uid,
        title=str(comp.get("SUMMARY", "")),
        description=str(comp.get("DESCRIPTION", "")),
        timing=timing,
        created_at=_stamp(comp, "CREATED") or _stamp(comp, "DTSTAMP"),
        updated_at=_stamp(comp, "LAST-MODIFIED") or _stamp(comp, "DTSTAMP"),
        revision=int(comp.get("SEQUENCE", 0) or 0),
        # SPEC §3: ORGANIZER is kept; so are the ATTENDEE lines, which the export writes
        # the attendees' lines from (their CN and other parameters; the store keeps no
        # names), without the answers, which are the attendees' (invites') own
        properties=_extra_lines(comp, keep=("ORGANIZER", "ATTENDEE"), strip={"ATTENDEE": _ANSWER_PARAMS}),
    )
    organizer = comp.get("ORGANIZER")
    return Imported(event, _attendees(comp), str(organizer) if organizer is not None else None)


def _standalone(uid: str, comp, zones, n: int) -> Imported:
    item = _master(uid, comp, zones)
    rid = comp.get("RECURRENCE-ID")
    item.event.id = uuid.uuid5(IMPORT_NAMESPACE, f"{uid}/{rid.to_ical().decode()}")
    return item


def _timing(comp, zones, uid: str) -> Timing:
    start, tz = _value(comp["DTSTART"], zones)
    all_day = not isinstance(start, datetime)
    nominal = None
    if comp.get("DTEND") is not None:
        end_raw, end_tz = _value(comp["DTEND"], zones)
        if all_day and isinstance(end_raw, datetime):
            end = end_raw.date()
        elif not all_day and not isinstance(end_raw, datetime):
            end = datetime.combine(end_raw, datetime.min.time())
        else:
            end = _in_zone(end_raw, end_tz, tz, all_day)
    elif comp.get("DURATION") is not None:
        dur = comp["DURATION"].dt
        if not isinstance(dur, timedelta):
            raise InvalidEvent("DURATION is not a duration", code="invalid_duration", field="DURATION")
        if dur.days and not all_day:
            nominal = dur
            end = start + dur
        elif all_day:
            end = start + timedelta(days=max(dur.days, 1))
        elif tz is not None:
            end = to_wall(to_utc(start, tz) + dur, tz)
        else:
            end = start + dur
    else:
        end = start + timedelta(days=1) if all_day else start
    if end < start:
        raise InvalidEvent(f"DTEND {end} is before DTSTART {start}", code="ends_before_start", field="DTEND")
    recurrence = _recurrence(comp, zones)
    timing = Timing(start, end, tz, recurrence, nominal)
    if recurrence is not None:
        from ..core import Series

        Series(Event(id=uuid.uuid4(), ical_uid=uid, timing=timing))  # validates rules against DTSTART
    return timing


def _recurrence(comp, zones) -> RecurrenceSet | None:
    lines = []
    for name in _RECURRENCE_PROPS:
        for prop in _as_list(comp.get(name)):
            lines.append(_content_line(name, prop))
    if not lines:
        return None
    rs = RecurrenceSet.from_lines(lines, zones)
    return rs


def _content_line(name: str, prop) -> str:
    params = "".join(f";{k}={v}" for k, v in getattr(prop, "params", {}).items())
    try:
        value = prop.to_ical()
        value = value.decode() if isinstance(value, bytes) else str(value)
    except Exception:
        value = str.__str__(prop) if isinstance(prop, str) else str(prop)
    if isinstance(prop, str) and type(prop).__name__ == "vBroken":
        value = str.__str__(prop)
    return f"{name}{params}:{value.replace(chr(92) + ';', ';')}"


def _override(comp, timing: Timing, zones, master_people: dict | None = None) -> Override:
    rid_prop = comp["RECURRENCE-ID"]
    rid_raw, rid_tz = _value(rid_prop, zones)
    tz = timing.tz
    if timing.is_all_day:
        rid = rid_raw.date() if isinstance(rid_raw, datetime) else rid_raw
    elif not isinstance(rid_raw, datetime):
        rid = datetime.combine(rid_raw, timing.start.time())
    else:
        rid = _in_zone(rid_raw, rid_tz, tz, False)
    this_and_future = str(rid_prop.params.get("RANGE", "")).upper() == "THISANDFUTURE"
    start = end = None
    is_all_day = None
    if comp.get("DTSTART") is not None:
        s_raw, s_tz = _value(comp["DTSTART"], zones)
        ov_all_day = not isinstance(s_raw, datetime)
        if ov_all_day != timing.is_all_day:
            is_all_day = ov_all_day
        start = _in_zone(s_raw, s_tz, tz, ov_all_day)
        if comp.get("DTEND") is not None:
            e_raw, e_tz = _value(comp["DTEND"], zones)
            end = _in_zone(e_raw, e_tz, tz, ov_all_day)
        elif comp.get("DURATION") is not None:
            end = start + comp["DURATION"].dt
        else:
            end = start + (timing.end - timing.start) if type(start) is type(timing.start) else None
        if start == rid and end == _default_end(rid, timing) and is_all_day is None:
            start = end = None  # not moved: keep the series' placement (and nominal lengths)
    status = str(comp.get("STATUS", "")).upper()
    return Override(
        recurrence_id=rid,
        kind=OverrideKind.CANCELLED if status == "CANCELLED" else OverrideKind.MODIFIED,
        title=str(comp["SUMMARY"]) if comp.get("SUMMARY") is not None else None,
        description=str(comp["DESCRIPTION"]) if comp.get("DESCRIPTION") is not None else None,
        is_all_day=is_all_day,
        start=start,
        end=end,
        this_and_future=this_and_future,
        sequence=int(comp.get("SEQUENCE", 0) or 0),
        properties=_extra_lines(comp, keep=tuple(
            name for name in ("ATTENDEE", "ORGANIZER")
            if master_people is None or _people_key(comp, name) != master_people[name]
        )),
    )


def _default_end(rid, timing: Timing):
    if timing.nominal is not None:
        return rid + timing.nominal
    return rid + (timing.end - timing.start)


def _attendees(comp) -> tuple[Attendee, ...]:
    out = []
    for att in _as_list(comp.get("ATTENDEE")):
        addr = str(att)
        email = addr[7:] if addr.lower().startswith("mailto:") else addr
        params = att.params
        role = InviteRole.MODERATOR if str(params.get("ROLE", "")).upper() == "CHAIR" else InviteRole.GUEST
        out.append(Attendee(
            email=email.strip().lower(),
            status=InviteStatus.from_partstat(str(params.get("PARTSTAT", "NEEDS-ACTION"))),
            role=role,
            name=str(params["CN"]) if "CN" in params else None,
        ))
    return tuple(out)


def _extra_lines(comp, keep: tuple[str, ...] = (), strip: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """Properties and subcomponents the model has no field for, as iCalendar text;
    ``keep``: handled properties to keep anyway (an override's own ATTENDEE / ORGANIZER);
    ``strip``: parameters left out of the kept lines of a property (``{name: params}``)."""
    out = []
    for name, prop in comp.property_items(recursive=False, sorted=False):
        if name in ("BEGIN", "END") or (name in _HANDLED and name not in keep):
            continue
        if not hasattr(prop, "to_ical"):
            out.append(_content_line(name, prop))
        else:
            out.append(_prop_line(name, prop, (strip or {}).get(name, ())))
    for sub in comp.subcomponents:
        out.append(sub.to_ical().decode().strip())
    return tuple(out)


def _prop_line(name: str, prop, strip: tuple[str, ...] = ()) -> str:
    params = getattr(prop, "params", {})
    if strip and params:
        params = icalendar.Parameters({k: v for k, v in params.items() if str(k).upper() not in strip})
    line = icalendar.parser.Contentline.from_parts(name, params, prop, sorted=False)
    return str(line)


def _stamp(comp, name: str) -> datetime | None:
    v = comp.get(name)
    if v is None:
        return None
    try:
        dt = v.dt
    except Exception:
        return None
    if isinstance(dt, datetime):
        return normalize(dt).astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def _as_list(value) -> Iterable:
    if value is None:
        return ()
    return value if isinstance(value, list) else (value,)


__all__ = ["read_calendar", "ImportResult", "Imported", "IMPORT_NAMESPACE", "InvalidRecurrence"]
