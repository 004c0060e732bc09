"""Property-based tests of the recurrence engine (issue 2).

Generated events (all-day, floating, UTC, Europe/Berlin, America/New_York) with
generated rules (FREQ YEARLY..HOURLY, INTERVAL, COUNT/UNTIL/none, BYDAY with and
without ordinals, BYMONTHDAY with negatives, BYMONTH, BYSETPOS, BYHOUR/BYMINUTE on
timed series, WKST) and EXDATE/RDATE lines are written as calendar text, read through
the import path and compared with recurring-ical-events on the *same* text.

The generator leaves out exactly the shapes where SPEC §1 reads the RFC differently
from recurring-ical-events/dateutil; tests/test_series.py tests our reading of each:

* DTSTART not matching the rule: DTSTART is always drawn as the rule's first
  occurrence after an anchor;
* YEARLY;BYMONTHDAY without BYMONTH: BYMONTH is always added;
* BYHOUR/BYMINUTE/BYSECOND on a DATE series: never drawn for all-day events;
* YEARLY;BYWEEKNO without BYDAY: BYWEEKNO is never drawn without BYDAY;
* BYSETPOS in a WEEKLY rule whose DTSTART is not on WKST (dateutil selects within the
  partial first week, SPEC §1 within the whole WKST-aligned week);
* local times in a DST gap (recurring-ical-events keeps both the moved and the next
  occurrence on one instant).

Three shapes are left out because of defects on the other side, not because of a
SPEC reading; test_rrule.py tests our reading of each with hand-checked dates:

* BYDAY mixing ordinal and plain days in one MONTHLY/YEARLY rule (dateutil keeps the
  days in both lists instead of the days in either);
* BYWEEKNO weeks that cross the turn of the year (1, 52, 53, -1, ...): dateutil 2.9
  miscounts the weeks of the previous year and never checks negative week numbers of
  the next one ("TODO" in its source), so it adds and drops days there;
* BYMONTHDAY on a WEEKLY rule (forbidden by RFC 5545 §3.3.10).

recurring-ical-events 3.8 also matches an EXDATE against an occurrence by either of
its UTC or wall time written without zone; examples where that confuses two different
occurrences are skipped (``_rie_id_clash``).

The other properties need no second engine: COUNT bounds, instance ids, window
queries against the full expansion, split windows and after()/before().
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opentalk_sched.core import RRule, RuleIterator, Series, parse_instance_id, to_utc
from opentalk_sched.ical.importer import read_calendar

UTC = timezone.utc
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ZONES = ("Europe/Berlin", "America/New_York", "UTC", None, "DATE")  # None: floating

SETTINGS = settings(
    deadline=None, max_examples=50, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass(frozen=True)
class Case:
    """One generated calendar: its text and what the test needs to know about it."""

    zone: str | None  # IANA name, None for floating, "DATE" for all-day
    dtstart: date | datetime  # wall time
    rule: str
    text: str
    lo: date | datetime  # the window: dates (all-day), naive (floating) or aware UTC
    hi: date | datetime
    rdates: int
    exdates: tuple  # the EXDATE values as written (wall date/datetime; aware when in UTC)

    @property
    def all_day(self) -> bool:
        return self.zone == "DATE"

    def series(self) -> Series:
        (event,) = read_calendar(self.text.encode()).events
        return Series(event)


def _value(prop: str, v: date | datetime, zone: str | None, form: str = "zone") -> str:
    """A DATE/DATE-TIME content line in the series' form (or UTC when ``form='utc'``)."""
    if not isinstance(v, datetime):
        return f"{prop};VALUE=DATE:{v:%Y%m%d}"
    if zone is None:
        return f"{prop}:{v:%Y%m%dT%H%M%S}"
    if zone == "UTC" or form == "utc":
        u = v if zone == "UTC" else to_utc(v, ZoneInfo(zone))
        return f"{prop}:{u:%Y%m%dT%H%M%S}Z"
    return f"{prop};TZID={zone}:{v:%Y%m%dT%H%M%S}"


