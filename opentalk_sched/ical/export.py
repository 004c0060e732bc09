"""iCalendar export: :class:`~opentalk_sched.core.Event` objects → RFC 5545 text.

    >>> data = export_event(event, attendees, organizer="mailto:alice@example.org")  # doctest: +SKIP
    >>> result = export_calendar(read_calendar(data).items)                          # doctest: +SKIP
    >>> result.data, result.skipped                                                  # doctest: +SKIP

One series is written as (SPEC §3):

* a VTIMEZONE for every zone its values use (:mod:`.vtimezone`); UTC values are written
  as ``...Z`` and floating ones without a zone, so neither needs one;
* the master VEVENT: UID (= ``ical_uid``), DTSTAMP, CREATED, LAST-MODIFIED, SEQUENCE
  (= ``revision``), SUMMARY, DESCRIPTION, DTSTART and DTEND (or DURATION when the
  duration is nominal, RFC 5545 §3.3.6) with a TZID, floating, or ``VALUE=DATE``; the
  recurrence lines of :meth:`RecurrenceSet.to_lines` plus an EXDATE for every
  cancelled override (SPEC §3); ORGANIZER; one ATTENDEE per invitee with PARTSTAT and ROLE
  (and CN when a name is known), written on the invitee's ATTENDEE line kept from import
  when there is one, so CN and other parameters the store does not keep come back
  (:func:`attendee_property` ``template``), plus the given organizer's own line when
  the file listed them as an attendee (:meth:`SeriesWriter.attendee_properties`: an
  importer who was invited); URL and LOCATION of the room when
  ``room_url`` is given; the extra properties kept from import;
* one VEVENT with RECURRENCE-ID (in the master's form, with ``RANGE=THISANDFUTURE``
  where the override has it) per modified override, carrying the instance as the engine
  shows it (its start, end, title, description), the override's kept properties and
  its own ATTENDEE lines if it has any (per-instance answers), the series' otherwise;
* one VEVENT with RECURRENCE-ID and ``STATUS:CANCELLED`` per cancelled override, besides
  its EXDATE: readers that honour the EXDATE (most clients, recurring-ical-events) never
  show it, and :mod:`.importer` turns the pair back into a cancelled exception, so a
  round trip keeps the instance's status (``include_cancelled``). iTIP REQUESTs carry
  the EXDATE only (:mod:`.itip`: a cancelled instance has its own CANCEL).

Values are written so that other readers agree with the engine (SPEC §1): RDATE/EXDATE
values kept as "the series' zone" get the series' TZID, and UNTIL is written as RFC
5545 §3.3.10 wants it (UTC for a zoned series, a date for an all-day one, floating
for a floating one) at the same instant the engine reads. Overrides whose
RECURRENCE-ID is not an occurrence of the series are invisible in the engine and are
not written. Generated properties win over kept ones of the same name (URL and LOCATION
when a room URL is written; ATTENDEE on the master when attendees are given), except
ORGANIZER: one kept from import names the real organizer and is written instead of ours,
on the master and on every override alike (an override's own differing ORGANIZER is
not written: RFC 6638 §3.2.4.1 wants one ORGANIZER in all components of a series).

Time-independent events have no dates and cannot be written: :func:`export_event`
raises, :func:`export_calendar` lists them in :attr:`ExportResult.skipped`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Callable, Iterable, Sequence

import icalendar
from icalendar.parser import Contentline
from icalendar.prop import vCalAddress, vUnknown

from ..core import (
    UTC, Attendee, Event, InvalidEvent, InviteRole, InviteStatus, Override, RDate, RecurrenceSet, Room, SchedError,
    Series, format_duration, zone_key,
)
from ..core.rrule import YEARLY as _YEARLY
from .vtimezone import is_utc, vtimezone

PRODID = "-//OpenTalk//opentalk-sched//EN"

#: ``room_url``: a format string with ``{room_id}`` or a function ``Room -> str``
RoomUrl = str | Callable[[Room], str] | None

#: properties the writer generates itself; kept lines with these names are not re-emitted
_GENERATED = {
    "UID", "DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE", "SUMMARY", "DESCRIPTION",
    "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXRULE", "EXDATE", "RECURRENCE-ID",
    "METHOD", "BEGIN", "END",
}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export_calendar` wrote.

    ``data``: the VCALENDAR as bytes (CRLF lines, folded at 75 octets).
    ``exported``: ids of the events written, in order. ``skipped``: ids of
    time-independent events (no dates, nothing to write). ``errors``: events that could
    not be written (a :class:`~opentalk_sched.core.SchedError` each, ``uid`` set).
    """

    data: bytes
    exported: list[uuid.UUID] = field(default_factory=list)
    skipped: list[uuid.UUID] = field(default_factory=list)
    errors: list[SchedError] = field(default_factory=list)


