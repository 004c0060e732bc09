"""Exceptions on all-day series: timed overrides and RANGE=THISANDFUTURE shifts."""

from datetime import date, datetime, timezone

from opentalk_sched.core import Event, Override, RecurrenceSet, Series, Timing

UTC = timezone.utc


def _daily_all_day(count: int) -> Event:
    return Event.new("A", Timing(date(2025, 3, 3), date(2025, 3, 4), None,
                                 RecurrenceSet.from_lines([f"FREQ=DAILY;COUNT={count}"])))


def test_timed_override_of_an_all_day_series_keeps_its_time():
    ev = _daily_all_day(3)
    ev.overrides = {date(2025, 3, 4): Override(
        date(2025, 3, 4), is_all_day=False, start=datetime(2025, 3, 4, 9), end=datetime(2025, 3, 4, 10))}
    inst = Series(ev).instance(date(2025, 3, 4))
    assert inst.is_all_day is False
    assert inst.start == datetime(2025, 3, 4, 9, tzinfo=UTC)
    assert inst.end == datetime(2025, 3, 4, 10, tzinfo=UTC)
    assert inst.instance_id == "20250304T000000Z"
    found = Series(ev).overlapping(datetime(2025, 3, 4, 9, 30, tzinfo=UTC), datetime(2025, 3, 4, 9, 45, tzinfo=UTC))
    assert [i.instance_id for i in found] == ["20250304T000000Z"]


def test_this_and_future_shift_on_an_all_day_series():
    ev = _daily_all_day(5)
    ev.overrides = {date(2025, 3, 5): Override(
        date(2025, 3, 5), start=date(2025, 3, 6), end=date(2025, 3, 7), this_and_future=True)}
    starts = [i.start for i in Series(ev).overlapping(date(2025, 3, 1), date(2025, 4, 1))]
    assert starts == [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 6), date(2025, 3, 7), date(2025, 3, 8)]
