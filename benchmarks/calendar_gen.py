"""The deterministic benchmark calendar (W3): 10,000 events written as one .ics file.

An :class:`EventSpec` is one event as plain data (wall times + an IANA zone name, the
RRULE text, EXDATEs, RECURRENCE-ID overrides). :func:`generate` draws the W3 calendar
from a seeded ``random.Random``, so every run and every machine gets the same bytes:

* 70 % single events between 2020 and 2030, about 5 % of them all-day (1–3 days);
* 30 % recurring: DAILY (some on workdays only), WEEKLY (1–3 weekdays) or MONTHLY
  (BYMONTHDAY or the n-th weekday), each bounded by COUNT, by UNTIL (UTC) or unbounded;
  a quarter carry EXDATEs and a tenth RECURRENCE-ID overrides (moved or retitled),
  picked among the first occurrences and the occurrences around the W3 window;
* zones Europe/Berlin (50 %), America/New_York (30 %), UTC (20 %).

DTSTART always matches its rule, so our engine, recurring-ical-events and dateutil
read every series the same way (SPEC §1 lists the rule shapes where they differ).

The same spec feeds all three engines: :func:`to_ics` (the file recurring-ical-events
and our importer read), :func:`to_core_event` (our model, built directly, for W1/W2
and as a fallback while no importer exists) and :func:`to_dateutil` (an ``rruleset``).

    >>> specs = generate(200, seed=7)
    >>> len(specs), sum(s.rrule is not None for s in specs) > 0
    (200, True)
    >>> to_ics(specs).startswith(b"BEGIN:VCALENDAR\\r\\n")
    True

Command line: ``python -m benchmarks.calendar_gen [OUT.ics] [--events N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

UTC = timezone.utc
ZONES = ("Europe/Berlin", "America/New_York", "UTC")
ZONE_WEIGHTS = (5, 3, 2)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DEFAULT_EVENTS = 10_000
DEFAULT_SEED = 7
#: the W3 window (UTC, end exclusive); overrides and EXDATEs are also drawn around it
W3_WINDOW = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class OverrideSpec:
    """A RECURRENCE-ID override: ``recurrence_id`` is the original start (wall time in the
    series' zone); ``start``/``end`` the new wall times; ``title`` the new title."""

    recurrence_id: datetime
    start: datetime
    end: datetime
    title: str


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event as plain data. ``start``/``end`` are naive wall times in ``zone``, or
    dates (``end`` exclusive) with ``zone=None`` for all-day events. ``rrule`` is the
    RRULE value without the ``RRULE:`` prefix (UNTIL in UTC). ``exdates`` are wall times."""

    uid: str
    title: str
    start: date | datetime
    end: date | datetime
    zone: str | None
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    overrides: tuple[OverrideSpec, ...] = ()

    @property
    def tz(self) -> ZoneInfo | None:
        return _zone(self.zone) if self.zone else None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


@lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# ---------------------------------------------------------------------------------
# generation


def generate(n: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED) -> list[EventSpec]:
    """The W3 calendar as ``n`` specs (see the module docstring); same ``seed``, same list."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        uid = f"bench-{i:05d}@opentalk-sched"
        if rng.random() < 0.70:
            out.append(_single(rng, uid, i))
        else:
            out.append(_recurring(rng, uid, i))
    return out


def _single(rng: random.Random, uid: str, i: int) -> EventSpec:
    day = date(2020, 1, 1) + timedelta(days=rng.randrange((date(2031, 1, 1) - date(2020, 1, 1)).days))
    if rng.random() < 0.05:
        return EventSpec(uid, f"All-day {i}", day, day + timedelta(days=rng.choice((1, 1, 1, 2, 3))), None)
    start = datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.choice((0, 15, 30, 45)))
    minutes = rng.choice((15, 30, 45, 60, 90, 120))
    zone = rng.choices(ZONES, ZONE_WEIGHTS)[0]
    return EventSpec(uid, f"Meeting {i}", start, start + timedelta(minutes=minutes), zone)