def export_event(
    event: Event,
    attendees: Iterable[Attendee] = (),
    organizer: Any = None,
    *,
    room_url: RoomUrl = None,
    now: datetime | None = None,
) -> bytes:
    """One series as a VCALENDAR (see the module docstring).

    ``attendees``: :class:`~opentalk_sched.core.Attendee` values (email lowercased);
    ``organizer``: an email or ``mailto:`` URI, or an object with ``email`` (and
    optionally ``name``); ``now``: the DTSTAMP (aware, default: the current time).
    Raises :class:`~opentalk_sched.core.InvalidEvent` (``time_independent``) for an
    event without dates, and the engine's errors for a series it cannot compute.
    """
    if event.timing is None:
        raise InvalidEvent(
            "a time-independent event has no dates to export", code="time_independent",
            field="timing", uid=event.ical_uid,
        )
    writer = SeriesWriter(event, tuple(attendees), organizer, room_url=room_url, now=now)
    comps = writer.components()  # first: writing the values records the zones they use
    cal = new_calendar()
    for comp in writer.timezones():
        cal.add_component(comp)
    for comp in comps:
        cal.add_component(comp)
    return to_bytes(cal)


def export_calendar(
    items: Iterable[Any],
    *,
    room_url: RoomUrl = None,
    now: datetime | None = None,
    name: str | None = None,
) -> ExportResult:
    """Many series as one VCALENDAR (a feed), one VTIMEZONE per TZID shared by all.

    ``items``: events, ``(event, attendees, organizer)`` tuples, or objects with
    ``event``, ``attendees`` and ``organizer`` attributes (the importer's ``Imported``).
    ``name`` sets X-WR-CALNAME. Never raises for one bad event: time-independent ones
    go to ``skipped``, series the engine cannot compute to ``errors``.
    """
    cal = new_calendar()
    if name:
        cal.add("X-WR-CALNAME", name)
    result = ExportResult(b"")
    zones: dict[str, tuple[tzinfo, int, int | None]] = {}
    events = []
    for item in items:
        event, attendees, organizer = _unpack(item)
        if event.timing is None:
            result.skipped.append(event.id)
            continue
        try:
            writer = SeriesWriter(event, attendees, organizer, room_url=room_url, now=now)
            comps = writer.components()
        except SchedError as err:
            result.errors.append(err.with_uid(event.ical_uid))
            continue
        for tzid, (tz, first, last) in writer.zones.items():
            if tzid in zones:
                _, f0, l0 = zones[tzid]
                first = min(first, f0)
                last = None if last is None or l0 is None else max(last, l0)
                tz = zones[tzid][0]
            zones[tzid] = (tz, first, last)
        events.extend(comps)
        result.exported.append(event.id)
    for tzid, (tz, first, last) in zones.items():
        cal.add_component(vtimezone(tz, first, last))
    for comp in events:
        cal.add_component(comp)
    return replace(result, data=to_bytes(cal))


# -- building blocks (also used by :mod:`.itip`) ------------------------------------------------


def new_calendar(method: str | None = None) -> icalendar.Calendar:
    """An empty VCALENDAR with VERSION, PRODID, CALSCALE and, for iTIP, METHOD."""
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    if method:
        cal.add("METHOD", method)
    return cal


def to_bytes(cal: icalendar.Calendar) -> bytes:
    """Serialise in insertion order (RFC 5545 §3.1: CRLF, folded lines)."""
    return cal.to_ical(sorted=False)