def _calendar(lines: list[str]) -> str:
    return "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//opentalk-sched//properties//EN", "BEGIN:VEVENT",
        "UID:generated@opentalk.test", "DTSTAMP:20240101T000000Z", *lines, "SUMMARY:generated",
        "END:VEVENT", "END:VCALENDAR", "",
    ])


@st.composite
def rules(draw, all_day: bool) -> str:
    """An RRULE value without COUNT/UNTIL (added by :func:`cases`)."""
    freq = draw(st.sampled_from(("YEARLY", "MONTHLY", "WEEKLY", "DAILY") + (() if all_day else ("HOURLY",))))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 3))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    has_byday = draw(st.booleans())
    ordinals = False
    if has_byday:
        days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
        ordinals = freq in ("MONTHLY", "YEARLY") and draw(st.booleans())
        if ordinals:  # all with an ordinal, or none (see the module docstring)
            picks = (1, 2, 3, -1, -2) if freq == "MONTHLY" else (1, 2, 20, -1, -2)
            days = [f"{draw(st.sampled_from(picks))}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    bymonthday = freq in ("YEARLY", "MONTHLY", "DAILY") and draw(st.integers(0, 2)) == 0
    if bymonthday:
        values = draw(st.lists(st.sampled_from((1, 2, 13, 15, 28, 29, 30, 31, -1, -2, -31)), min_size=1, max_size=3, unique=True))
        parts.append("BYMONTHDAY=" + ",".join(map(str, sorted(values))))
    if (freq == "YEARLY" and bymonthday) or draw(st.integers(0, 3)) == 0:
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))
        parts.append("BYMONTH=" + ",".join(map(str, sorted(months))))
    if freq == "YEARLY" and has_byday and not ordinals and draw(st.integers(0, 4)) == 0:
        # (RFC 5545 §3.3.10: no BYDAY ordinals with BYWEEKNO)
        # weeks 2..51 lie inside their calendar year; dateutil miscounts the weeks that
        # cross the turn of the year (see the module docstring)
        weeks = draw(st.lists(st.sampled_from((2, 10, 20, 30, 51, -10, -30)), min_size=1, max_size=2, unique=True))
        parts.append("BYWEEKNO=" + ",".join(map(str, weeks)))
    if not all_day and freq in ("DAILY", "WEEKLY", "HOURLY") and draw(st.integers(0, 3)) == 0:
        hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=3, unique=True))
        parts.append("BYHOUR=" + ",".join(map(str, sorted(hours))))
    if not all_day and freq in ("DAILY", "HOURLY") and draw(st.integers(0, 3)) == 0:
        minutes = draw(st.lists(st.sampled_from((0, 15, 30, 45)), min_size=1, max_size=2, unique=True))
        parts.append("BYMINUTE=" + ",".join(map(str, sorted(minutes))))
    if freq != "HOURLY" and draw(st.integers(0, 3)) == 0:
        pos = draw(st.lists(st.sampled_from((1, 2, 3, -1, -2)), min_size=1, max_size=2, unique=True))
        parts.append("BYSETPOS=" + ",".join(map(str, sorted(pos))))
    if draw(st.booleans()):
        parts.append("WKST=" + draw(st.sampled_from(WEEKDAYS)))
    text = ";".join(parts)
    if "BYMONTH=" in text:  # ordinals count in the month then (dateutil fails on 20MO there)
        text = text.replace("=20", "=3").replace(",20", ",3")
    return text


def _occurrences(rule: str, anchor: datetime, n: int) -> list[datetime]:
    """The rule's first ``n`` occurrences after ``anchor`` within 8 years (wall time)."""
    it = RuleIterator(RRule.parse(rule), anchor)
    return list(islice(it.between(None, anchor + timedelta(days=8 * 366)), n))


