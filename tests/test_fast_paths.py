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
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from opentalk_sched.core import Event, Override, OverrideKind, RecurrenceSet, RRule, RuleIterator, Series, Timeline, Timing
from opentalk_sched.core.span import outer_span

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
    for rid in draw(st.lists(st.sampled_from(walls), max_size=4, unique=True)):
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