def _unpack(item) -> tuple[Event, tuple[Attendee, ...], Any]:
    if isinstance(item, Event):
        return item, (), None
    if isinstance(item, tuple):
        event, *rest = item
        attendees = rest[0] if len(rest) > 0 else ()
        organizer = rest[1] if len(rest) > 1 else None
        return event, tuple(attendees or ()), organizer
    return item.event, tuple(getattr(item, "attendees", ()) or ()), getattr(item, "organizer", None)


def cal_address(email: str | None, user_id: uuid.UUID | None = None) -> str | None:
    """An email (or ``mailto:``/other URI) → CAL-ADDRESS; ``urn:uuid:`` for a user without one."""
    if email:
        text = email.strip()
        head = text.split(":", 1)[0].lower()
        if ":" in text and "@" not in head and head in ("mailto", "urn", "http", "https", "sip", "tel"):
            return ("mailto:" + text[7:]) if head == "mailto" else text
        return f"mailto:{text}"
    if user_id is not None:
        return f"urn:uuid:{user_id}"
    return None


def organizer_property(organizer: Any) -> vCalAddress | None:
    """ORGANIZER from an email / URI string or an object with ``email`` (and ``name``)."""
    if organizer is None:
        return None
    if isinstance(organizer, str):
        addr, name = cal_address(organizer), None
    else:
        addr = cal_address(getattr(organizer, "email", None), getattr(organizer, "user_id", None))
        name = getattr(organizer, "name", None) or getattr(organizer, "display_name", None)
    if addr is None:
        return None
    prop = vCalAddress(addr)
    if name:
        prop.params["CN"] = name
    return prop


def attendee_property(att: Attendee, *, status: InviteStatus | None = None, rsvp: bool = False,
                      template: Any = None) -> vCalAddress | None:
    """ATTENDEE with CN (the name, when one is known), ROLE (``InviteRole.ical_role``) and
    PARTSTAT (``InviteStatus.partstat``); ``None`` for an attendee without address.

    ``template``: the attendee's ATTENDEE line kept from import (a property with
    ``params``). Its parameters are kept in their order (CN, CUTYPE, X-NUM-GUESTS, ...)
    and brought up to date: PARTSTAT is ``att``'s, ROLE follows ``att`` where it matters
    (CHAIR for a moderator; a kept ROLE, e.g. OPT-PARTICIPANT, stays otherwise, a
    missing one means REQ-PARTICIPANT), and CN is ``att.name`` unless that is only the
    address, then the template's.
    """
    addr = cal_address(att.email, att.user_id)
    if addr is None:
        return None
    prop = vCalAddress(addr)
    partstat = (status or att.status).partstat
    params = getattr(template, "params", None)
    if params is None:
        if att.name:
            prop.params["CN"] = att.name
        prop.params["ROLE"] = att.role.ical_role
        prop.params["PARTSTAT"] = partstat
    else:
        for key, value in params.items():
            prop.params[str(key).upper()] = value
        name = att.name if att.name and not _same_address(att.name, att.email) else None
        if name or (att.name and "CN" not in prop.params):
            prop.params["CN"] = name or att.name
        kept_role = str(prop.params.get("ROLE", "")).upper()
        if att.role.ical_role == "CHAIR" or kept_role == "CHAIR":
            prop.params["ROLE"] = att.role.ical_role
        prop.params["PARTSTAT"] = partstat
    if rsvp:
        prop.params["RSVP"] = "TRUE"
    return prop


def address_key(value: Any) -> str:
    """A CAL-ADDRESS or email compared as the importer does: lowercased, without ``mailto:``."""
    text = str(value or "").strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).lower()


def _same_address(name: str, email: str | None) -> bool:
    return bool(email) and address_key(name) == address_key(email)


def _room_url(room: Room | None, room_url: RoomUrl) -> str | None:
    if room is None or room_url is None:
        return None
    if callable(room_url):
        return room_url(room)
    return room_url.format(room_id=room.id)