def _gap_day(day: date, zone: str | None) -> bool:
    """Does local ``day`` have a DST gap (clocks moved forward) in ``zone``?"""
    if zone in (None, "UTC", "DATE"):
        return False
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start.utcoffset() < (start + timedelta(days=1)).utcoffset()


@st.composite
def cases(draw, window_days: int = 400, zones: tuple = ZONES) -> Case:
    zone = draw(st.sampled_from(zones))
    all_day = zone == "DATE"
    rule = draw(rules(all_day))
    day = draw(st.dates(date(1996, 1, 1), date(2030, 12, 31)))
    clock = (0, 0) if all_day else (draw(st.sampled_from((0, 1, 2, 8, 9, 12, 17, 23))), draw(st.sampled_from((0, 30))))
    anchor = datetime(day.year, day.month, day.day, *clock)
    # DTSTART: the rule's first occurrence after the anchor, so that it matches the rule
    found = _occurrences(rule, anchor, 1)
    assume(found)
    first = found[0]
    parsed = RRule.parse(rule)
    if parsed.freq_name == "WEEKLY" and parsed.bysetpos:
        assume(first.weekday() == parsed.wkst)  # dateutil: partial first week (see docstring)
    dtstart = first.date() if all_day else first
    if all_day:
        length = timedelta(days=draw(st.sampled_from((1, 1, 2, 3))))
    else:
        length = timedelta(minutes=draw(st.sampled_from((15, 30, 60, 90, 24 * 60))))
    # the first occurrences, for COUNT and EXDATE; a rule that never runs again, or runs
    # dry before its COUNT, makes the engine scan to year 9999 (slow): left out
    head = [first] + _occurrences(rule, first, 15)
    assume(len(head) >= 2)
    # the end of the rule
    end_kind = draw(st.sampled_from(("none", "count", "until")))
    if end_kind == "count":
        rule += f";COUNT={draw(st.integers(1, len(head)))}"
    elif end_kind == "until":
        until = first + timedelta(days=draw(st.integers(0, 700)), hours=draw(st.integers(0, 23)))
        if all_day:
            rule += f";UNTIL={until:%Y%m%d}"
        elif zone is None:
            rule += f";UNTIL={until:%Y%m%dT%H%M%S}"
        else:
            u = until if zone == "UTC" else to_utc(until, ZoneInfo(zone))
            rule += f";UNTIL={u:%Y%m%dT%H%M%S}Z"
    lines = [_value("DTSTART", dtstart, zone), _value("DTEND", dtstart + length, zone), f"RRULE:{rule}"]
    # EXDATEs: some of the first occurrences, in the series' form, in UTC, or as a DATE
    exdates = draw(st.lists(st.sampled_from(head[:12]), max_size=3, unique=True))
    written = []
    for ex in exdates:
        if all_day:
            lines.append(_value("EXDATE", ex.date(), zone))
            written.append(ex.date())
        else:
            form = draw(st.sampled_from(("zone", "utc", "date") if zone is not None else ("zone", "date")))
            lines.append(_value("EXDATE", ex.date() if form == "date" else ex, zone, form))
            written.append(ex.date() if form == "date" else ex)
    # RDATEs: extra starts near DTSTART, in the series' form (may repeat an occurrence)
    rdates = draw(st.lists(st.integers(0, 24 * 90), max_size=2, unique=True))
    for hours in rdates:
        extra = first + timedelta(hours=hours)
        if all_day:
            lines.append(_value("RDATE", extra.date(), zone))
        else:
            lines.append(_value("RDATE", extra.replace(minute=first.minute), zone))
    # the window
    if parsed.freq_name == "HOURLY":
        window_days = min(window_days, 10)
    offset = draw(st.integers(-5, 60 if parsed.freq_name == "HOURLY" else 700))
    span = draw(st.integers(1, window_days))
    lo_wall = anchor + timedelta(days=offset, hours=draw(st.integers(0, 23)))
    hi_wall = lo_wall + timedelta(days=span)
    if all_day:
        lo, hi = lo_wall.date(), hi_wall.date()
    elif zone is None:
        lo, hi = lo_wall, hi_wall
    else:
        lo, hi = lo_wall.replace(tzinfo=UTC), hi_wall.replace(tzinfo=UTC)
    return Case(zone, dtstart, rule, _calendar(lines), lo, hi, len(rdates), tuple(written))


