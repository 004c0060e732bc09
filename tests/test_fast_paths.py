"""The engine's fast paths against the slow ones they stand in for (issue 7).

* :meth:`RuleIterator.nth` finds the n-th occurrence by arithmetic over whole periods
  for shapes with a fixed number of occurrences per period: checked against the walk;
* :func:`~opentalk_sched.core.span.outer_span` bounds an event without compiling it:
  checked against the exact compiled span, and a Timeline (first query: scan; later:
  index) against each series on its own;
* the one-rule list path of :class:`Series`, with RECURRENCE-ID exceptions applied
  after it: checked against the general path.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import islice
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from opentalk_sched.core import (
    Event, Observance, Override, OverrideKind, RecurrenceSet, RRule, RuleIterator, Series, Timeline, Timing, VTimezone,
)
from opentalk_sched.core.span import outer_span
from opentalk_sched.core.zones import to_wall

SETTINGS = settings(deadline=None, max_examples=60, derandomize=True)
WD = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

starts = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))


@st.composite
def shapes(draw):
    """Rule texts without COUNT; most have a fixed number per period, some do not."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.sampled_from([1, 1, 2, 3, 7]))}"]
    days = draw(st.lists(st.sampled_from(WD), min_size=1, max_size=4, unique=True))
    kind = draw(st.integers(0, 4))
    if freq in ("DAILY", "WEEKLY") and kind < 3:
        parts.append("BYDAY=" + ",".join(days))
    elif freq == "MONTHLY" and kind == 0:
        parts.append("BYMONTHDAY=" + ",".join(str(draw(st.sampled_from([1, 5, 28, 29, 31, -1, -28]))) for _ in days))
    elif freq == "MONTHLY" and kind == 1:
        parts.append("BYDAY=" + ",".join(f"{draw(st.sampled_from([1, 2, 4, 5, -1, -4]))}{d}" for d in days))
    elif freq == "MONTHLY" and kind == 2:
        parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        parts.append("BYHOUR=" + ",".join(map(str, sorted(draw(st.sets(st.integers(0, 23), min_size=1, max_size=3))))))
    if draw(st.integers(0, 5)) == 0:
        parts.append("BYSETPOS=1")
    return ";".join(parts)


@SETTINGS
@given(shape=shapes(), start=starts, n=st.integers(1, 400), all_day=st.booleans())
def test_nth_is_the_nth_of_the_walk(shape, start, n, all_day):
    if all_day:
        shape = ";".join(p for p in shape.split(";") if not p.startswith("BYHOUR"))
    rule = RRule.parse(shape)
    dtstart = start.date() if all_day else start
    it = RuleIterator(rule, dtstart, None)
    walked = list(islice(it.between(None, date(9999, 1, 1) if all_day else datetime(9999, 1, 1)), n))
    found = it.nth(n)
    if found is not None:  # a shortcut answer must be the walk's answer
        assert len(walked) == n and found == walked[-1]


@st.composite
def periodic_shapes(draw):
    """Rule texts the shortcut must answer: a fixed number of occurrences per period."""
    days = draw(st.lists(st.sampled_from(WD), min_size=1, max_size=5, unique=True))
    interval = draw(st.sampled_from([1, 2, 3, 12]))
    shape = draw(st.sampled_from([
        f"FREQ=DAILY;INTERVAL={interval}",
        "FREQ=DAILY;BYDAY=" + ",".join(days),
        f"FREQ=WEEKLY;INTERVAL={interval};BYDAY=" + ",".join(days),
        f"FREQ=WEEKLY;INTERVAL={interval}",
        f"FREQ=MONTHLY;INTERVAL={interval};BYMONTHDAY="
        + ",".join(str(n) for n in sorted(draw(st.sets(st.integers(1, 28), min_size=1, max_size=3)))),
        f"FREQ=MONTHLY;INTERVAL={interval};BYMONTHDAY="
        + ",".join(str(-n) for n in sorted(draw(st.sets(st.integers(1, 28), min_size=1, max_size=3)))),
        f"FREQ=MONTHLY;INTERVAL={interval};BYDAY=" + ",".join(f"{draw(st.integers(1, 4))}{d}" for d in days),
        f"FREQ=MONTHLY;INTERVAL={interval};BYDAY=" + ",".join(f"-{draw(st.integers(1, 4))}{d}" for d in days),
    ]))
    if draw(st.booleans()):
        shape += ";BYHOUR=" + ",".join(map(str, sorted(draw(st.sets(st.integers(0, 23), min_size=1, max_size=3)))))
    return shape


