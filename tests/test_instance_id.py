"""Instance ids (SPEC §1): the original start, in UTC for zoned series, as wall time for
floating ones, midnight UTC of the date for all-day ones; ``+hhmm`` accepted on input."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentalk_sched.core import (
    Event, InvalidInstanceId, RecurrenceSet, Series, Timing, format_instance_id, parse_instance_id,
)

UTC = timezone.utc


@pytest.mark.parametrize("value, text", [
    (datetime(2025, 3, 10, 8, tzinfo=UTC), "20250310T080000Z"),
    (datetime(2025, 3, 10, 9, tzinfo=ZoneInfo("Europe/Berlin")), "20250310T080000Z"),
    (datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")), "20251102T063000Z"),
    (datetime(2025, 11, 2, 1, 30, tzinfo=ZoneInfo("America/New_York")), "20251102T053000Z"),
    (datetime(2025, 3, 10, 9, 0, 5), "20250310T090005"),
    (date(2025, 3, 10), "20250310T000000Z"),
])
def test_format(value, text):
    assert format_instance_id(value) == text


@pytest.mark.parametrize("text, value", [
    ("20250310T080000Z", datetime(2025, 3, 10, 8, tzinfo=UTC)),
    ("20250310T090000+0100", datetime(2025, 3, 10, 8, tzinfo=UTC)),
    ("20250310T033000-0430", datetime(2025, 3, 10, 8, tzinfo=UTC)),
    ("20250310T003000+0530", datetime(2025, 3, 9, 19, tzinfo=UTC)),  # the date changes too
    ("20250310T090000", datetime(2025, 3, 10, 9)),
])
def test_parse(text, value):
    got = parse_instance_id(text)
    assert got == value and (got.tzinfo is None) == (value.tzinfo is None)
    if got.tzinfo is not None:
        assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", [
    "", "2025-03-10T08:00:00Z", "20250310T0800Z", "20250310080000Z", "20250310T080000z",
    "20250231T080000Z", "20250310T250000Z", "20250310T235960Z", "20250310T080000+2400",
    "20250310T080000+01", "20250310T080000Z+0100", " 20250310T080000Z", "20250310T080000ZZ",
])
def test_malformed_ids_are_typed_errors(text):
    with pytest.raises(InvalidInstanceId) as info:
        parse_instance_id(text)
    assert (info.value.code, info.value.field, info.value.value) == ("invalid_instance_id", "instance_id", text)


@settings(deadline=None, max_examples=50)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
       st.integers(-14 * 60, 14 * 60))
def test_ids_round_trip_in_every_form(moment, offset_minutes):
    moment = moment.replace(microsecond=0)
    aware = moment.replace(tzinfo=UTC)
    assert parse_instance_id(format_instance_id(aware)) == aware
    assert parse_instance_id(format_instance_id(moment)) == moment  # floating
    day = moment.date()
    assert parse_instance_id(format_instance_id(day)) == datetime(day.year, day.month, day.day, tzinfo=UTC)
    # the +hhmm form names the same instant
    off = timedelta(minutes=offset_minutes)
    local = (moment + off).strftime("%Y%m%dT%H%M%S")
    sign = "+" if offset_minutes >= 0 else "-"
    hh, mm = divmod(abs(offset_minutes), 60)
    assert parse_instance_id(f"{local}{sign}{hh:02d}{mm:02d}") == aware


def test_every_instance_of_a_series_is_found_by_its_id_in_both_forms():
    ny = ZoneInfo("America/New_York")
    ev = Event.new("x", Timing(datetime(2025, 10, 30, 1, 30), datetime(2025, 10, 30, 2), ny,
                               RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=6"])))
    s = Series(ev)
    found = list(s)
    assert [i.instance_id for i in found] == [
        "20251030T053000Z", "20251031T053000Z", "20251101T053000Z",
        "20251102T053000Z",  # 01:30 on the fold day: the first (EDT) reading
        "20251103T063000Z", "20251104T063000Z",
    ]
    for inst in found:
        assert s.instance_by_id(inst.instance_id).recurrence_id == inst.recurrence_id
        local = inst.start.strftime("%Y%m%dT%H%M%S%z")  # e.g. 20251030T013000-0400
        assert s.instance_by_id(local).instance_id == inst.instance_id
