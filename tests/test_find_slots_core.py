"""find_slots and working hours in the core: an exact small scenario, DST-correct working
hours, ranking of optional attendees, typed errors, and a property test (no slot overlaps
a required attendee's busy time or leaves their working hours; every grid slot that
satisfies both is returned)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentalk_sched.core.freebusy import (
    Availability, BusyPeriod, FBType, InvalidDuration, InvalidWindow, InvalidWorkingHours, SchedulingError,
    WorkingHours, find_slots,
)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def at(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def hm(slots):
    return [(s.start.strftime("%m-%d %H:%M"), s.end.strftime("%H:%M")) for s in slots]


# -- working hours --------------------------------------------------------------------------


def test_default_working_hours_follow_wall_time_across_dst():
    wh = WorkingHours.default(BERLIN)
    # Fri 28 Mar (CET) and Mon 31 Mar 2025 (CEST); the weekend in between is free
    got = wh.intervals(datetime(2025, 3, 28), datetime(2025, 4, 1))
    assert got == [
        (datetime(2025, 3, 28, 8), datetime(2025, 3, 28, 16)),
        (datetime(2025, 3, 31, 7), datetime(2025, 3, 31, 15)),
    ]


def test_working_hours_boundary_in_a_dst_gap_moves_forward():
    wh = WorkingHours.parse("sun 01:00-02:30", BERLIN)
    # 30 Mar 2025: 02:30 does not exist in Berlin and reads as 03:30 CEST = 01:30 UTC
    assert wh.intervals(datetime(2025, 3, 29), datetime(2025, 4, 1)) == [
        (datetime(2025, 3, 30, 0), datetime(2025, 3, 30, 1, 30)),
    ]


def test_night_shift_parts_join_across_midnight():
    wh = WorkingHours.parse("mon 22:00-24:00; tue 00:00-06:00", ZoneInfo("UTC"))
    assert wh.intervals(datetime(2025, 3, 10), datetime(2025, 3, 12)) == [
        (datetime(2025, 3, 10, 22), datetime(2025, 3, 11, 6)),
    ]


def test_parse_describe_and_mapping_round_trip():
    wh = WorkingHours.parse("mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00", BERLIN)
    assert wh.describe() == "mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00"
    assert WorkingHours.parse(wh.describe(), BERLIN) == wh
    assert WorkingHours.from_mapping(wh.to_mapping(), BERLIN) == wh
    assert wh.to_mapping()["fri"] == [["09:00", "13:00"]]
    assert WorkingHours.parse("none", BERLIN).describe() == "none"
    assert WorkingHours.default(BERLIN).describe() == "mon-fri 09:00-17:00"


@pytest.mark.parametrize("text", ["mon 17:00-09:00", "xyz 09:00-10:00", "mon 9-10", "mon 09:00-25:00", "mon", "fri-mon 09:00-10:00"])
def test_bad_working_hours_are_typed(text):
    with pytest.raises(InvalidWorkingHours) as info:
        WorkingHours.parse(text, BERLIN)
    assert info.value.code == "invalid_working_hours" and info.value.field == "working_hours"


# -- the known scenario ---------------------------------------------------------------------


def test_known_small_scenario_gives_exact_slots():
    """Mon 10 Mar 2025. Alice (Berlin, 09-17 = 08-16 UTC) is busy 09:00-10:30 and 12:00-13:00
    Berlin; Bob (New York, 09-17 = 13-21 UTC) is tentatively busy 14:00-14:30 UTC. Required
    both: the common working time is 13:00-16:00 UTC, minus Bob's 14:00-14:30."""
    alice = Availability("alice", [
        BusyPeriod(at(2025, 3, 10, 8), at(2025, 3, 10, 9, 30)),
        BusyPeriod(at(2025, 3, 10, 11), at(2025, 3, 10, 12)),
    ], WorkingHours.default(BERLIN))
    bob = Availability("bob", [BusyPeriod(at(2025, 3, 10, 14), at(2025, 3, 10, 14, 30), FBType.BUSY_TENTATIVE)],
                       WorkingHours.default(NY))
    carol = Availability("carol", [BusyPeriod(at(2025, 3, 10, 15), at(2025, 3, 10, 16))],
                         WorkingHours.default(ZoneInfo("UTC")), required=False)
    slots = find_slots([alice, bob, carol], H, at(2025, 3, 10), at(2025, 3, 11), step=timedelta(minutes=30),
                       order="start")
    assert hm(slots) == [("03-10 13:00", "14:00"), ("03-10 14:30", "15:30"), ("03-10 15:00", "16:00")]
    assert [s.optional_free for s in slots] == [("carol",), (), ()]
    # ranked: the slot carol can make comes first (it is also the earliest here)
    ranked = find_slots([alice, bob, carol], H, at(2025, 3, 10), at(2025, 3, 11), step=timedelta(minutes=30))
    assert [s.optional_free_count for s in ranked] == [1, 0, 0]
    # tentative time does not block when asked
    loose = find_slots([alice, bob], H, at(2025, 3, 10), at(2025, 3, 11), step=timedelta(minutes=30),
                       tentative_is_busy=False)
    assert hm(loose) == [("03-10 13:00", "14:00"), ("03-10 13:30", "14:30"), ("03-10 14:00", "15:00"),
                         ("03-10 14:30", "15:30"), ("03-10 15:00", "16:00")]
    assert len(find_slots([alice, bob], H, at(2025, 3, 10), at(2025, 3, 11), limit=2)) == 2