@SETTINGS
@given(shape=periodic_shapes(), start=starts, n=st.integers(1, 600), all_day=st.booleans())
def test_nth_answers_periodic_shapes(shape, start, n, all_day):
    if all_day:
        shape = ";".join(p for p in shape.split(";") if not p.startswith("BYHOUR"))
    dtstart = start.date() if all_day else start
    it = RuleIterator(RRule.parse(shape), dtstart, None)
    walked = list(islice(it.between(None, date(9999, 1, 1) if all_day else datetime(9999, 1, 1)), n))
    assert it.nth(n) == walked[-1]


def test_nth_covers_the_common_shapes():
    start = datetime(2027, 1, 29, 9, 30)  # a Friday, day 29
    cases = {
        "FREQ=DAILY;INTERVAL=3": 40,
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR": 40,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR": 40,
        "FREQ=MONTHLY;BYDAY=-1FR": 40,
        "FREQ=MONTHLY;BYMONTHDAY=5,20": 40,
    }
    for text, n in cases.items():
        it = RuleIterator(RRule.parse(text), start, None)
        assert it.nth(n) == list(islice(it.between(None, datetime(9999, 1, 1)), n))[-1], text
    # day 29 is not in every month: no shortcut, the series walks
    assert RuleIterator(RRule.parse("FREQ=MONTHLY"), start, None).nth(5) is None
    assert RuleIterator(RRule.parse("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1"), start, None).nth(5) is None


def test_count_series_agrees_with_and_without_the_shortcut():
    berlin = ZoneInfo("Europe/Berlin")
    ev = Event.new("x", Timing(datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10), berlin,
                               RecurrenceSet.from_lines(["FREQ=WEEKLY;BYDAY=MO,TH;COUNT=25"])))
    s = Series(ev)
    walked = list(islice(RuleIterator(RRule.parse("FREQ=WEEKLY;BYDAY=MO,TH"), datetime(2026, 3, 2, 9), None)
                         .between(None, datetime(2030, 1, 1)), 24))
    got = [i.recurrence_id for i in s.overlapping(datetime(2026, 1, 1), datetime(2030, 1, 1))]
    assert got == [datetime(2026, 3, 2, 9), *walked]
    assert s.span[1] == s._key(walked[-1]) + timedelta(hours=1)


zones = st.sampled_from([None, "Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"])


@st.composite
def events(draw):
    zone = draw(zones)
    all_day = zone is None and draw(st.booleans())
    start = draw(starts)
    length = timedelta(minutes=draw(st.sampled_from([0, 30, 90, 60 * 30])))
    shape = draw(shapes())
    if all_day:
        shape = ";".join(p for p in shape.split(";") if not p.startswith("BYHOUR"))
    bound = draw(st.sampled_from(["COUNT", "UNTIL", "", "single"]))
    lines = []
    if bound == "COUNT":
        lines.append(f"{shape};COUNT={draw(st.integers(1, 300))}")
    elif bound == "UNTIL":
        until = start + timedelta(days=draw(st.integers(0, 3000)))
        lines.append(f"{shape};UNTIL={until:%Y%m%dT%H%M%S}Z")
    elif bound == "":
        lines.append(shape)
    if bound != "single" and draw(st.booleans()):
        lines.append(f"RDATE:{start + timedelta(days=draw(st.integers(-40, 900))):%Y%m%dT%H%M%S}")
    if all_day:
        timing = Timing(start.date(), start.date() + timedelta(days=1 + length.days), None,
                        RecurrenceSet.from_lines(lines) if lines else None)
    else:
        timing = Timing(start, start + length, ZoneInfo(zone) if zone else None,
                        RecurrenceSet.from_lines(lines) if lines else None)
    overrides = {}
    if draw(st.booleans()):
        move = timedelta(days=draw(st.integers(-400, 400)))
        rid = timing.start
        overrides[rid] = Override(rid, start=timing.start + move, end=timing.end + move)
    return Event.new("e", timing, overrides=overrides)