def kept_content(lines: Sequence[str]) -> list[tuple[str, Any]]:
    """Kept iCalendar text → ``[(name, value)]`` where value is a verbatim ``vUnknown``
    property (params attached) or a whole subcomponent (``BEGIN:VALARM`` ... ``END:VALARM``).

    Each item may be one content line or a block joined with CRLF; folded lines are
    unfolded. Raises :class:`~opentalk_sched.core.InvalidEvent` (``invalid_property``)
    for text that is not iCalendar content lines.
    """
    out: list[tuple[str, Any]] = []
    for text in lines:
        unfolded: list[str] = []
        for physical in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if physical[:1] in (" ", "\t") and unfolded:
                unfolded[-1] += physical[1:]
            elif physical.strip():
                unfolded.append(physical)
        stack: list = []
        for line in unfolded:
            try:
                name, params, value = Contentline(line).raw_parts()
            except Exception as exc:
                raise InvalidEvent(
                    f"kept property {line!r} is not an iCalendar content line", code="invalid_property",
                    field="properties", value=line,
                ) from exc
            name = name.upper()
            if name == "BEGIN":
                comp_name = value.strip().upper()
                comp = icalendar.cal.component.Component.get_component_class(comp_name)()
                comp.name = comp_name
                stack.append(comp)
                continue
            if name == "END":
                if not stack:
                    raise InvalidEvent(
                        f"END:{value} without BEGIN in kept properties", code="invalid_property",
                        field="properties", value=line,
                    )
                comp = stack.pop()
                if stack:
                    stack[-1].add_component(comp)
                else:
                    out.append((comp.name, comp))
                continue
            prop = vUnknown(value, params=params)
            if stack:
                stack[-1].add(name, prop, encode=False)
            else:
                out.append((name, prop))
        if stack:
            raise InvalidEvent(
                f"BEGIN:{stack[-1].name} without END in kept properties", code="invalid_property",
                field="properties", value=str(text)[:200],
            )
    return out


def add_kept(comp, kept: list[tuple[str, Any]], skip: set[str]) -> None:
    """Add kept properties/subcomponents to ``comp``, leaving out names in ``skip``."""
    for name, value in kept:
        if isinstance(value, icalendar.cal.component.Component):
            comp.add_component(value)
        elif name not in skip:
            comp.add(name, value, encode=False)


def add_line(comp, line: str) -> None:
    """Add one content line (e.g. from :meth:`RecurrenceSet.to_lines`) verbatim."""
    name, params, value = Contentline(line).raw_parts()
    comp.add(name.upper(), vUnknown(value, params=params), encode=False)


