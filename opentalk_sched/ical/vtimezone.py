"""Zones → VTIMEZONE components (RFC 5545 §3.6.5), written the way calendar clients write them.

Every TZID an exported file uses needs a VTIMEZONE. For an IANA zone (``ZoneInfo``)
the component is derived from the zone itself (SPEC §3):

* the zone's *current* rules become RRULE-based STANDARD/DAYLIGHT observances, as
  Thunderbird, Apple Calendar and Outlook write them
  (``RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``), valid for every later year;
* earlier transitions, back to the year before the series' first year, become
  observances with one DTSTART and RDATEs (one observance per kind of change).

The transitions are found by probing ``utcoffset`` day by day (then to the second)
from January 1st of ``first_year - 1`` to :func:`probe_end`; the tail of transitions that
follows a yearly rule (n-th / last weekday of a month, a fixed day, or a weekday on or
after a day, e.g. Israel's "Friday before the last Sunday") is the current rule. A
zone without DST today gets a single observance with its offset. Offsets that change
more than once within one day are not seen (no zone in tzdata does this).

A custom :class:`~opentalk_sched.core.VTimezone` kept from import (a TZID that is
neither an IANA nor a Windows name) is re-emitted from its observances, unchanged.

    >>> from zoneinfo import ZoneInfo
    >>> vtz = vtimezone(ZoneInfo("Europe/Berlin"), 2024)
    >>> [(sub.name, sub["RRULE"].to_ical().decode()) for sub in vtz.subcomponents]
    [('DAYLIGHT', 'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU'), ('STANDARD', 'FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU')]

``icalendar.Timezone.from_tzinfo`` is not used: it writes every transition as an RDATE
up to a fixed last date, so the zone stops working after it.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Callable

import icalendar
from icalendar.prop import vUnknown

from ..core import VTimezone, zone_key

UTC = timezone.utc
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: earliest year probed (tzdata has nothing useful before; LMT is a constant offset)
MIN_YEAR = 1800


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of UTC offset: ``utc`` is the naive UTC instant of the change."""

    utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    @property
    def onset(self) -> datetime:
        """Local wall time of the change, read in the offset before it (VTIMEZONE DTSTART)."""
        return self.utc + self.offset_from

    @property
    def signature(self) -> tuple[timedelta, timedelta]:
        return (self.offset_from, self.offset_to)


@dataclass(frozen=True, slots=True)
class ObservanceSpec:
    """A STANDARD/DAYLIGHT block to write: DTSTART (wall, in ``offset_from``), RRULE text
    (``""`` for none) and RDATEs (wall)."""

    kind: str
    dtstart: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    rrule: str = ""
    rdates: tuple[datetime, ...] = ()


def probe_end(last_year: int | None = None) -> int:
    """First year *not* probed: late enough to see the current rule repeat (≥ 2040, three
    years after today, two after the series' last year)."""
    return max(2040, datetime.now(UTC).year + 3, (last_year or 0) + 2)


def is_utc(tz: tzinfo | None) -> bool:
    """True for zones written as ``...Z`` values without a VTIMEZONE (``UTC``)."""
    return tz is not None and (tz is UTC or zone_key(tz) == "UTC")


def vtimezone(tz: tzinfo, first_year: int, last_year: int | None = None) -> icalendar.Timezone:
    """The VTIMEZONE component for ``tz``, valid from January 1st of ``first_year``.

    ``tz`` is a ``ZoneInfo`` (or any ``tzinfo`` with a stable ``utcoffset``) or a custom
    :class:`~opentalk_sched.core.VTimezone`; ``last_year`` is the series' last year if
    known (only extends the probe). Its TZID is :func:`~opentalk_sched.core.zone_key`.
    Raises ``ValueError`` for a ``tz`` without a name (``None``).
    """
    tzid = zone_key(tz)
    if tzid is None:
        raise ValueError("floating times have no VTIMEZONE")
    comp = icalendar.Timezone()
    comp.add("TZID", tzid)
    if isinstance(tz, VTimezone):
        specs = [
            ObservanceSpec(
                ob.kind, ob.dtstart, timedelta(seconds=ob.offset_from), timedelta(seconds=ob.offset_to),
                ob.name, ob.rrule, tuple(ob.rdates),
            )
            for ob in tz.observances
        ]
    else:
        specs = observances(tz, max(MIN_YEAR, first_year), probe_end(last_year))
    for spec in specs:
        comp.add_component(_observance_component(spec))
    return comp