@SETTINGS
@given(event=events())
def test_outer_span_contains_the_exact_span(event):
    first, last = outer_span(event)
    s = Series(event)
    exact_first, exact_last = s.span  # keys: UTC, or wall time when floating / all-day
    assert first <= exact_first
    assert last is None or (exact_last is not None and exact_last <= last)


@settings(deadline=None, max_examples=25, derandomize=True)
@given(evs=st.lists(events(), min_size=1, max_size=12), year=st.integers(1990, 2070), weeks=st.integers(1, 60))
def test_timeline_matches_each_series(evs, year, weeks):
    timeline = Timeline(evs)
    # the first query scans every span, the later ones use the sorted index
    for lo in (datetime(year, 3, 1), datetime(year, 3, 1), datetime(year - 3, 11, 20)):
        hi = lo + timedelta(weeks=weeks)
        got = sorted((str(i.event.id), str(i.recurrence_id)) for i in timeline.overlapping(lo, hi))
        want = sorted((str(e.id), str(i.recurrence_id)) for e in evs for i in Series(e).overlapping(lo, hi))
        assert got == want


@st.composite
def one_rule_events(draw):
    """One-rule timed events, with exceptions of every kind on some occurrences."""
    zone = draw(st.sampled_from([None, "Europe/Berlin", "America/New_York", "UTC"]))
    start = draw(starts)
    shape = draw(st.one_of(periodic_shapes(), shapes()))
    bound = draw(st.sampled_from(["", f";COUNT={draw(st.integers(1, 120))}",
                                  f";UNTIL={start + timedelta(days=draw(st.integers(0, 900))):%Y%m%dT%H%M%S}Z"]))
    length = timedelta(minutes=draw(st.sampled_from([0, 45, 60 * 26])))
    lines = [shape + bound]
    if draw(st.booleans()):
        lines.append(f"EXDATE:{start + timedelta(days=draw(st.integers(0, 60))):%Y%m%dT%H%M%S}")
    tz = ZoneInfo(zone) if zone else None
    timing = Timing(start, start + length, tz, RecurrenceSet.from_lines(lines))
    walls = [i.recurrence_id for i in islice(iter(Series(Event.new("probe", timing))), 40)]
    overrides = {}
    for rid in draw(st.lists(st.sampled_from(walls), max_size=4, unique=True)) if walls else ():
        kind = draw(st.sampled_from(["cancel", "edit", "move"]))
        if kind == "cancel":
            overrides[rid] = Override(rid, kind=OverrideKind.CANCELLED)
        elif kind == "edit":
            overrides[rid] = Override(rid, title="edited")
        else:
            move = timedelta(hours=draw(st.integers(-24 * 60, 24 * 60)))
            overrides[rid] = Override(rid, start=rid + move, end=rid + move + length)
    return Event.new("e", timing, overrides=overrides)


@SETTINGS
@given(event=one_rule_events(), days=st.integers(-30, 400), weeks=st.integers(1, 9), cancelled=st.booleans())
def test_one_rule_paths_agree_with_the_general_path(event, days, weeks, cancelled):
    fast = Series(event)
    general = Series(event)
    general._simple = general._patch = False
    lo = event.timing.start + timedelta(days=days)
    hi = lo + timedelta(weeks=weeks)

    def view(series):
        return [(i.recurrence_id, i.start_key, i.end_key, i.title, i.status)
                for i in series.overlapping(lo, hi, include_cancelled=cancelled)]

    assert view(fast) == view(general)


@SETTINGS
@given(evs=st.lists(one_rule_events(), min_size=1, max_size=6),
       month=st.sampled_from([3, 10, 11]), day=st.integers(1, 28), weeks=st.integers(1, 6))