def _recurring(rng: random.Random, uid: str, i: int) -> EventSpec:
    day = date(2020, 1, 1) + timedelta(days=rng.randrange((date(2029, 1, 1) - date(2020, 1, 1)).days))
    zone = rng.choices(ZONES, ZONE_WEIGHTS)[0]
    freq = rng.choices(("DAILY", "WEEKLY", "MONTHLY"), (3, 4, 3))[0]
    parts = [f"FREQ={freq}"]
    if freq == "DAILY":
        interval = rng.choice((1, 1, 1, 2, 3))
        if interval == 1 and rng.random() < 0.3:
            while day.weekday() > 4:
                day += timedelta(days=1)
            parts.append("BYDAY=MO,TU,WE,TH,FR")
    elif freq == "WEEKLY":
        interval = rng.choice((1, 1, 2))
        days = sorted(rng.sample(range(5), rng.randint(1, 3)))
        while day.weekday() not in days:  # DTSTART on one of the rule's days
            day += timedelta(days=1)
        parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in days))
    else:
        interval = rng.choice((1, 1, 1, 3))
        if rng.random() < 0.5:
            day = day.replace(day=min(day.day, 28))
            parts.append(f"BYMONTHDAY={day.day}")
        else:
            nth = (day.day - 1) // 7 + 1
            if nth == 5:
                day -= timedelta(days=7)
                nth = 4
            parts.append(f"BYDAY={nth}{WEEKDAYS[day.weekday()]}")
    if interval > 1:
        parts.insert(1, f"INTERVAL={interval}")
    start = datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.choice((0, 30)))
    end = start + timedelta(minutes=rng.choice((15, 30, 60)))
    bound = rng.random()
    if bound < 1 / 3:
        parts.append(f"COUNT={rng.randint(5, 200) if freq != 'MONTHLY' else rng.randint(3, 60)}")
    elif bound < 2 / 3:
        until_wall = start + timedelta(days=rng.randint(30, 1500))
        until = until_wall.replace(tzinfo=_zone(zone)).astimezone(UTC)
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    rule = ";".join(parts)
    exdates: tuple[datetime, ...] = ()
    overrides: tuple[OverrideSpec, ...] = ()
    want_ex, want_ov = rng.random() < 0.25, rng.random() < 0.10
    if want_ex or want_ov:
        candidates = _candidates(rule, start, zone)
        if want_ex and candidates:
            exdates = tuple(sorted(rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))))
        rest = [c for c in candidates if c not in exdates]
        if want_ov and rest:
            picked = sorted(rng.sample(rest, min(len(rest), rng.randint(1, 2))))
            ovs = []
            for rid in picked:
                shift = timedelta(hours=rng.choice((0, 1, 2, 3)))
                ovs.append(OverrideSpec(rid, rid + shift, rid + shift + (end - start), f"Series {i} (changed)"))
            overrides = tuple(ovs)
    return EventSpec(uid, f"Series {i}", start, end, zone, rule, exdates, overrides)


def _candidates(rule: str, start: datetime, zone: str) -> list[datetime]:
    """Occurrences (wall, DTSTART excluded) among the first 40 and around the W3 window."""
    from itertools import islice

    rs = to_dateutil_rule(rule, start, zone)
    first = [d for d in islice(rs, 41)][1:]
    lo, hi = W3_WINDOW
    near = rs.between(lo - timedelta(days=10), hi + timedelta(days=10))
    return sorted({d.replace(tzinfo=None) for d in first + near if d.replace(tzinfo=None) != start})


# ---------------------------------------------------------------------------------
# the three engines' inputs


def _fmt(wall: date | datetime, zone: str | None) -> tuple[str, str]:
    """(parameters, value) of a DTSTART-like property."""
    if not isinstance(wall, datetime):
        return ";VALUE=DATE", f"{wall:%Y%m%d}"
    if zone == "UTC":
        return "", f"{wall:%Y%m%dT%H%M%S}Z"
    return f";TZID={zone}", f"{wall:%Y%m%dT%H%M%S}"


_VTIMEZONES = {
    "Europe/Berlin": (
        "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
        "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
        "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
        "END:VTIMEZONE",
    ),
    "America/New_York": (
        "BEGIN:VTIMEZONE", "TZID:America/New_York",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT",
        "DTSTART:19700308T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST",
        "DTSTART:19701101T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "END:STANDARD",
        "END:VTIMEZONE",
    ),
}