def _observance_component(spec: ObservanceSpec):
    sub = icalendar.TimezoneDaylight() if spec.kind == "DAYLIGHT" else icalendar.TimezoneStandard()
    sub.add("DTSTART", spec.dtstart)
    sub.add("TZOFFSETFROM", spec.offset_from)
    sub.add("TZOFFSETTO", spec.offset_to)
    if spec.rrule:
        sub.add("RRULE", vUnknown(spec.rrule), encode=False)
    if spec.rdates:
        sub.add("RDATE", list(spec.rdates))
    if spec.name:
        sub.add("TZNAME", spec.name)
    return sub


# -- probing ------------------------------------------------------------------------------


def _offset(tz: tzinfo, utc: datetime) -> timedelta:
    return utc.replace(tzinfo=UTC).astimezone(tz).utcoffset()


@lru_cache(maxsize=256)
def transitions(tz: tzinfo, start_year: int, end_year: int) -> tuple[Transition, ...]:
    """Every change of UTC offset of ``tz`` from Jan 1 ``start_year`` to Jan 1 ``end_year``
    (UTC), to the second, in order."""
    lo = datetime(start_year, 1, 1)
    hi = datetime(end_year, 1, 1)
    out: list[Transition] = []
    t = lo
    off = _offset(tz, t)
    while t < hi:
        n = t + _DAY
        new = _offset(tz, n)
        if new != off:
            a, b = t, n
            while b - a > _SECOND:
                m = a + (b - a) // 2
                m = m.replace(microsecond=0)
                if m <= a:
                    m = a + _SECOND
                if _offset(tz, m) == off:
                    a = m
                else:
                    b = m
            after = b.replace(tzinfo=UTC).astimezone(tz)
            new_b = after.utcoffset()
            out.append(Transition(b, off, new_b, after.tzname() or "", (after.dst() or timedelta(0)) > timedelta(0)))
            off = new_b
            t = b  # continue from the change (a second change the same day is then seen)
            continue
        t = n
    return tuple(out)


# -- yearly rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    text: str
    day: Callable[[int], date | None]


def _nth_weekday(month: int, weekday: int, n: int, year: int) -> date | None:
    days = calendar.monthrange(year, month)[1]
    if n > 0:
        first = date(year, month, 1)
        d = 1 + (weekday - first.weekday()) % 7 + 7 * (n - 1)
    else:
        last = date(year, month, days)
        d = days - (last.weekday() - weekday) % 7
    return date(year, month, d) if 1 <= d <= days else None


def _fixed_day(month: int, day: int, year: int) -> date | None:
    return date(year, month, day) if day <= calendar.monthrange(year, month)[1] else None


def _weekday_on_or_after(month: int, weekday: int, first: int, year: int) -> date | None:
    start = _fixed_day(month, first, year)
    if start is None:
        return None
    d = start + timedelta(days=(weekday - start.weekday()) % 7)
    return d if d.month == month else None


def _candidates(onset: datetime) -> list[_Rule]:
    """Yearly rules that put a transition on ``onset``'s date, most common shape first."""
    m, d, wd = onset.month, onset.day, onset.weekday()
    days = calendar.monthrange(onset.year, m)[1]
    code = _WEEKDAYS[wd]
    out = []
    n = (d - 1) // 7 + 1
    if n <= 4:
        out.append(_Rule(f"FREQ=YEARLY;BYMONTH={m};BYDAY={n}{code}", lambda y, n=n: _nth_weekday(m, wd, n, y)))
    if d + 7 > days:
        out.append(_Rule(f"FREQ=YEARLY;BYMONTH={m};BYDAY=-1{code}", lambda y: _nth_weekday(m, wd, -1, y)))
    out.append(_Rule(f"FREQ=YEARLY;BYMONTH={m};BYMONTHDAY={d}", lambda y: _fixed_day(m, d, y)))
    for first in range(max(1, d - 6), d + 1):
        monthdays = ",".join(str(x) for x in range(first, first + 7))
        out.append(_Rule(
            f"FREQ=YEARLY;BYMONTH={m};BYDAY={code};BYMONTHDAY={monthdays}",
            lambda y, first=first: _weekday_on_or_after(m, wd, first, y),
        ))
    return out