def test_ranking_puts_more_free_optional_attendees_first():
    boss = Availability("boss", [], WorkingHours.parse("mon 09:00-12:00", ZoneInfo("UTC")))
    o1 = Availability("o1", [BusyPeriod(at(2025, 3, 10, 9), at(2025, 3, 10, 10))], None, required=False)
    o2 = Availability("o2", [BusyPeriod(at(2025, 3, 10, 9), at(2025, 3, 10, 11))], None, required=False)
    slots = find_slots([boss, o1, o2], H, at(2025, 3, 10), at(2025, 3, 11), step=H)
    assert [(s.start.hour, s.optional_free) for s in slots] == [(11, ("o1", "o2")), (10, ("o1",)), (9, ())]


def test_find_slots_errors_are_typed():
    a = Availability("a")
    with pytest.raises(InvalidDuration) as info:
        find_slots([a], timedelta(0), at(2025, 1, 1), at(2025, 1, 2))
    assert (info.value.code, info.value.field) == ("not_positive", "duration")
    with pytest.raises(InvalidDuration) as info:
        find_slots([a], timedelta(days=2), at(2025, 1, 1), at(2025, 1, 2))
    assert (info.value.code, info.value.field) == ("longer_than_window", "duration")
    with pytest.raises(InvalidWindow) as info:
        find_slots([a], H, at(2025, 1, 1), at(2026, 1, 3))
    assert info.value.code == "window_too_long"
    with pytest.raises(SchedulingError) as info:
        find_slots([a], H, at(2025, 1, 1), at(2025, 1, 2), step=timedelta(0))
    assert (info.value.code, info.value.field) == ("not_positive", "step")
    with pytest.raises(SchedulingError) as info:
        find_slots([Availability("o", required=False)], H, at(2025, 1, 1), at(2025, 1, 2))
    assert info.value.code == "no_required_attendee"


def test_grid_is_anchored_at_the_window_start():
    a = Availability("a", [], None)
    slots = find_slots([a], H, at(2025, 1, 1, 9, 10), at(2025, 1, 1, 11, 10), step=timedelta(minutes=30))
    assert hm(slots) == [("01-01 09:10", "10:10"), ("01-01 09:40", "10:40"), ("01-01 10:10", "11:10")]


# -- property: slots are exactly the free grid positions ------------------------------------

W0 = datetime(2025, 3, 28)  # Fri; Europe changes to summer time on Sun 30 Mar
W1 = datetime(2025, 4, 2)


@st.composite
def attendee(draw, name: str):
    tz = draw(st.sampled_from([BERLIN, NY, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")]))
    wh = draw(st.sampled_from([
        WorkingHours.default(tz), WorkingHours.parse("mon-sun 07:00-19:00", tz),
        WorkingHours.parse("mon-fri 08:00-12:00,13:00-16:00; sun 01:00-03:00", tz), None,
    ]))
    busy = []
    for _ in range(draw(st.integers(0, 8))):
        s = W0 + timedelta(minutes=15 * draw(st.integers(0, 5 * 96)))
        busy.append(BusyPeriod(s.replace(tzinfo=UTC), (s + timedelta(minutes=15 * draw(st.integers(1, 16)))).replace(tzinfo=UTC),
                               draw(st.sampled_from([FBType.BUSY, FBType.BUSY_TENTATIVE]))))
    return Availability(name, busy, wh, required=draw(st.booleans()) or name == "a0")


@settings(deadline=None, max_examples=30)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*[attendee(f"a{i}") for i in range(n)])),
       st.sampled_from([timedelta(minutes=30), H, timedelta(minutes=90)]),
       st.sampled_from([timedelta(minutes=15), timedelta(minutes=30)]))
def test_slots_respect_busy_time_and_working_hours(people, duration, step):
    lo, hi = W0.replace(tzinfo=UTC), W1.replace(tzinfo=UTC)
    slots = find_slots(list(people), duration, lo, hi, step=step, order="start")

    def free(who, s, e) -> bool:
        if any(p.start < e and p.end > s for p in who.busy):
            return False
        if who.working_hours is None:
            return True
        # inside working hours, checked minute by minute in the attendee's own wall time
        m = s
        while m < e:
            wall = m.astimezone(who.working_hours.tz)
            mins = wall.hour * 60 + wall.minute
            if not any(a <= mins < b for a, b in who.working_hours.week[wall.weekday()]):
                return False
            m += timedelta(minutes=5)
        return True

    expected = []
    s = lo
    while s + duration <= hi:
        if all(free(w, s, s + duration) for w in people if w.required):
            expected.append((s, tuple(w.attendee for w in people if not w.required and free(w, s, s + duration))))
        s += step
    assert [(sl.start, sl.optional_free) for sl in slots] == expected
    assert all(sl.end - sl.start == duration for sl in slots)