class SeriesWriter:
    """Writes one timed series: its components and the zones they use.

    ``zones`` maps each TZID written to ``(tzinfo, first year, last year or None)`` once
    :meth:`components` (or any ``write_*`` method) has run; :meth:`timezones` builds the
    VTIMEZONEs for them.
    """

    def __init__(
        self,
        event: Event,
        attendees: Sequence[Attendee] = (),
        organizer: Any = None,
        *,
        room_url: RoomUrl = None,
        now: datetime | None = None,
    ) -> None:
        if event.timing is None:
            raise InvalidEvent("a time-independent event has no dates", code="time_independent", uid=event.ical_uid)
        self.event = event
        self.timing = t = event.timing
        self.series = Series(event)
        self.attendees = tuple(attendees)
        self.organizer = organizer_property(organizer)
        # an ORGANIZER kept from import names the real organizer: it wins over ours
        self._kept_organizer = _kept_organizer(event.properties)
        #: the master's ATTENDEE lines kept from import, by address: templates of the
        #: lines written (names, parameters, order), never written as they are
        self._kept_attendees = _kept_attendees(event.properties)
        self.room_url = _room_url(event.room, room_url)
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.tz = t.tz
        #: the zone naive values of this series are read in (UTC for an all-day series
        #: without one, ``None`` when floating), as :class:`~opentalk_sched.core.Series` does
        self.value_tz = self.series.tz
        self.all_day = t.is_all_day
        self.floating = t.is_floating
        self.utc = is_utc(t.tz)
        self.zones: dict[str, tuple[tzinfo, int, int | None]] = {}
        self._first_year, self._last_year = self._years()

    # -- zones and values -------------------------------------------------------------------

    def _years(self) -> tuple[int, int | None]:
        t = self.timing
        years = [t.start.year]
        last: list[int] = [t.end.year]
        rs = t.recurrence
        unbounded = False
        if rs is not None:
            years += [r.start.year for r in rs.rdates]
            last += [r.start.year for r in rs.rdates]
            for rule in rs.rrules:
                if rule.until is not None:
                    last.append(rule.until.year)
                elif rule.count is None:
                    unbounded = True
        for rid, ov in self.event.overrides.items():
            years.append(rid.year)
            if ov.start is not None:
                years.append(ov.start.year)
                last.append(ov.start.year)
        return min(years), (None if unbounded else max(last))

    def use_zone(self, tz: tzinfo) -> str:
        """Record that a value in ``tz`` is written; returns its TZID."""
        tzid = zone_key(tz)
        if tzid not in self.zones:
            self.zones[tzid] = (tz, self._first_year, self._last_year)
        return tzid

    def timezones(self) -> list:
        """VTIMEZONE components for every zone recorded so far."""
        return [vtimezone(tz, first, last) for tz, first, last in self.zones.values()]

    def write_value(self, comp, name: str, value, params: dict[str, str] | None = None) -> None:
        """Write a wall value of this series (date, naive = series zone / floating, or an
        aware datetime) as DATE, ``...Z``, TZID or floating DATE-TIME."""
        written: dict[str, str] = {}
        if isinstance(value, datetime):
            if value.tzinfo is None and not self.floating:
                value = value.replace(tzinfo=self.value_tz)
            if value.tzinfo is not None:
                if is_utc(value.tzinfo):
                    value = value.astimezone(UTC)
                else:
                    written["TZID"] = self.use_zone(value.tzinfo)
                    value = value.replace(tzinfo=None)
        written.update(params or {})
        comp.add(name, value, parameters=written or None)

    def wall(self, value):
        """An Instance start/end (aware in the series' zone, naive, or date) → series wall."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(self.value_tz).replace(tzinfo=None)
        return value

    # -- recurrence ---------------------------------------------------------------------------

    def recurrence_lines(self) -> list[str]:
        """RRULE/RDATE/EXRULE/EXDATE lines, values in the forms other readers agree on, plus
        an EXDATE for every cancelled override."""
        rs = self.timing.recurrence or RecurrenceSet()
        cancelled = [rid for rid, ov in self.event.overrides.items() if ov.cancelled]
        if rs.is_empty and not rs.exdates and not rs.exrules and not cancelled:
            return []
        attach = self._attach
        rdates = tuple(
            RDate(attach(r.start), attach(r.end)) if r.end is not None else RDate(attach(r.start))
            for r in rs.rdates
        )
        exdates = [attach(v) for v in rs.exdates]
        for rid in sorted(cancelled, key=_sort_key):
            v = attach(rid)
            if v not in exdates:
                exdates.append(v)
        normalized = RecurrenceSet(
            rrules=tuple(self._rule(r) for r in rs.rrules),
            rdates=rdates,
            exrules=tuple(self._rule(r) for r in rs.exrules),
            exdates=tuple(exdates),
        )
        for v in (*(r.start for r in rdates), *exdates):
            if isinstance(v, datetime) and v.tzinfo is not None and not is_utc(v.tzinfo):
                self.use_zone(v.tzinfo)
        return normalized.to_lines()

    def _attach(self, v):
        """A naive value means the series' zone (SPEC §1): give it the zone so it is written
        with the series' TZID (or as UTC) instead of as a floating time. On an all-day
        series a date-time matches its local date, so it is written as that DATE."""
        if not isinstance(v, datetime):
            return v
        if self.all_day:
            return (v.astimezone(self.value_tz) if v.tzinfo is not None else v).date()
        if v.tzinfo is None and not self.floating:
            return v.replace(tzinfo=UTC) if self.utc else v.replace(tzinfo=self.tz)
        return v

    def _rule(self, rule):
        """The rule as other readers must see it to agree with the engine: parts the engine
        takes from DTSTART written out, time parts of a DATE series dropped, and UNTIL in
        the form RFC 5545 §3.3.10 requires for DTSTART's value type, same instant."""
        rule = self._explicit(rule)
        u = rule.until
        if u is None:
            return rule
        if self.all_day:
            if isinstance(u, datetime):
                u = u.astimezone(self.value_tz).date() if u.tzinfo is not None else u.date()
        elif self.floating:
            if isinstance(u, datetime):
                u = u.replace(tzinfo=None)
            else:
                u = datetime.combine(u, datetime.max.time()).replace(microsecond=0)
        else:
            if not isinstance(u, datetime):
                u = datetime.combine(u, datetime.max.time()).replace(microsecond=0)
            if u.tzinfo is None:
                u = u.replace(tzinfo=self.tz)
            u = u.astimezone(UTC)
        return replace(rule, until=u)

    def _explicit(self, rule):
        """Write out what SPEC §1 reads from DTSTART where libraries disagree (dateutil,
        recurring-ical-events): YEARLY;BYMONTHDAY without BYMONTH repeats in DTSTART's
        month (case 20), YEARLY;BYWEEKNO without BYDAY on DTSTART's weekday, and
        BYHOUR/BYMINUTE/BYSECOND are ignored on a DATE series (case 40). Same instances,
        no ambiguity left."""
        start = self.timing.start
        changes = {}
        if rule.freq == _YEARLY:
            if rule.bymonthday and not (rule.bymonth or rule.byweekno or rule.byyearday):
                changes["bymonth"] = (start.month,)
            elif rule.byweekno and not (rule.byday or rule.bymonthday or rule.byyearday):
                changes["byday"] = ((0, start.weekday()),)
        if self.all_day and (rule.byhour or rule.byminute or rule.bysecond):
            changes.update(byhour=(), byminute=(), bysecond=())
        return replace(rule, **changes) if changes else rule

    # -- components ---------------------------------------------------------------------------

    def components(self, *, method: str | None = None) -> list:
        """The master VEVENT followed by one VEVENT per override (in original-start order):
        modified ones, and without ``method`` also the cancelled ones (``STATUS:CANCELLED``,
        besides their EXDATE on the master). ``method`` (``REQUEST``) adds STATUS:CONFIRMED
        and RSVP for pending invitees."""
        out = [self.master(method=method)]
        for ov in self.visible_overrides(include_cancelled=method is None):
            out.append(self.override(ov, method=method, status="CANCELLED" if ov.cancelled else None))
        return out

    def visible_overrides(self, include_cancelled: bool = False) -> list[Override]:
        """Modified (and, with ``include_cancelled``, cancelled) overrides whose
        RECURRENCE-ID is an occurrence, in original-start order."""
        out = []
        for rid, ov in sorted(self.event.overrides.items(), key=lambda p: _sort_key(p[0])):
            if ov.cancelled and not include_cancelled:
                continue
            if self.series.instance(rid, include_cancelled=True) is None:
                continue
            out.append(ov)
        return out

    def _head(self, comp, sequence: int) -> None:
        e = self.event
        comp.add("UID", e.ical_uid)
        comp.add("DTSTAMP", self.now)
        if e.created_at is not None:
            comp.add("CREATED", _utc(e.created_at))
        if e.updated_at is not None:
            comp.add("LAST-MODIFIED", _utc(e.updated_at))
        comp.add("SEQUENCE", sequence)

    def organizer_for(self, keep: bool = True):
        """The ORGANIZER of every component written with (``keep``) or without the kept
        properties: the one kept from import when there is one (it names the real
        organizer), else ours; ``None`` when neither is known. The master and its
        overrides carry the same one (RFC 6638 §3.2.4.1 wants it equal in all components)."""
        if keep and self._kept_organizer is not None:
            return self._kept_organizer
        return self.organizer

    def attendee_properties(self, method: str | None = None, attendees: Sequence[Attendee] | None = None,
                            keep: bool = True) -> list:
        """The ATTENDEE properties of the series (``attendees``, default the writer's):
        one per attendee with an address, built on the attendee's line kept from import
        when there is one (:func:`attendee_property` ``template``); attendees with a kept
        line first, in the file's order, then the others in the order given. ``method``
        ``"REQUEST"`` adds RSVP=TRUE for pending ones.

        With ``keep`` and the writer's attendees, the organizer given to the writer (the
        store's creator, e.g. a user who imported a meeting they were invited to) is an
        attendee too when the file listed them as one: the store makes the importer the
        creator, never an invitee, so their line would be lost. It is written on their
        kept line with PARTSTAT=ACCEPTED, the creator's status (SPEC §2 ``invite_status``).
        """
        order = {addr: n for n, addr in enumerate(self._kept_attendees)}
        given = list(self.attendees if attendees is None else attendees)
        me = address_key(self.organizer) if self.organizer is not None else None
        if keep and attendees is None and me in self._kept_attendees \
                and all(address_key(a.email) != me for a in given if a.email):
            template = self._kept_attendees[me]
            chair = str(template.params.get("ROLE", "")).upper() == "CHAIR"
            given.append(Attendee(me, InviteStatus.ACCEPTED, InviteRole.MODERATOR if chair else InviteRole.USER,
                                  name=self.organizer.params.get("CN")))
        written = []
        for n, att in enumerate(given):
            key = address_key(att.email) if att.email else None
            prop = attendee_property(att, rsvp=method == "REQUEST" and att.status is InviteStatus.PENDING,
                                     template=self._kept_attendees.get(key))
            if prop is not None:
                written.append(((0, order[key]) if key in order else (1, n), prop))
        return [prop for _, prop in sorted(written, key=lambda p: p[0])]

    def _people(self, comp, kept: list, method: str | None, attendees: Sequence[Attendee] | None = None,
                keep: bool = True, master: bool = False, with_attendees: bool = True) -> None:
        organizer = self.organizer_for(keep)
        if organizer is not None and not (master and organizer is self._kept_organizer):
            comp.add("ORGANIZER", organizer, encode=False)  # (the master's kept line stays in its place)
        if not with_attendees or (any(n == "ATTENDEE" for n, _ in kept) and attendees is None):
            return  # the override's own ATTENDEE lines (per-instance answers) are kept
        for prop in self.attendee_properties(method, attendees, keep=keep):
            comp.add("ATTENDEE", prop, encode=False)

    def _room(self, comp) -> None:
        if self.room_url:
            comp.add("URL", self.room_url)
            comp.add("LOCATION", self.room_url)

    def _skip(self, master: bool) -> set[str]:
        skip = set(_GENERATED)
        if self.organizer_for(keep=True) is not None and not (master and self._kept_organizer is not None):
            skip.add("ORGANIZER")  # written by _people, the same on the master and every override
        if self.room_url:
            skip |= {"URL", "LOCATION"}
        if master:
            skip.add("ATTENDEE")  # the kept lines are templates (attendee_properties)
        return skip

    def master(self, *, method: str | None = None, with_recurrence: bool = True, status: str | None = None,
               keep: bool = True, sequence: int | None = None):
        """The master VEVENT. SEQUENCE = ``sequence`` or the revision; ``status`` adds STATUS
        (``method="REQUEST"`` implies CONFIRMED); ``keep=False`` leaves the kept properties out."""
        e, t = self.event, self.timing
        comp = icalendar.Event()
        self._head(comp, e.revision if sequence is None else sequence)
        comp.add("SUMMARY", e.title or "")
        if e.description:
            comp.add("DESCRIPTION", e.description)
        self.write_value(comp, "DTSTART", t.start)
        if t.nominal is not None:
            comp.add("DURATION", vUnknown(format_duration(t.nominal)), encode=False)
        elif t.end != t.start:
            self.write_value(comp, "DTEND", t.end)
        if with_recurrence:
            for line in self.recurrence_lines():
                add_line(comp, line)
        if status or method == "REQUEST":
            comp.add("STATUS", status or "CONFIRMED")
        kept = kept_content(e.properties) if keep else []
        # the ATTENDEE lines take the place of the kept ones, so a re-import keeps the order
        in_place = any(name == "ATTENDEE" for name, _ in kept)
        self._people(comp, [], method, keep=keep, master=True, with_attendees=not in_place)
        self._room(comp)
        skip = self._skip(master=True) | ({"STATUS"} if status or method else set())
        for name, value in kept:
            if name == "ATTENDEE":
                if in_place:
                    for prop in self.attendee_properties(method):
                        comp.add("ATTENDEE", prop, encode=False)
                    in_place = False
                continue
            add_kept(comp, [(name, value)], skip)
        return comp

    def override(self, ov: Override, *, method: str | None = None, status: str | None = None,
                 sequence: int | None = None):
        """The VEVENT of one override: RECURRENCE-ID in the master's form, the instance as
        the engine shows it, SEQUENCE = max(revision, the override's own)."""
        inst = self.series.instance(ov.recurrence_id, include_cancelled=True)
        if inst is None:
            raise InvalidEvent(
                f"override {ov.recurrence_id} is not an occurrence of the series",
                code="not_an_occurrence", field="RECURRENCE-ID", value=str(ov.recurrence_id),
                uid=self.event.ical_uid,
            )
        return self.instance_component(inst, ov, method=method, status=status, sequence=sequence)

    def instance_component(self, inst, ov: Override | None = None, *, method: str | None = None,
                           status: str | None = None, attendees: Sequence[Attendee] | None = None,
                           keep: bool = True, sequence: int | None = None):
        """A VEVENT with RECURRENCE-ID for one instance (an :class:`~opentalk_sched.core.Instance`,
        overridden or not). SEQUENCE = ``sequence`` or max(revision, the override's own)."""
        comp = icalendar.Event()
        seq = sequence if sequence is not None else max(self.event.revision, ov.sequence if ov is not None else 0)
        self._head(comp, seq)
        rid_params = {"RANGE": "THISANDFUTURE"} if ov is not None and ov.this_and_future else None
        self.write_value(comp, "RECURRENCE-ID", inst.recurrence_id, rid_params)
        comp.add("SUMMARY", inst.title or "")
        if inst.description:
            comp.add("DESCRIPTION", inst.description)
        start, end = self.wall(inst.start), self.wall(inst.end)
        self.write_value(comp, "DTSTART", start)
        if end != start:
            self.write_value(comp, "DTEND", end)
        elif isinstance(start, datetime):
            # zero length: readers differ on an override without DTEND (some take the series'
            # length), so say it; DTEND may not equal DTSTART (RFC 5545 §3.8.2.2)
            comp.add("DURATION", vUnknown("PT0S"), encode=False)
        if status or method == "REQUEST":
            comp.add("STATUS", status or "CONFIRMED")
        kept = kept_content(ov.properties) if ov is not None and keep else []
        self._people(comp, kept, method, attendees, keep=keep)
        self._room(comp)
        skip = self._skip(master=False) | ({"STATUS"} if status or method else set())
        if attendees is not None:
            skip.add("ATTENDEE")
        add_kept(comp, kept, skip)
        return comp


def _kept_organizer(lines: Sequence[str]):
    """The first ORGANIZER among kept content lines, as a property to write; ``None``."""
    found = [line for line in lines if str(line)[:10].upper() in ("ORGANIZER;", "ORGANIZER:")]
    for name, value in kept_content(found[:1]):
        if name == "ORGANIZER":
            return value
    return None


def _kept_attendees(lines: Sequence[str]) -> dict[str, Any]:
    """The ATTENDEE lines among kept content lines, ``{address_key: property}`` in order."""
    found = [line for line in lines if str(line)[:9].upper() in ("ATTENDEE;", "ATTENDEE:")]
    out: dict[str, Any] = {}
    for name, value in kept_content(found):
        if name == "ATTENDEE":
            out.setdefault(address_key(value), value)
    return out


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _sort_key(v):
    if isinstance(v, datetime):
        return (v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(UTC).replace(tzinfo=None),)
    return (datetime(v.year, v.month, v.day),)


__all__ = [
    "export_event", "export_calendar", "ExportResult", "PRODID", "SeriesWriter", "new_calendar",
    "to_bytes", "cal_address", "organizer_property", "attendee_property", "address_key", "kept_content",
]