def _key(v):
    """Comparable form of a start/end: UTC instant, floating wall time, or date."""
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC)
    return v


def _theirs(case: Case) -> list[tuple]:
    cal = icalendar.Calendar.from_ical(case.text)
    found = recurring_ical_events.of(cal).between(case.lo, case.hi)
    return sorted((_key(e["DTSTART"].dt), _key(e["DTEND"].dt)) for e in found)


def _touches_gap(case: Case, series: Series) -> bool:
    """Does any occurrence near the window fall on a day with a DST gap? (A wall time in
    the gap is named by the real wall time after it, so look at the whole day.)"""
    if case.zone in (None, "UTC", "DATE"):
        return False
    pad = timedelta(days=2)
    around = series.overlapping(case.lo - pad, case.hi + pad, include_cancelled=True)
    return any(_gap_day(i.recurrence_id.date(), case.zone) for i in around)


def _rie_id_clash(case: Case, series: Series) -> bool:
    """recurring-ical-events 3.8 matches an EXDATE against an occurrence by its UTC time
    *or* its wall time, each written without zone (``util.to_recurrence_ids``), so an
    EXDATE whose wall time equals another occurrence's UTC time (or whose DATE midnight
    does) removes that occurrence too. True when the case could hit that defect."""
    if case.zone in (None, "UTC", "DATE") or not case.exdates:
        return False
    tz = ZoneInfo(case.zone)
    pad = timedelta(days=2)
    around = series.overlapping(case.lo - pad, case.hi + pad, include_cancelled=True)
    walls = {i.recurrence_id for i in around}
    utcs = {to_utc(i.recurrence_id, tz) for i in around}
    for ex in case.exdates:
        if not isinstance(ex, datetime):
            if datetime(ex.year, ex.month, ex.day) in utcs | walls:
                return True
            continue
        if ex in utcs or to_utc(ex, tz) in walls:
            return True
    return False


@SETTINGS
@given(cases())
def test_same_instances_as_recurring_ical_events(case: Case):
    s = case.series()
    assume(not _touches_gap(case, s))
    assume(not _rie_id_clash(case, s))
    found = s.overlapping(case.lo, case.hi)
    theirs = _theirs(case)
    assert [_key(i.start) for i in found] == [a for a, _ in theirs], case.text
    # recurring-ical-events adds DTEND - DTSTART as wall time; RFC 5545 §3.8.5.3 (and
    # SPEC §1) apply the exact duration, so ends differ when DTSTART..DTEND or the
    # instance spans a change of UTC offset
    t = s.timing
    exact = t.tz is None or not isinstance(t.start, datetime) or to_utc(t.end, t.tz) - to_utc(t.start, t.tz) == t.end - t.start
    for inst, (_, their_end) in zip(found, theirs):
        if exact and (not isinstance(inst.start, datetime) or inst.start.utcoffset() == inst.end.utcoffset()):
            assert _key(inst.end) == their_end, case.text


@SETTINGS
@given(cases(window_days=60, zones=("DATE",)))
def test_same_all_day_instances_as_recurring_ical_events(case: Case):
    ours = [(_key(i.start), _key(i.end)) for i in case.series().overlapping(case.lo, case.hi)]
    assert ours == _theirs(case), case.text


# -- properties of our engine alone ------------------------------------------------------


def _full(s: Series, limit: int = 3000) -> list:
    """The whole expansion (finite rules) or its first ``limit`` instances."""
    return list(islice(s, limit))


def _overlaps(inst, lo_key, hi_key) -> bool:
    a, b = inst.start_key, inst.end_key
    return a < hi_key and (b > lo_key or (a == b and a >= lo_key))