def test_a_timeline_query_around_dst_changes_agrees_with_the_general_path(evs, month, day, weeks):
    """Timeline queries share each zone's window and its DST-transition flag between
    series; the general path of each series on its own is the reference."""
    timeline = Timeline(evs)
    for year in (2024, 2031, 2031):  # (the second 2031 query uses the index)
        lo = datetime(year, month, day)
        hi = lo + timedelta(weeks=weeks)
        got = [(str(i.event.id), i.recurrence_id, i.start_key, i.end_key) for i in timeline.overlapping(lo, hi)]
        want = []
        for e in evs:
            general = Series(e)
            general._simple = general._patch = False
            want.extend((str(e.id), i.recurrence_id, i.start_key, i.end_key) for i in general.overlapping(lo, hi))
        assert sorted(got) == sorted(want)


def test_timeline_takes_the_widest_bounds():
    berlin = ZoneInfo("Europe/Berlin")
    zoned = Event.new("z", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), berlin,
                                  RecurrenceSet.from_lines(["FREQ=YEARLY;COUNT=3"])))
    floating = Event.new("f", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), None,
                                     RecurrenceSet.from_lines(["FREQ=YEARLY;COUNT=2"])))
    timeline = Timeline([zoned, floating])
    for lo, hi, tz in [(date(1, 1, 1), date(9999, 12, 31), None),
                       (datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59), berlin)]:
        for _ in range(2):  # the scan, then the index
            found = timeline.overlapping(lo, hi, tz)
            assert sorted((i.recurrence_id.year, i.event.title) for i in found) == [
                (2025, "f"), (2025, "z"), (2026, "f"), (2026, "z"), (2027, "z")]


# regressions found by review of the fast paths


def test_a_gap_that_spans_midnight_is_a_transition_day():
    """A custom zone whose DST gap runs 23:30 → 00:30: 23:45 does not exist that night,
    although both midnights read the same offset (zones._day_offset asks both folds)."""
    odd = VTimezone("Odd/Zone", (
        Observance("STANDARD", datetime(1970, 10, 25, 3, 0), 7200, 3600, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
        Observance("DAYLIGHT", datetime(1970, 3, 28, 23, 30), 3600, 7200, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SA"),
    ))
    ev = Event.new("x", Timing(datetime(2025, 3, 27, 23, 45), datetime(2025, 3, 28, 0, 15), odd,
                               RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=5"])))
    starts = [i.start for i in Series(ev).overlapping(datetime(2025, 3, 27), datetime(2025, 4, 2))]
    # the 29th's 23:45 lies in the gap: the instant after it, named by its real wall time
    assert [(s.day, s.hour, s.minute) for s in starts] == [(27, 23, 45), (28, 23, 45), (30, 0, 45),
                                                           (30, 23, 45), (31, 23, 45)]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=h) for h in (1, 1, 2, 2, 2)]


def test_a_single_event_in_a_dst_gap_starts_after_the_gap():
    berlin = ZoneInfo("Europe/Berlin")
    ev = Event.new("g", Timing(datetime(2025, 3, 30, 2, 30), datetime(2025, 3, 30, 4, 30), berlin))
    inst, = Series(ev).overlapping(datetime(2025, 3, 29), datetime(2025, 3, 31))
    assert inst.start == datetime(2025, 3, 30, 3, 30, tzinfo=berlin)
    assert (inst.start.hour, inst.end - inst.start) == (3, timedelta(hours=1))


def test_second_60_is_read_as_59_once():
    ev = Event.new("x", Timing(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), ZoneInfo("Europe/Berlin"),
                               RecurrenceSet.from_lines(["FREQ=DAILY;BYSECOND=59,60"])))
    got = [str(i.recurrence_id) for i in Series(ev).overlapping(datetime(2025, 1, 6), datetime(2025, 1, 8))]
    assert got == ["2025-01-06 09:00:00", "2025-01-06 09:00:59", "2025-01-07 09:00:59"]


def test_count_bounds_past_9999_do_not_break_a_timeline():
    birthday = Event.new("birthday", Timing(date(2025, 5, 1), date(2025, 5, 2), None,
                                            RecurrenceSet.from_lines(["FREQ=YEARLY;COUNT=9999"])))
    century = Event.new("c", Timing(datetime(2025, 5, 1, 9), datetime(2025, 5, 1, 10), None,
                                    RecurrenceSet.from_lines(["FREQ=YEARLY;INTERVAL=100;COUNT=100"])))
    assert outer_span(birthday)[1] is None
    got = Timeline([birthday, century]).overlapping(date(2025, 1, 1), date(2026, 1, 1))
    assert sorted(i.event.title for i in got) == ["birthday", "c"]


def test_an_occurrence_moved_onto_another_keeps_the_general_order():
    ev = Event.new("d", Timing(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), ZoneInfo("UTC"),
                               RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=5"])))
    ev.overrides[datetime(2025, 1, 7, 9)] = Override(datetime(2025, 1, 7, 9), start=datetime(2025, 1, 8, 9),
                                                     end=datetime(2025, 1, 8, 10))
    fast, general = Series(ev), Series(ev)
    general._simple = general._patch = False
    window = (datetime(2025, 1, 8), datetime(2025, 1, 8, 12))
    want = [datetime(2025, 1, 7, 9), datetime(2025, 1, 8, 9)]  # same start: by original start
    assert [i.recurrence_id for i in fast.overlapping(*window)] == want
    assert [i.recurrence_id for i in general.overlapping(*window)] == want


@SETTINGS
@given(zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
                             "Africa/Casablanca", "Asia/Kolkata"]),
       key=st.one_of(
           st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2040, 12, 31)),
           st.builds(datetime, st.integers(1970, 2040), st.sampled_from([3, 4, 9, 10, 11]), st.integers(1, 28),
                     st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))),  # (near DST changes)
       spread=st.integers(0, 3))
