"""Rules that can never produce another occurrence stop early; ids at the calendar's edges."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.core import Event, InvalidInstanceId, RecurrenceSet, Series, Timing, parse_instance_id

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("rule", [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
])
def test_a_rule_that_never_matches_has_only_dtstart(rule):
    ev = Event.new("x", Timing(datetime(2024, 1, 1, 9), datetime(2024, 1, 1, 10), BERLIN,
                               RecurrenceSet.from_lines([rule])))
    s = Series(ev)
    assert [i.instance_id for i in s.overlapping(datetime(2020, 1, 1), datetime(2100, 1, 1))] == ["20240101T080000Z"]
    assert s.after(datetime(2024, 6, 1)) is None
    assert len(list(s)) == 1


def test_a_rare_rule_is_still_found_far_apart():
    # Feb 29 every third year: 12 years between occurrences
    ev = Event.new("x", Timing(datetime(2024, 2, 29, 9), datetime(2024, 2, 29, 10), BERLIN,
                               RecurrenceSet.from_lines(["FREQ=YEARLY;INTERVAL=3"])))
    s = Series(ev)
    assert s.after(datetime(2030, 1, 1)).start == datetime(2036, 2, 29, 9, tzinfo=BERLIN)
    assert [i.start.year for i in s.overlapping(datetime(2024, 1, 1), datetime(2080, 1, 1))] == [2024, 2036, 2048, 2060, 2072]


@pytest.mark.parametrize("text", ["20250310T090000+0160", "99991231T235959-2359", "00010101T000000+2300", "20250310T090000+2400"])
def test_offsets_out_of_range_are_malformed_ids(text):
    with pytest.raises(InvalidInstanceId) as info:
        parse_instance_id(text)
    assert info.value.field == "instance_id" and info.value.value == text