@SETTINGS
@given(cases())
def test_count_bounds_the_rule(case: Case):
    rule = RRule.parse(case.rule)
    assume(rule.count is not None)
    s = case.series()
    full = list(s)  # COUNT makes it finite
    assert len(full) <= rule.count + case.rdates
    if case.rdates == 0 and not case.exdates:
        # DTSTART is the first of COUNT; a rule may run dry (e.g. BYMONTHDAY=31;BYMONTH=2),
        # and two wall times on one DST-gap instant are one occurrence
        assert 1 <= len(full) <= rule.count
        assert full[0].recurrence_id == case.dtstart


@SETTINGS
@given(cases())
def test_instance_ids_are_unique_and_parse_back(case: Case):
    s = case.series()
    found = s.overlapping(case.lo, case.hi)
    ids = [i.instance_id for i in found]
    assert len(set(ids)) == len(ids)
    for inst in found:
        parsed = parse_instance_id(inst.instance_id)
        rid = inst.recurrence_id
        if case.all_day:
            assert parsed == datetime(rid.year, rid.month, rid.day, tzinfo=UTC)
        elif case.zone is None:
            assert parsed == rid and parsed.tzinfo is None
        else:
            assert parsed == to_utc(rid, ZoneInfo(case.zone)).replace(tzinfo=UTC)
        again = s.instance_by_id(inst.instance_id)
        assert again is not None and again.recurrence_id == rid


@SETTINGS
@given(cases())
def test_window_query_equals_filtering_the_full_expansion(case: Case):
    s = case.series()
    lo_key, hi_key = s.bound(case.lo), s.bound(case.hi)
    full = []
    for inst in s:  # in start order; stop once past the window (max length: 3 days)
        if inst.start_key >= hi_key:
            break
        full.append(inst)
    expected = [i.recurrence_id for i in full if _overlaps(i, lo_key, hi_key)]
    assert [i.recurrence_id for i in s.overlapping(case.lo, case.hi)] == expected
    starts = [i.start_key for i in full]
    assert starts == sorted(starts)


@SETTINGS
@given(cases(), st.floats(0.0, 1.0))
def test_splitting_a_window_gives_the_same_instances(case: Case, where: float):
    s = case.series()
    whole = s.overlapping(case.lo, case.hi)
    if case.all_day:
        mid = case.lo + timedelta(days=int((case.hi - case.lo).days * where))
    else:
        mid = case.lo + (case.hi - case.lo) * where
    left, right = s.overlapping(case.lo, mid), s.overlapping(mid, case.hi)
    merged = []
    for inst in left + right:  # an instance overlapping the split point is in both halves
        if inst.recurrence_id not in {m.recurrence_id for m in merged}:
            merged.append(inst)
    assert [i.recurrence_id for i in merged] == [i.recurrence_id for i in whole]


@SETTINGS
@given(cases(), st.integers(0, 10), st.integers(-3 * 24 * 60, 3 * 24 * 60))
def test_after_and_before_agree_with_the_full_expansion(case: Case, index: int, minutes: int):
    s = case.series()
    full = _full(s, 60)
    assume(full)
    pivot = full[min(index, len(full) - 1)]
    probe = pivot.start_key + timedelta(minutes=minutes)
    if case.all_day or case.zone is not None:
        instant = probe.replace(tzinfo=UTC)
    else:
        instant = probe
    complete = len(full) < 60  # else ``full`` is a prefix of an endless expansion
    later = [i for i in full if i.start_key > probe]
    earlier = [i for i in full if i.start_key < probe]
    got_after = s.after(instant)
    if later:
        assert got_after is not None and got_after.recurrence_id == later[0].recurrence_id
    elif complete:
        assert got_after is None
    got_before = s.before(instant)
    if complete or probe <= full[-1].start_key:
        if earlier:
            assert got_before is not None and got_before.recurrence_id == earlier[-1].recurrence_id
        else:
            assert got_before is None
