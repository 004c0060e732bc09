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


def test_moved_instance_of_a_series_switched_to_all_day_covers_a_whole_day():
    from zoneinfo import ZoneInfo

    ev = Event.new("W", Timing(date(2026, 3, 16), date(2026, 3, 17), ZoneInfo("Europe/Berlin"),
                               RecurrenceSet.from_lines(["FREQ=WEEKLY;COUNT=3"])))
    # a timed override left from before the switch: shown all-day, at least one day long
    ev.overrides = {date(2026, 3, 23): Override(date(2026, 3, 23), start=datetime(2026, 3, 24, 9), end=datetime(2026, 3, 24, 10))}
    inst = Series(ev).instance(date(2026, 3, 23))
    assert inst.is_all_day is True
    assert (inst.start, inst.end) == (date(2026, 3, 24), date(2026, 3, 25))


def test_an_rdate_period_must_end_after_it_starts():
    import pytest

    from opentalk_sched.core import InvalidRecurrence

    with pytest.raises(InvalidRecurrence) as info:
        RecurrenceSet.from_lines(["RDATE;VALUE=PERIOD:20260320T090000Z/20260320T080000Z"])
    assert (info.value.code, info.value.field) == ("invalid_period", "RDATE")
    assert "20260320T090000Z/20260320T080000Z" in info.value.value
    ok = RecurrenceSet.from_lines(["RDATE;VALUE=PERIOD:20260320T090000Z/PT1H"])
    assert ok.rdates[0].end == datetime(2026, 3, 20, 10, tzinfo=UTC)