def to_ics(specs: list[EventSpec]) -> bytes:
    """One VCALENDAR (RFC 5545, CRLF line ends) with a VTIMEZONE per zone used, a VEVENT
    per spec and one VEVENT with RECURRENCE-ID per override."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//opentalk-sched//benchmarks calendar_gen//EN",
             "CALSCALE:GREGORIAN"]
    used = {s.zone for s in specs}
    for zone in ZONES:
        if zone in used and zone in _VTIMEZONES:
            lines.extend(_VTIMEZONES[zone])
    for s in specs:
        lines += ["BEGIN:VEVENT", f"UID:{s.uid}", "DTSTAMP:20240101T000000Z", f"SUMMARY:{s.title}"]
        p, v = _fmt(s.start, s.zone)
        lines.append(f"DTSTART{p}:{v}")
        p, v = _fmt(s.end, s.zone)
        lines.append(f"DTEND{p}:{v}")
        if s.rrule:
            lines.append(f"RRULE:{s.rrule}")
        for ex in s.exdates:
            p, v = _fmt(ex, s.zone)
            lines.append(f"EXDATE{p}:{v}")
        lines.append("END:VEVENT")
        for ov in s.overrides:
            lines += ["BEGIN:VEVENT", f"UID:{s.uid}", "DTSTAMP:20240101T000000Z", f"SUMMARY:{ov.title}"]
            for name, value in (("RECURRENCE-ID", ov.recurrence_id), ("DTSTART", ov.start), ("DTEND", ov.end)):
                p, v = _fmt(value, s.zone)
                lines.append(f"{name}{p}:{v}")
            lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def to_core_event(spec: EventSpec):
    """Our model, built directly (no importer): an ``opentalk_sched.core.Event``."""
    from opentalk_sched.core import Event, Override, RecurrenceSet, Timing

    recurrence = None
    if spec.rrule:
        lines = [f"RRULE:{spec.rrule}"]
        for ex in spec.exdates:
            p, v = _fmt(ex, spec.zone)
            lines.append(f"EXDATE{p}:{v}")
        recurrence = RecurrenceSet.from_lines(lines)
    timing = Timing(spec.start, spec.end, spec.tz, recurrence)
    overrides = {
        ov.recurrence_id: Override(ov.recurrence_id, title=ov.title, start=ov.start, end=ov.end)
        for ov in spec.overrides
    }
    return Event.new(spec.title, timing, ical_uid=spec.uid, overrides=overrides)


def to_dateutil_rule(rule: str, start: datetime, zone: str):
    """``dateutil.rrule.rrulestr`` on an aware DTSTART in ``zone`` (occurrences come out
    aware, in the zone)."""
    from dateutil.rrule import rrulestr

    return rrulestr(rule, dtstart=start.replace(tzinfo=_zone(zone)))


class DateutilEvent:
    """One spec prepared for dateutil: an ``rruleset`` (RRULE, EXDATEs, the overridden
    originals excluded) plus the overrides' moved slots as plain (start, end) pairs.

    :meth:`overlapping` returns aware ``(start, end)`` pairs overlapping [lo, hi)."""

    __slots__ = ("rules", "duration", "extra", "single")

    def __init__(self, spec: EventSpec):
        from dateutil.rrule import rruleset

        if spec.all_day:
            start = datetime.combine(spec.start, datetime.min.time(), UTC)
            end = datetime.combine(spec.end, datetime.min.time(), UTC)
        else:
            start, end = spec.start.replace(tzinfo=spec.tz), spec.end.replace(tzinfo=spec.tz)
        self.duration = end - start
        self.extra = [(ov.start.replace(tzinfo=spec.tz), ov.end.replace(tzinfo=spec.tz)) for ov in spec.overrides]
        if spec.rrule is None:
            self.rules, self.single = None, (start, end)
            return
        self.single = None
        rs = rruleset()
        rs.rrule(to_dateutil_rule(spec.rrule, spec.start, spec.zone))
        for ex in (*spec.exdates, *(ov.recurrence_id for ov in spec.overrides)):
            rs.exdate(ex.replace(tzinfo=spec.tz))
        self.rules = rs

    def overlapping(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        if self.rules is None:
            s, e = self.single
            return [(s, e)] if s < hi and e > lo else []
        dur = self.duration
        out = [(s, s + dur) for s in self.rules.between(lo - dur, hi)]
        for s, e in self.extra:
            if s < hi and e > lo:
                out.append((s, e))
        return out


def to_dateutil(spec: EventSpec) -> DateutilEvent:
    """The spec prepared for dateutil (see :class:`DateutilEvent`)."""
    return DateutilEvent(spec)


def write(path: Path, n: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED) -> Path:
    """Write the calendar to ``path`` unless it already holds exactly these bytes."""
    data = to_ics(generate(n, seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("out", nargs="?", default=str(Path(__file__).parent / "results" / "w3-calendar.ics"))
    ap.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    path = write(Path(args.out), args.events, args.seed)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, {args.events} events (seed {args.seed})")


if __name__ == "__main__":
    main()