def test_presenting_a_key_by_the_day_table_matches_the_zone(zone, key, spread):
    """Series.present reads a key's local time from the cached offset of its local day
    when that day has no transition; the zone (astimezone) is the reference, fold included."""
    tz = ZoneInfo(zone)
    series = Series(Event.new("p", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), tz)))
    for days in range(-spread, spread + 1):  # fill the table around the key, transition days too
        series._key(key + timedelta(days=days))
    got = series.present(key)
    want = key.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz)
    assert (got.replace(tzinfo=None), got.fold, got.utcoffset(), got.tzinfo) == (
        want.replace(tzinfo=None), want.fold, want.utcoffset(), tz)


def test_presenting_keys_around_a_fold():
    berlin = ZoneInfo("Europe/Berlin")
    series = Series(Event.new("p", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), berlin)))
    for day in (24, 25, 26, 27, 28):
        series._key(datetime(2025, 10, day, 12))
    # 02:30 local is read twice on 26 October 2025: 00:30 UTC (CEST) and 01:30 UTC (CET)
    first, second = (series.present(datetime(2025, 10, 26, h, 30)) for h in (0, 1))
    assert (first.hour, first.fold, first.utcoffset()) == (2, 0, timedelta(hours=2))
    assert (second.hour, second.fold, second.utcoffset()) == (2, 1, timedelta(hours=1))
    assert series.present(datetime(2025, 10, 27, 8)).hour == 9


def test_presenting_a_key_whose_utc_day_differs_from_its_transition_day():
    """Lord Howe falls back half an hour at 02:00 local (15:00 UTC the day before): the
    key's UTC day has a plain offset, its local day does not, so the zone is asked."""
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    series = Series(Event.new("p", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), lord_howe)))
    for day in (4, 5, 6, 7):
        series._key(datetime(2025, 4, day, 12))
    got = series.present(datetime(2025, 4, 5, 15))
    assert (got.hour, got.minute, got.fold, got.utcoffset()) == (1, 30, 1, timedelta(hours=10, minutes=30))


