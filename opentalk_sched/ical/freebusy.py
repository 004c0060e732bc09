"""VFREEBUSY: busy time as iCalendar (RFC 5545 §3.6.4, FREEBUSY §3.8.2.6, FBTYPE §3.2.9).

A published free/busy object names whose time it is (ORGANIZER), the window it covers
(DTSTART/DTEND) and one FREEBUSY line per busy period, in UTC, sorted by start:

    BEGIN:VFREEBUSY
    UID:...
    DTSTAMP:20250310T120000Z
    ORGANIZER:mailto:alice@example.com
    DTSTART:20250310T000000Z
    DTEND:20250317T000000Z
    FREEBUSY;FBTYPE=BUSY:20250310T080000Z/20250310T093000Z
    FREEBUSY;FBTYPE=BUSY-TENTATIVE:20250311T130000Z/20250311T140000Z
    END:VFREEBUSY

Only times are published, never titles or ids. Periods come from
:func:`opentalk_sched.core.freebusy.busy_periods` (already merged and disjoint).
:func:`read_freebusy` reads such objects back (any FBTYPE, comma lists of periods,
``start/duration`` periods, offsets), which tests and CalDAV peers use.

    >>> from datetime import datetime, timezone
    >>> from opentalk_sched.core.freebusy import BusyPeriod
    >>> u = timezone.utc
    >>> text = freebusy_calendar([("alice@example.com", [BusyPeriod(datetime(2025, 3, 10, 8, tzinfo=u),
    ...     datetime(2025, 3, 10, 9, tzinfo=u))])], datetime(2025, 3, 10, tzinfo=u), datetime(2025, 3, 11, tzinfo=u),
    ...     uid="fb-1", dtstamp=datetime(2025, 3, 1, tzinfo=u)).decode()
    >>> [line for line in text.splitlines() if line.startswith("FREEBUSY")]
    ['FREEBUSY;FBTYPE=BUSY:20250310T080000Z/20250310T090000Z']
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

import icalendar

from ..core.freebusy import BusyPeriod, FBType

UTC = timezone.utc
PRODID = "-//opentalk-sched//free-busy//EN"
_KNOWN = {t.value for t in FBType}


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"free/busy times must be aware, got {value!r}")
    return value.astimezone(UTC)


def vfreebusy(
    periods: Iterable[BusyPeriod],
    start: datetime,
    end: datetime,
    *,
    organizer: str | None = None,
    uid: str | None = None,
    dtstamp: datetime | None = None,
) -> icalendar.FreeBusy:
    """One VFREEBUSY component for ``[start, end)`` (aware datetimes, written in UTC).

    ``organizer`` is the email of the person whose time this is (``mailto:`` added);
    ``uid`` defaults to a fresh UUID, ``dtstamp`` to now. FREE periods are skipped.
    """
    fb = icalendar.FreeBusy()
    fb.add("uid", uid or str(uuid.uuid4()))
    fb.add("dtstamp", _utc(dtstamp or datetime.now(UTC)).replace(microsecond=0))
    if organizer:
        fb.add("organizer", organizer if organizer.lower().startswith("mailto:") else f"mailto:{organizer}")
    fb.add("dtstart", _utc(start))
    fb.add("dtend", _utc(end))
    for p in sorted(periods, key=lambda p: (p.start, p.end)):
        if p.fbtype is FBType.FREE:
            continue
        value = icalendar.vPeriod((_utc(p.start), _utc(p.end)))
        value.params = icalendar.Parameters({"FBTYPE": p.fbtype.value})
        fb.add("freebusy", value, encode=False)
    return fb


def freebusy_calendar(
    people: Iterable[tuple[str | None, Iterable[BusyPeriod]]],
    start: datetime,
    end: datetime,
    *,
    method: str | None = None,
    uid: str | None = None,
    dtstamp: datetime | None = None,
) -> bytes:
    """A VCALENDAR with one VFREEBUSY per ``(email, periods)`` pair, as bytes.

    ``method`` (e.g. ``PUBLISH``, RFC 5546 §3.3.1) is written only when given. ``uid``
    is used for the first component (later ones get ``uid-2``, ``uid-3``...).
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method.upper())
    stamp = dtstamp or datetime.now(UTC)
    for n, (email, periods) in enumerate(people, start=1):
        this_uid = None if uid is None else (uid if n == 1 else f"{uid}-{n}")
        cal.add_component(vfreebusy(periods, start, end, organizer=email, uid=this_uid, dtstamp=stamp))
    return cal.to_ical()


def read_freebusy(data: bytes | str) -> list[tuple[str | None, list[BusyPeriod]]]:
    """Every VFREEBUSY of a calendar → ``(email of ORGANIZER or first ATTENDEE, periods)``.

    Periods are aware UTC, sorted; FBTYPE defaults to BUSY (RFC 5545 §3.2.9); values
    with ``start/duration`` and comma lists are read; FREE periods are dropped.
    """
    cal = icalendar.Calendar.from_ical(data)
    out = []
    for comp in cal.walk("VFREEBUSY"):
        who = comp.get("ORGANIZER") or comp.get("ATTENDEE")
        if isinstance(who, list):
            who = who[0] if who else None
        email = None
        if who is not None:
            email = str(who)
            email = email[7:] if email.lower().startswith("mailto:") else email
        periods: list[BusyPeriod] = []
        props = comp.get("FREEBUSY")
        if props is None:
            props = []
        elif not isinstance(props, list):
            props = [props]
        for prop in props:
            name = str(prop.params.get("FBTYPE", "BUSY")).upper()
            fbtype = FBType(name) if name in _KNOWN else FBType.BUSY  # x-name / iana-token: busy
            if fbtype is FBType.FREE:
                continue
            for value in _periods_of(prop):
                periods.append(BusyPeriod(value[0], value[1], fbtype))
        periods.sort(key=lambda p: (p.start, p.end))
        out.append((email, periods))
    return out


def _periods_of(prop) -> list[tuple[datetime, datetime]]:
    """All periods of one FREEBUSY property (icalendar gives one vPeriod or a list)."""
    items = prop if isinstance(prop, list) else [prop]
    found = []
    for item in items:
        dts = getattr(item, "dts", None)
        if dts is not None:  # a vDDDLists of several periods
            for sub in dts:
                found.extend(_periods_of(sub))
            continue
        value = getattr(item, "dt", item)
        if isinstance(value, tuple) and len(value) == 2:
            s, e = value
            if isinstance(e, timedelta):
                e = s + e
            found.append((_as_utc(s), _as_utc(e)))
    if not found and hasattr(prop, "to_ical"):  # fall back to the raw text
        for part in prop.to_ical().decode().split(","):
            found.append(_parse_period(part))
    return found


def _as_utc(v) -> datetime:
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    raise ValueError(f"not a period bound: {v!r}")


def _parse_period(text: str) -> tuple[datetime, datetime]:
    p = icalendar.vPeriod.from_ical(text.strip())
    s, e = p
    if isinstance(e, timedelta):
        e = s + e
    return _as_utc(s), _as_utc(e)


__all__ = ["vfreebusy", "freebusy_calendar", "read_freebusy", "PRODID"]
