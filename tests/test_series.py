"""Direct tests of SPEC §1's readings on whole series (issue 2).

Each test states the reading it pins down; values are exact (aware starts are compared
with their UTC offset, so a wrong DST offset fails). Where SPEC §1 differs from
recurring-ical-events/dateutil, this is where our reading is tested (the property tests
leave those shapes out).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.core import (
    Event, InstanceStatus, InvalidRecurrence, Override, OverrideKind, RecurrenceSet, Series, Timeline, Timing,
)
from opentalk_sched.ical.importer import read_calendar

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def series(start, end, tz, *lines, overrides=None) -> Series:
    rs = RecurrenceSet.from_lines(lines) if lines else None
    ev = Event.new("series", Timing(start, end, tz, rs))
    if overrides:
        ev.overrides = {ov.recurrence_id: ov for ov in overrides}
    return Series(ev)


def imported(*vevents: str) -> Series:
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//opentalk-sched//tests//EN"])
    for body in vevents:
        text += "\r\nBEGIN:VEVENT\r\nUID:s@opentalk.test\r\nDTSTAMP:20240101T000000Z\r\n"
        text += "\r\n".join(line.strip() for line in body.strip().splitlines())
        text += "\r\nEND:VEVENT"
    text += "\r\nEND:VCALENDAR\r\n"
    (event,) = read_calendar(text.encode()).events
    return Series(event)


def iso(instances) -> list[str]:
    """Starts as ISO text: aware values with their offset, dates as dates."""
    return [i.start.isoformat() for i in instances]


def ids(instances) -> list[str]:
    return [i.instance_id for i in instances]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- DST: a wall time in a gap moves forward, an ambiguous one takes the earlier offset --


def test_gap_moves_forward_and_still_counts():
    s = series(datetime(2025, 3, 8, 2, 30), datetime(2025, 3, 8, 3), NY, "RRULE:FREQ=DAILY;COUNT=3")
    found = s.overlapping(utc(2025, 3, 1), utc(2025, 4, 1))
    assert iso(found) == ["2025-03-08T02:30:00-05:00", "2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00"]
    assert [i.end.isoformat() for i in found][1] == "2025-03-09T04:00:00-04:00"
    assert ids(found) == ["20250308T073000Z", "20250309T073000Z", "20250310T063000Z"]


def test_gap_occurrence_is_found_by_its_id_and_its_instant():
    # regression: the occurrence was named by the non-existent wall time 02:30, so its
    # id (07:30Z = 03:30 EDT) and its instant looked up 03:30 and found nothing
    s = series(datetime(2025, 3, 8, 2, 30), datetime(2025, 3, 8, 3), NY, "RRULE:FREQ=DAILY;COUNT=3")
    by_id = s.instance_by_id("20250309T073000Z")
    assert by_id is not None and by_id.start.isoformat() == "2025-03-09T03:30:00-04:00"
    assert by_id.recurrence_id == datetime(2025, 3, 9, 3, 30)
    assert s.instance(utc(2025, 3, 9, 7, 30)).instance_id == "20250309T073000Z"
    assert s.instance(datetime(2025, 3, 9, 2, 30)).instance_id == "20250309T073000Z"  # as the rule says it
    assert s.is_occurrence(datetime(2025, 3, 9, 3, 30)) is True
    assert s.instance_by_id("20250309T063000Z") is None  # 02:30 EDT is not an occurrence


@pytest.mark.parametrize("rule, expected", [
    # HOURLY: 02:00 and 03:00 are one instant, one occurrence
    ("FREQ=HOURLY;COUNT=5", ["01:00:00-05:00", "03:00:00-04:00", "04:00:00-04:00", "05:00:00-04:00"]),
    # MINUTELY: 02:00/03:00 and 02:30/03:30 too, though not adjacent (regression: they
    # came out twice, with the same instance id, out of start order)
    ("FREQ=MINUTELY;INTERVAL=30;COUNT=8",
     ["01:00:00-05:00", "01:30:00-05:00", "03:00:00-04:00", "03:30:00-04:00", "04:00:00-04:00", "04:30:00-04:00"]),
])
def test_one_occurrence_per_instant_across_a_gap(rule, expected):
    s = series(datetime(2025, 3, 9, 1), datetime(2025, 3, 9, 1, 10), NY, f"RRULE:{rule}")
    found = s.overlapping(utc(2025, 3, 9), utc(2025, 3, 10))
    assert [t.split("T")[1] for t in iso(found)] == expected
    assert len(set(ids(found))) == len(found)
    assert [s.instance_by_id(i).instance_id for i in ids(found)] == ids(found)
    assert [i.recurrence_id for i in list(s)] == [i.recurrence_id for i in found]


def test_override_of_a_gap_occurrence_applies_whatever_form_its_recurrence_id_has():
    # regression: RECURRENCE-ID in UTC named 03:30, the occurrence was named 02:30
    for rid in ("RECURRENCE-ID:20250309T073000Z", "RECURRENCE-ID;TZID=America/New_York:20250309T023000"):
        s = imported(
            """DTSTART;TZID=America/New_York:20250308T023000
               DTEND;TZID=America/New_York:20250308T030000
               RRULE:FREQ=DAILY;COUNT=3
               SUMMARY:night shift""",
            f"""{rid}
               DTSTART;TZID=America/New_York:20250309T033000
               DTEND;TZID=America/New_York:20250309T040000
               SUMMARY:night shift (changed)""",
        )
        found = s.overlapping(utc(2025, 3, 1), utc(2025, 4, 1))
        assert [i.title for i in found] == ["night shift", "night shift (changed)", "night shift"], rid
        assert iso(found)[1] == "2025-03-09T03:30:00-04:00"


def test_ambiguous_time_takes_the_earlier_offset():
    s = series(datetime(2025, 11, 1, 1, 30), datetime(2025, 11, 1, 2), NY, "RRULE:FREQ=DAILY;COUNT=3")
    assert iso(s.overlapping(utc(2025, 10, 1), utc(2025, 12, 1))) == [
        "2025-11-01T01:30:00-04:00", "2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00",
    ]
    hourly = series(datetime(2025, 11, 2, 0), datetime(2025, 11, 2, 0, 10), NY, "RRULE:FREQ=HOURLY;COUNT=3")
    assert iso(hourly) == ["2025-11-02T00:00:00-04:00", "2025-11-02T01:00:00-04:00", "2025-11-02T02:00:00-05:00"]


# -- COUNT, EXDATE, RDATE -----------------------------------------------------------------


def test_dtstart_counts_toward_count_even_when_the_rule_does_not_match_it():
    # case 46: a Wednesday DTSTART with a Thursdays rule: DTSTART + 2 Thursdays
    s = series(datetime(2017, 3, 1, 10), datetime(2017, 3, 1, 11), None, "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=3")
    assert iso(s) == ["2017-03-01T10:00:00", "2017-03-02T10:00:00", "2017-03-09T10:00:00"]


def test_exdate_does_not_refill_count():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), BERLIN,
               "RRULE:FREQ=DAILY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20250107T090000",
               "EXDATE:20250108T080000Z")  # the same kind of value in UTC
    assert iso(s) == ["2025-01-06T09:00:00+01:00", "2025-01-09T09:00:00+01:00"]


def test_exdate_of_dtstart_removes_it_and_it_still_counts():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), BERLIN,
               "RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Europe/Berlin:20250106T090000")
    assert iso(s) == ["2025-01-07T09:00:00+01:00", "2025-01-08T09:00:00+01:00"]


def test_date_exdate_on_a_datetime_series_removes_that_local_date():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), NY,
               "RRULE:FREQ=DAILY;BYHOUR=9,23;COUNT=6", "EXDATE;VALUE=DATE:20250107")
    # Jan 7 23:00 New York is Jan 8 in UTC: the local date decides
    assert iso(s) == ["2025-01-06T09:00:00-05:00", "2025-01-06T23:00:00-05:00",
                      "2025-01-08T09:00:00-05:00", "2025-01-08T23:00:00-05:00"]


def test_exdate_beats_rdate_and_an_rdate_on_an_occurrence_is_one_occurrence():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), BERLIN,
               "RRULE:FREQ=WEEKLY;COUNT=3",
               "RDATE;TZID=Europe/Berlin:20250113T090000,20250115T090000,20250116T090000",
               "EXDATE;TZID=Europe/Berlin:20250115T090000")
    assert iso(s) == ["2025-01-06T09:00:00+01:00", "2025-01-13T09:00:00+01:00",
                      "2025-01-16T09:00:00+01:00", "2025-01-20T09:00:00+01:00"]


def test_exrule_removes_its_own_occurrences_up_to_its_count():
    # regression: COUNT of an EXRULE was ignored, so it removed every other day forever;
    # DTSTART matches it and is its first occurrence, the 12th its second
    s = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), UTC,
               "RRULE:FREQ=DAILY;COUNT=6", "EXRULE:FREQ=DAILY;INTERVAL=2;COUNT=2")
    assert iso(s) == ["2025-03-11T09:00:00+00:00", "2025-03-13T09:00:00+00:00",
                      "2025-03-14T09:00:00+00:00", "2025-03-15T09:00:00+00:00"]
    # regression: any EXRULE removed DTSTART, also one it does not match (a Monday here);
    # then COUNT=2 is Tue 11 and Wed 12
    s = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), UTC,
               "RRULE:FREQ=DAILY;COUNT=5", "EXRULE:FREQ=WEEKLY;BYDAY=TU,WE;COUNT=2")
    assert iso(s) == ["2025-03-10T09:00:00+00:00", "2025-03-13T09:00:00+00:00", "2025-03-14T09:00:00+00:00"]
    hourly = ("RRULE:FREQ=HOURLY;COUNT=4", "EXRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=9,11")
    s = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), UTC, *hourly)
    assert iso(s) == ["2025-03-10T10:00:00+00:00", "2025-03-10T12:00:00+00:00"]
    hourly = ("RRULE:FREQ=HOURLY;COUNT=4", "EXRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=11")
    s = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), UTC, *hourly)
    assert iso(s) == ["2025-03-10T09:00:00+00:00", "2025-03-10T10:00:00+00:00", "2025-03-10T12:00:00+00:00"]


def test_rdate_before_dtstart_is_an_occurrence_in_every_window():
    # regression: it was dropped from windows that also held DTSTART (and kept in the
    # others); RFC 5545 §3.8.5.2: the set is DTSTART, RRULE and RDATE, minus EXDATE
    s = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), UTC,
               "RRULE:FREQ=DAILY;COUNT=2", "RDATE:20250301T090000Z,20250310T090000Z")
    expected = ["2025-03-01T09:00:00+00:00", "2025-03-10T09:00:00+00:00", "2025-03-11T09:00:00+00:00"]
    assert iso(s.overlapping(utc(2025, 2, 1), utc(2025, 4, 1))) == expected
    assert iso(s.overlapping(utc(2025, 2, 1), utc(2025, 3, 5))) == expected[:1]
    assert iso(s) == expected
    assert s.before(utc(2025, 3, 10)).instance_id == "20250301T090000Z"


def test_rdate_period_carries_its_own_end():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), UTC,
               "RDATE;VALUE=PERIOD:20250108T120000Z/PT3H")
    assert [(i.start.isoformat(), i.end.isoformat()) for i in s] == [
        ("2025-01-06T09:00:00+00:00", "2025-01-06T10:00:00+00:00"),
        ("2025-01-08T12:00:00+00:00", "2025-01-08T15:00:00+00:00"),
    ]


# -- parts taken from DTSTART, BYSETPOS, time parts on dates -------------------------------


def test_yearly_bymonthday_without_bymonth_repeats_in_dtstart_month():
    s = series(date(2025, 4, 16), date(2025, 4, 17), None, "RRULE:FREQ=YEARLY;BYMONTHDAY=16;COUNT=3")
    assert iso(s) == ["2025-04-16", "2026-04-16", "2027-04-16"]


def test_yearly_byweekno_without_byday_takes_dtstart_weekday():
    s = series(datetime(2025, 5, 13, 9), datetime(2025, 5, 13, 10), UTC, "RRULE:FREQ=YEARLY;BYWEEKNO=20;COUNT=3")
    assert iso(s) == ["2025-05-13T09:00:00+00:00", "2026-05-12T09:00:00+00:00", "2027-05-18T09:00:00+00:00"]


def test_bysetpos_counts_the_whole_wkst_week_when_dtstart_is_mid_week():
    # week MO..SU of Wed 2025-09-03 holds MO 1, WE 3, FR 5: the last is the Friday
    s = series(date(2025, 9, 3), date(2025, 9, 4), None, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=-1;COUNT=3")
    assert iso(s) == ["2025-09-03", "2025-09-05", "2025-09-12"]
    s = series(date(2025, 9, 3), date(2025, 9, 4), None, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=1;COUNT=3")
    assert iso(s) == ["2025-09-03", "2025-09-08", "2025-09-15"]  # DTSTART + the Mondays


def test_time_parts_are_ignored_on_a_date_series():
    s = series(date(2024, 3, 1), date(2024, 3, 2), None, "RRULE:FREQ=DAILY;BYHOUR=9,18;BYMINUTE=15;COUNT=3")
    assert iso(s) == ["2024-03-01", "2024-03-02", "2024-03-03"]


# -- UNTIL --------------------------------------------------------------------------------


def test_until_is_inclusive():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), BERLIN, "RRULE:FREQ=DAILY;UNTIL=20250108T080000Z")
    assert iso(s) == ["2025-01-06T09:00:00+01:00", "2025-01-07T09:00:00+01:00", "2025-01-08T09:00:00+01:00"]


def test_floating_and_date_until_are_read_in_the_series_zone():
    # 09:00 New York is 14:00 UTC: a floating UNTIL of 10:00 read as UTC would end on Jan 7
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), NY, "RRULE:FREQ=DAILY;UNTIL=20250108T100000")
    assert iso(s) == ["2025-01-06T09:00:00-05:00", "2025-01-07T09:00:00-05:00", "2025-01-08T09:00:00-05:00"]
    s = series(datetime(2025, 1, 6, 21), datetime(2025, 1, 6, 22), NY, "RRULE:FREQ=DAILY;UNTIL=20250108")
    assert iso(s) == ["2025-01-06T21:00:00-05:00", "2025-01-07T21:00:00-05:00", "2025-01-08T21:00:00-05:00"]


def test_until_before_dtstart_gives_only_dtstart():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), BERLIN, "RRULE:FREQ=DAILY;UNTIL=20250101T000000Z")
    assert iso(s) == ["2025-01-06T09:00:00+01:00"]
    assert s.span == (datetime(2025, 1, 6, 8), datetime(2025, 1, 6, 9))


# -- overrides ----------------------------------------------------------------------------


def _weekly_berlin(*overrides: Override) -> Series:
    return series(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), BERLIN,
                  "RRULE:FREQ=WEEKLY;COUNT=4", overrides=overrides)


def test_instance_moved_out_of_the_window_is_not_at_its_original_slot():
    s = _weekly_berlin(Override(datetime(2025, 3, 10, 9), start=datetime(2025, 3, 20, 15), end=datetime(2025, 3, 20, 16)))
    assert iso(s.overlapping(utc(2025, 3, 9), utc(2025, 3, 12))) == []
    moved = s.overlapping(utc(2025, 3, 20), utc(2025, 3, 21))
    assert iso(moved) == ["2025-03-20T15:00:00+01:00"]
    assert ids(moved) == ["20250310T080000Z"]  # named by its original start
    assert iso(s) == ["2025-03-03T09:00:00+01:00", "2025-03-17T09:00:00+01:00",
                      "2025-03-20T15:00:00+01:00", "2025-03-24T09:00:00+01:00"]


def test_instance_moved_into_the_window_from_far_away():
    s = _weekly_berlin(Override(datetime(2025, 3, 24, 9), start=datetime(2025, 2, 1, 9), end=datetime(2025, 2, 1, 10)))
    assert iso(s.overlapping(utc(2025, 1, 30), utc(2025, 2, 3))) == ["2025-02-01T09:00:00+01:00"]
    assert s.after(utc(2025, 1, 1)).instance_id == "20250324T080000Z"
    assert s.before(utc(2025, 12, 1)).instance_id == "20250317T080000Z"


def test_iteration_starts_at_an_instance_moved_to_before_dtstart():
    # regression: iteration started one day before DTSTART and never saw the first
    # instance moved five days earlier (window queries and after() did)
    s = _weekly_berlin(Override(datetime(2025, 3, 3, 9), start=datetime(2025, 2, 26, 9), end=datetime(2025, 2, 26, 10)))
    assert iso(s) == ["2025-02-26T09:00:00+01:00", "2025-03-10T09:00:00+01:00",
                      "2025-03-17T09:00:00+01:00", "2025-03-24T09:00:00+01:00"]
    assert s.before(utc(2025, 3, 10)).instance_id == "20250303T080000Z"


def test_cancelled_instance_is_hidden_unless_asked_for():
    s = _weekly_berlin(Override(datetime(2025, 3, 10, 9), kind=OverrideKind.CANCELLED))
    window = (utc(2025, 3, 1), utc(2025, 4, 1))
    assert ids(s.overlapping(*window)) == ["20250303T080000Z", "20250317T080000Z", "20250324T080000Z"]
    shown = s.overlapping(*window, include_cancelled=True)
    assert [(i.instance_id, i.status) for i in shown] == [
        ("20250303T080000Z", InstanceStatus.OK), ("20250310T080000Z", InstanceStatus.CANCELLED),
        ("20250317T080000Z", InstanceStatus.OK), ("20250324T080000Z", InstanceStatus.OK),
    ]
    assert s.instance_by_id("20250310T080000Z").cancelled is True


def test_this_and_future_override_changes_that_and_every_later_instance():
    s = imported(
        """DTSTART;TZID=Europe/Berlin:20250303T090000
           DTEND;TZID=Europe/Berlin:20250303T100000
           RRULE:FREQ=WEEKLY;COUNT=4
           SUMMARY:sync""",
        """RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20250310T090000
           DTSTART;TZID=Europe/Berlin:20250310T110000
           DTEND;TZID=Europe/Berlin:20250310T113000
           SUMMARY:sync (later)""",
    )
    found = s.overlapping(utc(2025, 3, 1), utc(2025, 4, 1))
    assert [(i.start.isoformat(), i.end.isoformat(), i.title) for i in found] == [
        ("2025-03-03T09:00:00+01:00", "2025-03-03T10:00:00+01:00", "sync"),
        ("2025-03-10T11:00:00+01:00", "2025-03-10T11:30:00+01:00", "sync (later)"),
        ("2025-03-17T11:00:00+01:00", "2025-03-17T11:30:00+01:00", "sync (later)"),
        ("2025-03-24T11:00:00+01:00", "2025-03-24T11:30:00+01:00", "sync (later)"),
    ]
    assert ids(found) == ["20250303T080000Z", "20250310T080000Z", "20250317T080000Z", "20250324T080000Z"]


@pytest.mark.parametrize("rid", [
    "RECURRENCE-ID:20250310T080000Z",
    "RECURRENCE-ID;TZID=America/New_York:20250310T040000",
    "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000",
    "RECURRENCE-ID;VALUE=DATE:20250310",
])
def test_recurrence_id_matches_whatever_form_it_is_written_in(rid):
    s = imported(
        """DTSTART;TZID=Europe/Berlin:20250303T090000
           DTEND;TZID=Europe/Berlin:20250303T100000
           RRULE:FREQ=WEEKLY;COUNT=3
           SUMMARY:sync""",
        f"""{rid}
           DTSTART;TZID=Europe/Berlin:20250311T090000
           DTEND;TZID=Europe/Berlin:20250311T100000
           SUMMARY:sync (moved)""",
    )
    found = s.overlapping(utc(2025, 3, 1), utc(2025, 4, 1))
    assert [(i.start.isoformat(), i.title, i.instance_id) for i in found] == [
        ("2025-03-03T09:00:00+01:00", "sync", "20250303T080000Z"),
        ("2025-03-11T09:00:00+01:00", "sync (moved)", "20250310T080000Z"),
        ("2025-03-17T09:00:00+01:00", "sync", "20250317T080000Z"),
    ]


@pytest.mark.parametrize("first, second, winner", [
    ("SEQUENCE:2", "SEQUENCE:1", "a"),  # higher SEQUENCE wins, wherever it is in the file
    ("SEQUENCE:1\nLAST-MODIFIED:20250102T000000Z", "SEQUENCE:1\nLAST-MODIFIED:20250101T000000Z", "a"),
    ("SEQUENCE:1\nLAST-MODIFIED:20250101T000000Z", "SEQUENCE:1\nLAST-MODIFIED:20250102T000000Z", "b"),
    ("SEQUENCE:1", "SEQUENCE:1", "b"),  # then the later one in the file
])
def test_duplicate_override_precedence(first, second, winner):
    master = """DTSTART;TZID=Europe/Berlin:20250303T090000
                DTEND;TZID=Europe/Berlin:20250303T100000
                RRULE:FREQ=WEEKLY;COUNT=2
                SUMMARY:sync"""
    child = "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000\nDTSTART;TZID=Europe/Berlin:20250310T090000\n" \
            "DTEND;TZID=Europe/Berlin:20250310T100000\n"
    s = imported(master, child + f"SUMMARY:a\n{first}", child + f"SUMMARY:b\n{second}")
    assert [i.title for i in s] == ["sync", winner]


# -- overlap rules ------------------------------------------------------------------------


def test_zero_length_instance_matches_from_window_start_inclusive_to_end_exclusive():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 9), UTC, "RRULE:FREQ=DAILY;COUNT=3")
    assert iso(s.overlapping(utc(2025, 1, 7, 9), utc(2025, 1, 8, 9))) == ["2025-01-07T09:00:00+00:00"]
    assert iso(s.overlapping(utc(2025, 1, 7, 8), utc(2025, 1, 7, 9))) == []
    assert iso(s.overlapping(utc(2025, 1, 7, 9), utc(2025, 1, 7, 9, 0, 1))) == ["2025-01-07T09:00:00+00:00"]


def test_timed_instance_touching_the_window_does_not_overlap_it():
    s = series(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10), UTC, "RRULE:FREQ=DAILY;COUNT=3")
    assert iso(s.overlapping(utc(2025, 1, 7, 10), utc(2025, 1, 8, 9))) == []
    assert iso(s.overlapping(utc(2025, 1, 7, 9, 59), utc(2025, 1, 8, 9))) == ["2025-01-07T09:00:00+00:00"]


def test_all_day_instance_covers_its_date_in_utc_when_it_has_no_zone():
    s = series(date(2024, 1, 1), date(2024, 1, 4), None, "RRULE:FREQ=WEEKLY;COUNT=3")  # 3-day instances
    assert iso(s.overlapping(date(2024, 1, 10), date(2024, 1, 15))) == ["2024-01-08"]  # Jan 8-10 (case 22)
    assert iso(s.overlapping(utc(2024, 1, 10, 23, 59), utc(2024, 1, 11))) == ["2024-01-08"]
    assert iso(s.overlapping(utc(2024, 1, 11), utc(2024, 1, 15))) == []
    assert iso(s.overlapping(datetime(2024, 1, 11, 0, 30, tzinfo=BERLIN), utc(2024, 1, 12))) == ["2024-01-08"]


@pytest.mark.parametrize("day, next_midnight", [
    (date(2025, 3, 30), "2025-03-31T00:00:00+02:00"),  # 23 hours
    (date(2025, 10, 26), "2025-10-27T00:00:00+01:00"),  # 25 hours
])
def test_all_day_instance_in_a_zone_ends_at_the_next_local_midnight(day, next_midnight):
    # regression: the end was start + 24 h, so on DST days the instance overlapped the
    # first hour of the next day (spring) or missed the last hour of its own day (autumn)
    s = series(day - timedelta(days=1), day, BERLIN, "RRULE:FREQ=DAILY;COUNT=3")
    inst = [i for i in s if i.start == day][0]
    assert inst.end == date.fromisoformat(next_midnight[:10])
    assert s.present(inst.end_key, all_day=False).isoformat() == next_midnight
    end = datetime.fromisoformat(next_midnight)
    before, after = end - timedelta(minutes=30), end + timedelta(minutes=30)
    assert iso(s.overlapping(before, end)) == [day.isoformat()]
    assert iso(s.overlapping(end, after)) == [(day + timedelta(days=1)).isoformat()]


# -- instance ids -------------------------------------------------------------------------


def test_instance_id_forms_and_lookup():
    zoned = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), BERLIN, "RRULE:FREQ=DAILY;COUNT=3")
    floating = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), None, "RRULE:FREQ=DAILY;COUNT=3")
    all_day = series(date(2025, 3, 10), date(2025, 3, 11), None, "RRULE:FREQ=DAILY;COUNT=3")
    assert ids(zoned) == ["20250310T080000Z", "20250311T080000Z", "20250312T080000Z"]
    assert ids(floating) == ["20250310T090000", "20250311T090000", "20250312T090000"]
    assert ids(all_day) == ["20250310T000000Z", "20250311T000000Z", "20250312T000000Z"]
    assert zoned.instance_by_id("20250311T080000Z").start.isoformat() == "2025-03-11T09:00:00+01:00"
    assert zoned.instance_by_id("20250311T090000+0100").instance_id == "20250311T080000Z"
    assert zoned.instance_by_id("20250311T030000-0500").instance_id == "20250311T080000Z"
    assert floating.instance_by_id("20250311T090000").start.isoformat() == "2025-03-11T09:00:00"
    assert all_day.instance_by_id("20250311T000000Z").start == date(2025, 3, 11)
    assert all_day.instance_by_id("20250311T010000+0100").start == date(2025, 3, 11)
    # not an occurrence, malformed, or the wrong form for the series: not found
    for s, bad in [(zoned, "20250311T090000Z"), (zoned, "20250311T080000"), (zoned, "2025-03-11T08:00:00Z"),
                   (zoned, "20250313T080000Z"), (floating, "20250311T090000Z"),
                   (all_day, "20250311T120000Z"), (all_day, "20250311T000000"), (zoned, "20250231T080000Z")]:
        assert s.instance_by_id(bad) is None, bad


# -- far from DTSTART ---------------------------------------------------------------------


def test_secondly_rule_twenty_years_after_dtstart():
    s = series(datetime(2005, 1, 1, 0, 0, 0), datetime(2005, 1, 1, 0, 0, 1), UTC, "RRULE:FREQ=SECONDLY;INTERVAL=7")
    found = s.overlapping(utc(2025, 1, 1), utc(2025, 1, 1, 0, 0, 30))
    # 2005-01-01 .. 2025-01-01 is 631152000 s = 7 * 90164571 + 3: the first is at 00:00:04
    assert ids(found) == ["20250101T000004Z", "20250101T000011Z", "20250101T000018Z", "20250101T000025Z"]
    assert s.after(utc(2025, 1, 1)).instance_id == "20250101T000004Z"
    assert s.before(utc(2025, 1, 1)).instance_id == "20241231T235957Z"


def test_minutely_rule_twenty_years_after_dtstart_in_a_zone():
    s = series(datetime(2005, 6, 1, 8, 0), datetime(2005, 6, 1, 8, 5), BERLIN,
               "RRULE:FREQ=MINUTELY;INTERVAL=45;BYHOUR=8,9,10")
    found = s.overlapping(datetime(2025, 6, 2, tzinfo=BERLIN), datetime(2025, 6, 3, tzinfo=BERLIN))
    # minutes from 2005-06-01 08:00 to 2025-06-02 08:00 (wall): 7306 days * 1440 = 10520640
    # = 45 * 233792; so 08:00 is on the grid, then 08:45, 09:30, 10:15
    assert iso(found) == ["2025-06-02T08:00:00+02:00", "2025-06-02T08:45:00+02:00",
                          "2025-06-02T09:30:00+02:00", "2025-06-02T10:15:00+02:00"]


def test_after_an_endless_rule_that_never_matches_again_is_none():
    # regression: the forward scan computed key + step past year 9999 (OverflowError)
    s = series(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), UTC, "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")
    assert s.after(utc(2025, 3, 11)) is None
    assert iso(s) == ["2025-03-10T09:00:00+00:00"]
    assert s.before(utc(9000, 1, 1)).instance_id == "20250310T090000Z"


@pytest.mark.parametrize("start, end, tz", [
    (datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), BERLIN),
    (datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), None),
    (date(2025, 3, 10), date(2025, 3, 11), None),
])
@pytest.mark.parametrize("lo, hi", [
    (date.min, date.max), (datetime.min, datetime.max), (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)),
])
def test_queries_with_the_widest_bounds(start, end, tz, lo, hi):
    # regression: OverflowError (floating bounds were not clamped; the UTC offset of
    # 9999-12-31 was compared with that of a day after it)
    s = series(start, end, tz, "RRULE:FREQ=DAILY;COUNT=3")
    assert len(s.overlapping(lo, hi)) == 3
    assert s.after(lo).recurrence_id == start
    assert s.before(hi).recurrence_id == start + timedelta(days=2)


# -- typed errors -------------------------------------------------------------------------


@pytest.mark.parametrize("line, code", [
    ("RRULE:FREQ=FORTNIGHTLY", "unknown_freq"),
    ("RRULE:FREQ=WEEKLY;BYDAY=MO,XY", "invalid_part"),
    ("RRULE:FREQ=DAILY;COUNT=2;UNTIL=20250101T000000Z", "count_and_until"),
])
def test_bad_rules_are_typed_errors_with_code_and_value(line, code):
    with pytest.raises(InvalidRecurrence) as info:
        RecurrenceSet.from_lines([line])
    assert (info.value.code, info.value.field, info.value.value) == (code, "RRULE", line[len("RRULE:"):])


def test_hourly_on_a_date_series_is_a_typed_error():
    with pytest.raises(InvalidRecurrence) as info:
        series(date(2025, 1, 1), date(2025, 1, 2), None, "RRULE:FREQ=HOURLY;INTERVAL=2")
    assert (info.value.code, info.value.field, info.value.value) == ("freq_needs_time", "RRULE", "FREQ=HOURLY;INTERVAL=2")


def test_a_timeline_raises_at_once_for_an_hourly_rule_on_a_date_series():
    bad = Event.new("bad", Timing(date(2025, 1, 1), date(2025, 1, 2), None,
                                  RecurrenceSet.from_lines(["RRULE:FREQ=HOURLY"])))
    fine = Event.new("fine", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), None,
                                    RecurrenceSet.from_lines(["RRULE:FREQ=HOURLY;COUNT=2"])))
    with pytest.raises(InvalidRecurrence) as info:
        Timeline([fine, bad])
    assert info.value.code == "freq_needs_time"


def test_import_names_the_series_and_the_bad_value():
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:bad@opentalk.test\r\n"
            "DTSTAMP:20240101T000000Z\r\nDTSTART;VALUE=DATE:20250101\r\nRRULE:FREQ=HOURLY\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(InvalidRecurrence) as info:
        read_calendar(text.encode())
    assert (info.value.code, info.value.uid, info.value.value) == ("freq_needs_time", "bad@opentalk.test", "FREQ=HOURLY")