def test_a_move_past_year_9999_fails_only_the_queries_that_place_it():
    new_york = ZoneInfo("America/New_York")
    ev = Event.new("x", Timing(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), new_york,
                               RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=5"])))
    rid = datetime(2025, 1, 7, 9)
    ev.overrides[rid] = Override(rid, start=datetime(9999, 12, 31, 22), end=datetime(9999, 12, 31, 23))
    series = Series(ev)  # (compiling does not place the moved occurrence)
    assert series.instance(datetime(2025, 1, 8, 9)).start == datetime(2025, 1, 8, 9, tzinfo=new_york)


def test_a_timeline_near_the_ends_of_datetime_answers_like_each_series():
    """Series of one zone with different paddings (instance lengths) share a query:
    each clamps the window by its own padding (the zone cache is not used there)."""
    berlin = ZoneInfo("Europe/Berlin")

    def event(n, start, hours, rule):
        return Event.new(str(n), Timing(start, start + timedelta(hours=hours), berlin,
                                        RecurrenceSet.from_lines([rule])), id=UUID(int=n))

    late = [event(1, datetime(2020, 1, 1, 9), 120, "FREQ=WEEKLY"), event(2, datetime(2020, 1, 1, 9), 1, "FREQ=DAILY")]
    early = [event(3, datetime(1, 1, 5, 9), 1, "FREQ=DAILY"), event(4, datetime(1, 1, 5, 9), 24 * 40, "FREQ=WEEKLY")]
    for evs, lo, hi in [(late, datetime(9999, 12, 20), datetime(9999, 12, 31, 23, 59)),
                        (early, datetime(1, 1, 1), datetime(1, 2, 1))]:
        got = [(i.event.title, i.recurrence_id) for i in Timeline(evs).overlapping(lo, hi)]
        want = [(e.title, i.recurrence_id) for e in evs for i in Series(e).overlapping(lo, hi)]
        assert sorted(got) == sorted(want) and len(got) > 5


def test_the_second_reading_of_a_fold_does_not_decide_the_first_for_other_series():
    """zones.strict_converter caches transition-day wall times per zone; a start sent as
    the second 01:30 (fold=1, as to_wall gives it) must not make another series' 01:30
    (fold=0, RFC 5545: the first reading) use the second offset."""
    new_york = ZoneInfo("America/New_York")
    second = to_wall(datetime(2025, 11, 2, 6, 30), new_york)  # 01:30 EST, fold=1
    assert (second.hour, second.minute, second.fold) == (1, 30, 1)
    late = Event.new("late", Timing(second, second.replace(hour=2, fold=0), new_york,
                                    RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=3"])))
    early = Event.new("early", Timing(datetime(2025, 10, 1, 1, 30), datetime(2025, 10, 1, 2), new_york,
                                      RecurrenceSet.from_lines(["FREQ=DAILY"])))
    window = (datetime(2025, 11, 2), datetime(2025, 11, 3))
    assert [i.start_key for i in Series(late).overlapping(*window)] == [datetime(2025, 11, 2, 6, 30)]
    assert [i.start_key for i in Series(early).overlapping(*window)] == [datetime(2025, 11, 2, 5, 30)]


def test_a_single_event_in_a_dst_gap_is_found_by_its_own_instance_id():
    """The single-event path names a DTSTART in a gap by its real wall time, as
    Series.instance and instance_by_id do, so the three agree."""
    berlin = ZoneInfo("Europe/Berlin")
    series = Series(Event.new("g", Timing(datetime(2025, 3, 30, 2, 15), datetime(2025, 3, 30, 4), berlin)))
    listed, = series.overlapping(datetime(2025, 3, 29), datetime(2025, 3, 31))
    assert (listed.recurrence_id, listed.instance_id) == (datetime(2025, 3, 30, 3, 15), "20250330T011500Z")
    assert series.instance(datetime(2025, 3, 30, 2, 15)) == listed == series.instance_by_id(listed.instance_id)


def test_an_exdate_on_the_dtstart_of_a_non_recurring_event_leaves_no_instance():
    berlin = ZoneInfo("Europe/Berlin")
    series = Series(Event.new("x", Timing(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), berlin,
                                          RecurrenceSet.from_lines(["EXDATE:20250310T090000"]))))
    assert series.overlapping(datetime(2025, 3, 9), datetime(2025, 3, 11)) == []
    assert series.instance(datetime(2025, 3, 10, 9)) is None
