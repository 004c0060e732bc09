"""Free/busy in the core (opentalk_sched.core.freebusy): busy periods, merging, TRANSP,
status mapping, window errors; and a brute-force reference on generated calendars
across DST changes (every instance expanded, every minute marked)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentalk_sched.core import Event, InviteStatus, Override, OverrideKind, RecurrenceSet, Series, Timing
from opentalk_sched.core.freebusy import (
    BusyPeriod, Commitment, FBType, InvalidWindow, busy_periods, fbtype_for, is_transparent, merge_periods,
)
from opentalk_sched.core.zones import to_utc

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")


def at(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def timed(start, end, tz=BERLIN, rrule=None, props=(), overrides=None) -> Event:
    rs = RecurrenceSet.from_lines([rrule]) if rrule else None
    return Event.new("e", Timing(start, end, tz, rs), properties=tuple(props), overrides=overrides or {})


def shape(periods):
    return [(p.start.isoformat(), p.end.isoformat(), p.fbtype.value) for p in periods]


# -- plain behaviour ------------------------------------------------------------------------


def test_single_event_in_berlin_is_busy_in_utc():
    ev = timed(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10, 30))
    got = busy_periods([Commitment(ev)], at(2025, 3, 10), at(2025, 3, 11))
    assert shape(got) == [("2025-03-10T08:00:00+00:00", "2025-03-10T09:30:00+00:00", "BUSY")]


def test_busy_wins_over_tentative_and_same_types_join():
    a = timed(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 11))   # 08-10 UTC busy
    b = timed(datetime(2025, 3, 10, 10), datetime(2025, 3, 10, 13))  # 09-12 UTC tentative
    c = timed(datetime(2025, 3, 10, 13), datetime(2025, 3, 10, 14))  # 12-13 UTC tentative, touches b
    got = busy_periods(
        [Commitment(a, FBType.BUSY), Commitment(b, FBType.BUSY_TENTATIVE), Commitment(c, FBType.BUSY_TENTATIVE)],
        at(2025, 3, 10), at(2025, 3, 11),
    )
    assert shape(got) == [
        ("2025-03-10T08:00:00+00:00", "2025-03-10T10:00:00+00:00", "BUSY"),
        ("2025-03-10T10:00:00+00:00", "2025-03-10T13:00:00+00:00", "BUSY-TENTATIVE"),
    ]


def test_tentative_inside_busy_disappears_and_busy_splits_tentative():
    outer = BusyPeriod(at(2025, 1, 1, 8), at(2025, 1, 1, 12), FBType.BUSY_TENTATIVE)
    inner = BusyPeriod(at(2025, 1, 1, 9), at(2025, 1, 1, 10), FBType.BUSY)
    assert shape(merge_periods([outer, inner])) == [
        ("2025-01-01T08:00:00+00:00", "2025-01-01T09:00:00+00:00", "BUSY-TENTATIVE"),
        ("2025-01-01T09:00:00+00:00", "2025-01-01T10:00:00+00:00", "BUSY"),
        ("2025-01-01T10:00:00+00:00", "2025-01-01T12:00:00+00:00", "BUSY-TENTATIVE"),
    ]
    assert merge_periods([BusyPeriod(at(2025, 1, 1), at(2025, 1, 2), FBType.FREE)]) == []


def test_periods_are_clipped_to_the_window():
    ev = timed(datetime(2025, 3, 9, 22), datetime(2025, 3, 10, 2))
    got = busy_periods([Commitment(ev)], at(2025, 3, 10), at(2025, 3, 10, 0, 30))
    assert shape(got) == [("2025-03-10T00:00:00+00:00", "2025-03-10T00:30:00+00:00", "BUSY")]


def test_cancelled_instance_is_free_and_moved_instance_is_busy_where_it_went():
    ev = timed(
        datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), rrule="RRULE:FREQ=DAILY;COUNT=3",
        overrides={
            datetime(2025, 3, 11, 9): Override(datetime(2025, 3, 11, 9), OverrideKind.CANCELLED),
            datetime(2025, 3, 12, 9): Override(datetime(2025, 3, 12, 9), start=datetime(2025, 3, 12, 15),
                                               end=datetime(2025, 3, 12, 16)),
        },
    )
    got = busy_periods([Commitment(ev)], at(2025, 3, 10), at(2025, 3, 13))
    assert shape(got) == [
        ("2025-03-10T08:00:00+00:00", "2025-03-10T09:00:00+00:00", "BUSY"),
        ("2025-03-12T14:00:00+00:00", "2025-03-12T15:00:00+00:00", "BUSY"),
    ]


def test_all_day_is_busy_in_its_zone_unless_transparent():
    opaque = Event.new("off", Timing(date(2025, 3, 10), date(2025, 3, 11), BERLIN))
    transparent = Event.new("birthday", Timing(date(2025, 3, 12), date(2025, 3, 13), BERLIN),
                            properties=("TRANSP:TRANSPARENT",))
    utc_day = Event.new("utc", Timing(date(2025, 3, 14), date(2025, 3, 15)))
    got = busy_periods([Commitment(opaque), Commitment(transparent), Commitment(utc_day)], at(2025, 3, 9), at(2025, 3, 16))
    assert shape(got) == [
        ("2025-03-09T23:00:00+00:00", "2025-03-10T23:00:00+00:00", "BUSY"),
        ("2025-03-14T00:00:00+00:00", "2025-03-15T00:00:00+00:00", "BUSY"),
    ]


def test_transp_of_an_override_beats_the_series():
    ev = timed(
        datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), rrule="RRULE:FREQ=DAILY;COUNT=2",
        props=("TRANSP:TRANSPARENT",),
        overrides={datetime(2025, 3, 11, 9): Override(datetime(2025, 3, 11, 9), title="x",
                                                      properties=("TRANSP:OPAQUE",))},
    )
    got = busy_periods([Commitment(ev)], at(2025, 3, 10), at(2025, 3, 12))
    assert shape(got) == [("2025-03-11T08:00:00+00:00", "2025-03-11T09:00:00+00:00", "BUSY")]


def test_time_independent_zero_length_and_free_are_ignored():
    nothing = Event.new("todo")
    point = timed(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 9))
    declined = timed(datetime(2025, 3, 10, 11), datetime(2025, 3, 10, 12))
    got = busy_periods([Commitment(nothing), Commitment(point), Commitment(declined, FBType.FREE)],
                       at(2025, 3, 10), at(2025, 3, 11))
    assert got == []


def test_floating_events_are_read_in_the_owner_zone():
    ev = timed(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), tz=None)
    got = busy_periods([Commitment(ev)], at(2025, 3, 10), at(2025, 3, 11), tz=NY)
    assert shape(got) == [("2025-03-10T13:00:00+00:00", "2025-03-10T14:00:00+00:00", "BUSY")]


def test_status_mapping_and_transp_reading():
    assert fbtype_for(None) is FBType.BUSY
    assert fbtype_for(InviteStatus.ACCEPTED) is FBType.BUSY
    assert fbtype_for(InviteStatus.TENTATIVE) is FBType.BUSY_TENTATIVE
    assert fbtype_for(InviteStatus.PENDING) is FBType.BUSY_TENTATIVE
    assert fbtype_for(InviteStatus.DECLINED) is FBType.FREE
    assert is_transparent(["LOCATION:x", "transp;X-A=1:Transparent"]) is True
    assert is_transparent(["TRANSP:OPAQUE"]) is False
    assert is_transparent(["TRANSPORT:x", "X-TRANSP:TRANSPARENT"]) is None


def test_window_errors_are_typed():
    with pytest.raises(InvalidWindow) as info:
        busy_periods([], at(2025, 1, 1), at(2026, 1, 3))
    assert (info.value.code, info.value.field) == ("window_too_long", "time_max")
    with pytest.raises(InvalidWindow) as info:
        busy_periods([], at(2025, 1, 2), at(2025, 1, 1))
    assert (info.value.code, info.value.field) == ("ends_before_start", "time_max")
    assert busy_periods([], at(2025, 1, 1), at(2026, 1, 2)) == []  # exactly 366 days is fine


def test_a_compiled_series_can_be_shared():
    ev = timed(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), rrule="RRULE:FREQ=WEEKLY")
    s = Series(ev)
    a = busy_periods([Commitment(s)], at(2025, 3, 1), at(2025, 4, 1))
    b = busy_periods([Commitment(ev)], at(2025, 3, 1), at(2025, 4, 1))
    assert a == b and len(a) == 4
    # the weekly 09:00 Berlin meeting moves from 08:00 to 07:00 UTC after the DST change
    assert [p.start.hour for p in a] == [8, 8, 8, 7]


# -- brute-force reference ------------------------------------------------------------------

#: windows that contain a DST change in at least one of the zones below
WINDOWS = [
    (datetime(2025, 3, 29), datetime(2025, 4, 1)),    # Europe spring forward (Mar 30)
    (datetime(2025, 10, 25), datetime(2025, 10, 28)),  # Europe fall back (Oct 26)
    (datetime(2025, 11, 1), datetime(2025, 11, 4)),    # US fall back (Nov 2)
]
ZONES = [BERLIN, NY, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"), None]
RULES = [None, "RRULE:FREQ=DAILY;COUNT=4", "RRULE:FREQ=HOURLY;INTERVAL=7;COUNT=9", "RRULE:FREQ=DAILY",
         "RRULE:FREQ=WEEKLY;BYDAY=MO,SA,SU"]
STATUSES = [None, InviteStatus.ACCEPTED, InviteStatus.TENTATIVE, InviteStatus.PENDING, InviteStatus.DECLINED]


@st.composite
def calendar_event(draw, w0: datetime, w1: datetime) -> Event:
    tz = draw(st.sampled_from(ZONES))
    all_day = draw(st.booleans()) and draw(st.booleans())  # about a quarter
    rule = draw(st.sampled_from(RULES))
    if all_day and rule and "HOURLY" in rule:
        rule = None
    span_min = int((w1 - w0).total_seconds() // 900) + 16
    offset = timedelta(minutes=15 * draw(st.integers(-(4 * 24 * 2), span_min)))
    start = w0 + offset
    props = draw(st.sampled_from([(), (), ("TRANSP:TRANSPARENT",), ("TRANSP:OPAQUE",)]))
    if all_day:
        d0 = start.date()
        timing = Timing(d0, d0 + timedelta(days=draw(st.integers(1, 2))), tz, RecurrenceSet.from_lines([rule]) if rule else None)
    else:
        dur = timedelta(minutes=15 * draw(st.integers(0, 40)))
        timing = Timing(start, start + dur, tz, RecurrenceSet.from_lines([rule]) if rule else None)
    ev = Event.new("gen", timing, properties=props)
    if rule:  # cancel / move / re-TRANSP some occurrences
        firsts = [i for _, i in zip(range(6), Series(ev))]
        overrides = {}
        for inst in firsts:
            what = draw(st.sampled_from(["keep", "keep", "cancel", "move", "transp"]))
            rid = inst.recurrence_id
            if what == "cancel":
                overrides[rid] = Override(rid, OverrideKind.CANCELLED)
            elif what == "move":
                shift = timedelta(days=draw(st.integers(-1, 1))) if all_day else timedelta(minutes=15 * draw(st.integers(-12, 12)))
                length = timedelta(days=1) if all_day else timedelta(minutes=15 * draw(st.integers(1, 12)))
                overrides[rid] = Override(rid, start=rid + shift, end=rid + shift + length)
            elif what == "transp":
                overrides[rid] = Override(rid, title="t", properties=(draw(st.sampled_from(["TRANSP:TRANSPARENT", "TRANSP:OPAQUE"])),))
        ev = ev.replace(overrides=overrides)
    return ev


@st.composite
def scenario(draw):
    w0, w1 = draw(st.sampled_from(WINDOWS))
    events = draw(st.lists(calendar_event(w0, w1), min_size=1, max_size=8))
    users = []
    for _ in range(draw(st.integers(2, 4))):
        tz = draw(st.sampled_from([BERLIN, NY, ZoneInfo("UTC")]))
        picks = draw(st.lists(st.tuples(st.integers(0, len(events) - 1), st.sampled_from(STATUSES)), max_size=6,
                              unique_by=lambda p: p[0]))
        users.append((tz, [(events[i], status) for i, status in picks]))
    return w0, w1, users


def reference_minutes(entries, lo: datetime, hi: datetime, tz) -> dict[datetime, int]:
    """minute (naive UTC) → strongest rank, by walking every instance of every event."""
    marks: dict[datetime, int] = {}
    for ev, status in entries:
        fb = fbtype_for(status)
        if fb is FBType.FREE or ev.timing is None:
            continue
        series_transparent = "TRANSP:TRANSPARENT" in ev.properties
        series = Series(ev)
        for inst in series:
            s, e = inst.start_key, inst.end_key
            if series.floating:
                s, e = to_utc(s, tz), to_utc(e, tz)
            if s >= hi + timedelta(days=3):
                break
            transparent = series_transparent
            if inst.override is not None and inst.override.properties:
                transparent = "TRANSP:TRANSPARENT" in inst.override.properties
            if inst.cancelled or transparent:
                continue
            m = max(s, lo)
            while m < min(e, hi):
                marks[m] = max(marks.get(m, 0), fb.rank)
                m += timedelta(minutes=1)
    return marks


def minutes_of(periods) -> dict[datetime, int]:
    marks: dict[datetime, int] = {}
    for p in periods:
        m = p.start.astimezone(UTC).replace(tzinfo=None)
        end = p.end.astimezone(UTC).replace(tzinfo=None)
        while m < end:
            assert m not in marks, "periods overlap"
            marks[m] = p.fbtype.rank
            m += timedelta(minutes=1)
    return marks


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_free_busy_matches_minute_by_minute_reference(case):
    w0, w1, users = case
    lo, hi = w0, w1
    for tz, entries in users:
        got = busy_periods([Commitment(ev, fbtype_for(st_)) for ev, st_ in entries], lo.replace(tzinfo=UTC),
                           hi.replace(tzinfo=UTC), tz=tz)
        # sorted, disjoint, never touching with the same type, inside the window
        for a, b in zip(got, got[1:]):
            assert a.end <= b.start
            assert not (a.end == b.start and a.fbtype == b.fbtype)
        assert all(lo.replace(tzinfo=UTC) <= p.start < p.end <= hi.replace(tzinfo=UTC) for p in got)
        assert minutes_of(got) == reference_minutes(entries, lo, hi, tz)