def _current_rules(trans: tuple[Transition, ...], end_year: int) -> dict[tuple, tuple[str, list[Transition]]]:
    """The yearly rules of the zone's current DST regime: signature → (RRULE text, the
    transitions it covers). Empty when the zone has no DST in the last probed years."""
    if len(trans) < 4:
        return {}
    s1, s2 = trans[-1].signature, trans[-2].signature
    if s1 != (s2[1], s2[0]) or s1 == s2:
        return {}
    by_year: dict[int, list[Transition]] = defaultdict(list)
    for t in trans:
        by_year[t.onset.year].append(t)
    pair = {s1, s2}
    for y in (end_year - 1, end_year - 2):
        if sorted(t.signature for t in by_year.get(y, [])) != sorted(pair):
            return {}
    rules = {}
    for sig in (s1, s2):
        own = [t for t in trans if t.signature == sig]
        ref = own[-1]
        alive = [c for c in _candidates(ref.onset)]
        covered: list[Transition] = []
        year = ref.onset.year
        for t in reversed(own):
            if t.onset.year != year or t.onset.time() != ref.onset.time():
                break
            if any(u.signature not in pair for u in by_year[year]):
                break
            if sum(1 for u in by_year[year] if u.signature == sig) != 1:
                break
            still = [c for c in alive if c.day(year) == t.onset.date()]
            if not still:
                break
            alive = still
            covered.append(t)
            year -= 1
        if len(covered) < 2:
            return {}
        covered.reverse()
        rules[sig] = (alive[0].text, covered)
    return rules


@lru_cache(maxsize=256)
def _observances_cached(tz: tzinfo, first_year: int, end_year: int) -> tuple[ObservanceSpec, ...]:
    trans = transitions(tz, first_year - 1, end_year)
    rules = _current_rules(trans, end_year)
    in_rule = {id(t) for _, covered in rules.values() for t in covered}
    specs: list[ObservanceSpec] = []
    # the kind of a one-off change is the zone's own dst() flag; in a yearly pair the change
    # that moves the clock forward is DAYLIGHT, as clients write it (Europe/Dublin's
    # tzdata marks winter as its "negative DST")
    def kind(t: Transition) -> str:
        return "DAYLIGHT" if t.daylight else "STANDARD"

    rule_kinds = {sig: ("DAYLIGHT" if sig[1] > sig[0] else "STANDARD") for sig in rules}
    for sig, (text, covered) in rules.items():
        first = covered[0]
        specs.append(ObservanceSpec(rule_kinds[sig], first.onset, first.offset_from, first.offset_to, first.name, text))
    groups: dict[tuple, list[Transition]] = defaultdict(list)
    for t in trans:
        if id(t) not in in_rule:
            groups[(kind(t), t.offset_from, t.offset_to, t.name)].append(t)
    for (k, off_from, off_to, name), ts in groups.items():
        onsets = sorted(t.onset for t in ts)
        specs.append(ObservanceSpec(k, onsets[0], off_from, off_to, name, "", tuple(onsets[1:])))
    start = datetime(first_year, 1, 1)
    if not specs or min(s.dtstart for s in specs) > start:
        # nothing says which offset holds at the series' start: state it
        lo = datetime(first_year - 1, 1, 1)
        at = lo.replace(tzinfo=tz)
        off = at.utcoffset()
        daylight = (at.dst() or timedelta(0)) > timedelta(0)
        specs.append(ObservanceSpec("DAYLIGHT" if daylight else "STANDARD", lo, off, off, at.tzname() or ""))
    specs.sort(key=lambda s: (s.dtstart, s.kind))
    return tuple(specs)


def observances(tz: tzinfo, first_year: int, end_year: int) -> list[ObservanceSpec]:
    """STANDARD/DAYLIGHT blocks for ``tz`` valid from Jan 1 ``first_year`` (see the module
    docstring); transitions are probed up to Jan 1 ``end_year``."""
    return list(_observances_cached(tz, first_year, end_year))


__all__ = ["vtimezone", "observances", "transitions", "Transition", "ObservanceSpec", "is_utc", "probe_end"]
