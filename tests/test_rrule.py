"""RRULE parsing and the rule iterator in wall time (RFC 5545 §3.3.10), issue 2.

Parsing: typed errors with their documented codes and the offending text, and the
canonical text round trip. Iteration: readings where libraries differ, each with the
exact dates worked out by hand from the RFC's definitions (week numbers: week 1 is the
first WKST-aligned week with at least four days of the year).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import islice

import pytest

from opentalk_sched.core import InvalidRecurrence, RRule, RuleIterator
from opentalk_sched.core.model import UTC


def expand(rule: str, dtstart, until, lo=None) -> list[str]:
    """DTSTART plus the rule's occurrences before ``until`` (ISO strings, no COUNT)."""
    it = RuleIterator(RRule.parse(rule), dtstart)
    found = list(it.between(lo, until))
    head = [dtstart] if lo is None else []
    return [d.isoformat() for d in head + found]


def days(*texts: str) -> list[str]:
    """``days("2024-01-01..03", "2024-12-30")`` → every date, ISO, ranges inclusive."""
    out = []
    for t in texts:
        first, _, last = t.partition("..")
        d = date.fromisoformat(first)
        end = d.replace(day=int(last)) if last else d
        while d <= end:
            out.append(d.isoformat())
            d += timedelta(days=1)
    return out


# -- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, code", [
    ("FREQ=FORTNIGHTLY", "unknown_freq"),
    ("INTERVAL=2;BYDAY=MO", "missing_freq"),
    ("FREQ=WEEKLY;BYDAY=XX", "invalid_part"),
    ("FREQ=WEEKLY;BYDAY=MO,", "invalid_part"),
    ("FREQ=MONTHLY;BYDAY=54MO", "invalid_part"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20250101T000000Z", "count_and_until"),
    ("FREQ=DAILY;UNTIL=2025-01-01", "invalid_until"),
    ("FREQ=DAILY;INTERVAL=0", "invalid_part"),
    ("FREQ=DAILY;COUNT=0", "invalid_part"),
    ("FREQ=DAILY;COUNT=x", "invalid_part"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "invalid_part"),
    ("FREQ=MONTHLY;BYMONTHDAY=32", "invalid_part"),
    ("FREQ=YEARLY;BYMONTH=13", "invalid_part"),
    ("FREQ=YEARLY;BYMONTH=-1", "invalid_part"),
    ("FREQ=DAILY;BYHOUR=24", "invalid_part"),
    ("FREQ=YEARLY;BYWEEKNO=54", "invalid_part"),
    ("FREQ=YEARLY;BYYEARDAY=367", "invalid_part"),
    ("FREQ=DAILY;FREQ=WEEKLY", "invalid_part"),
    ("FREQ=DAILY;BYFOO=1", "invalid_part"),
    ("FREQ=DAILY;COUNT", "invalid_part"),
    ("FREQ=WEEKLY;WKST=XX", "invalid_part"),
])
def test_invalid_rules_raise_typed_errors(text, code):
    with pytest.raises(InvalidRecurrence) as info:
        RRule.parse(text)
    err = info.value
    assert (err.code, err.field, err.value) == (code, "RRULE", text)


def test_error_value_is_the_whole_line_as_written():
    with pytest.raises(InvalidRecurrence) as info:
        RRule.parse("RRULE:FREQ=SOMETIMES;COUNT=2")
    assert (info.value.code, info.value.value) == ("unknown_freq", "RRULE:FREQ=SOMETIMES;COUNT=2")


def test_parse_reads_every_part():
    r = RRule.parse("rrule:freq=monthly;interval=2;count=5;byday=+1mo,-2FR,TU;bymonthday=1,-1;"
                    "bymonth=3,9;bysetpos=-1;wkst=su;byhour=9;byminute=30;bysecond=60;x-custom=1")
    assert r == RRule(
        freq=1, interval=2, count=5, byday=((1, 0), (-2, 4), (0, 1)), bymonthday=(1, -1),
        bymonth=(3, 9), bysetpos=(-1,), wkst=6, byhour=(9,), byminute=(30,), bysecond=(60,),
    )


@pytest.mark.parametrize("until, value", [
    ("20250101", date(2025, 1, 1)),
    ("20250101T093000", datetime(2025, 1, 1, 9, 30)),
    ("20250101T093000Z", datetime(2025, 1, 1, 9, 30, tzinfo=UTC)),
])
def test_until_keeps_its_form(until, value):
    assert RRule.parse(f"FREQ=DAILY;UNTIL={until}").until == value


@pytest.mark.parametrize("text", [
    "FREQ=DAILY",
    "FREQ=WEEKLY;INTERVAL=2;COUNT=8;BYDAY=TU,TH;WKST=SU",
    "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
    "FREQ=MONTHLY;BYMONTHDAY=-3",
    "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
    "FREQ=YEARLY;INTERVAL=4;BYMONTHDAY=2,3,4,5,6,7,8;BYMONTH=11;BYDAY=TU",
    "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
    "FREQ=DAILY;BYMINUTE=0,20,40;BYHOUR=9,10",
    "FREQ=DAILY;UNTIL=20250101",
])
def test_canonical_text_round_trips(text):
    assert str(RRule.parse(text)) == text
    assert RRule.parse(str(RRule.parse(text))) == RRule.parse(text)


def test_hourly_rule_on_a_date_series_is_a_typed_error():
    with pytest.raises(InvalidRecurrence) as info:
        RuleIterator(RRule.parse("FREQ=HOURLY"), date(2025, 1, 1))
    assert (info.value.code, info.value.field, info.value.value) == ("freq_needs_time", "RRULE", "FREQ=HOURLY")


# -- readings -----------------------------------------------------------------------------


def test_byday_mixing_ordinal_and_plain_days_is_the_union():
    # RFC 5545 §3.3.10: BYDAY is a list of days; each entry adds days. dateutil keeps only
    # the days in *both* lists (so recurring-ical-events shows none of these but the 1st MO).
    assert expand("FREQ=MONTHLY;BYDAY=1MO,FR", datetime(2025, 9, 1, 9), datetime(2025, 10, 1)) == [
        "2025-09-01T09:00:00", "2025-09-05T09:00:00", "2025-09-12T09:00:00",
        "2025-09-19T09:00:00", "2025-09-26T09:00:00",
    ]


def test_yearly_ordinal_byday_counts_in_the_year_without_bymonth_and_in_the_month_with_it():
    assert expand("FREQ=YEARLY;BYDAY=-1SU", date(2024, 12, 29), date(2027, 1, 1)) == [
        "2024-12-29", "2025-12-28", "2026-12-27",
    ]
    assert expand("FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU", date(2025, 3, 30), date(2027, 1, 1)) == [
        "2025-03-30", "2025-10-26", "2026-03-29", "2026-10-25",
    ]


def test_ordinals_in_a_weekly_or_daily_rule_mean_every_such_day():
    assert expand("FREQ=WEEKLY;BYDAY=2TU", date(2025, 9, 2), date(2025, 9, 20)) == [
        "2025-09-02", "2025-09-09", "2025-09-16",
    ]


def test_monthly_without_day_parts_takes_dtstart_day_and_skips_short_months():
    assert expand("FREQ=MONTHLY", date(2025, 1, 31), date(2025, 9, 1)) == [
        "2025-01-31", "2025-03-31", "2025-05-31", "2025-07-31", "2025-08-31",
    ]


def test_leap_day_yearly_only_in_leap_years():
    assert expand("FREQ=YEARLY", date(2024, 2, 29), date(2033, 1, 1)) == ["2024-02-29", "2028-02-29", "2032-02-29"]


def test_negative_byyearday_counts_from_the_end_of_each_year():
    assert expand("FREQ=YEARLY;BYYEARDAY=-1,-366", date(2023, 12, 31), date(2026, 1, 1)) == [
        "2023-12-31", "2024-01-01", "2024-12-31", "2025-12-31",
    ]


# BYWEEKNO: the YEARLY period is the calendar year (regression: the engine used the
# week-numbering year, so INTERVAL and BYSETPOS counted the wrong days at the turn of
# the year, and a window starting on Jan 2..3 missed days of the previous year's last week).


def test_byweekno_interval_counts_calendar_years():
    # week 1 of 2025 starts Mon 2024-12-30, so calendar year 2024 holds Jan 1-7 and
    # Dec 30-31; week 1 of 2026 starts Mon 2025-12-29 (2025 is skipped by INTERVAL=2),
    # so 2026 holds Jan 1-4 only; week 1 of 2028 is Jan 3-9.
    rule = "FREQ=YEARLY;INTERVAL=2;BYWEEKNO=1;BYDAY=MO,TU,WE,TH,FR,SA,SU"
    assert expand(rule, date(2024, 1, 1), date(2029, 1, 1)) == days(
        "2024-01-01..07", "2024-12-30..31", "2026-01-01..04", "2028-01-03..09",
    )


def test_byweekno_bysetpos_selects_within_the_calendar_year():
    rule = "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS=1"
    assert expand(rule, date(2024, 1, 1), date(2028, 1, 1)) == [
        "2024-01-01", "2025-01-01", "2026-01-01", "2027-01-04",
    ]
    # last of the set: 2024's set ends with Dec 31 (week 1 of 2025)
    rule = "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS=-1"
    assert expand(rule, date(2024, 12, 31), date(2028, 1, 1)) == [
        "2024-12-31", "2025-12-31", "2026-01-04", "2027-01-10",
    ]


def test_byweekno_last_week_spilling_into_january_is_found_by_a_january_window():
    # week 53 of 2020 is Mon 2020-12-28 .. Sun 2021-01-03; 2026 also has 53 weeks
    rule = "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO,TU,WE,TH,FR,SA,SU"
    start = datetime(2020, 12, 28, 9)
    assert expand(rule, start, datetime(2021, 1, 10), lo=datetime(2021, 1, 3)) == ["2021-01-03T09:00:00"]
    assert expand(rule, start, datetime(2027, 1, 10), lo=datetime(2021, 1, 2, 12)) == [
        f"{d}T09:00:00" for d in days("2021-01-03", "2026-12-28..31", "2027-01-01..03")
    ]


def test_byweekno_negative_weeks_and_wkst():
    # 2026 starts on a Thursday: 53 ISO weeks, week -53 == week 1 (Mon 2025-12-29 .. Sun 2026-01-04)
    rule = "FREQ=YEARLY;BYWEEKNO=-53;BYDAY=MO"
    assert expand(rule, date(2025, 12, 29), date(2040, 1, 1)) == ["2025-12-29", "2031-12-29", "2036-12-29"]
    # with WKST=SU week 1 of 1998 is the SU-week holding Jan 4 (a Sunday): Jan 4-10
    rule = "FREQ=YEARLY;BYWEEKNO=1;BYDAY=SU,SA;WKST=SU"
    assert expand(rule, date(1998, 1, 4), date(2000, 1, 1)) == ["1998-01-04", "1998-01-10", "1999-01-03", "1999-01-09"]


def test_yearly_byweekno_without_byday_takes_dtstart_weekday():
    # SPEC §1: week 20 on DTSTART's weekday (Tuesday), not the whole week (dateutil)
    assert expand("FREQ=YEARLY;BYWEEKNO=20", date(2025, 5, 13), date(2028, 1, 1)) == [
        "2025-05-13", "2026-05-12", "2027-05-18",
    ]


def test_yearly_bymonthday_without_bymonth_stays_in_dtstart_month():
    # SPEC §1 case 20: the month is taken from DTSTART (dateutil repeats every month)
    assert expand("FREQ=YEARLY;BYMONTHDAY=16", date(2025, 4, 16), date(2028, 1, 1)) == [
        "2025-04-16", "2026-04-16", "2027-04-16",
    ]


def test_bysetpos_in_a_weekly_rule_uses_the_whole_wkst_week():
    # DTSTART Wed 2025-09-03; the week MO..SU holds MO 1, WE 3, FR 5: BYSETPOS=2 is the
    # Wednesday (dateutil counts from DTSTART in the first week and gives Fri 5 too)
    assert expand("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2", date(2025, 9, 3), date(2025, 9, 20)) == [
        "2025-09-03", "2025-09-10", "2025-09-17",
    ]
    # the same with WKST=WE: weeks WE..TU hold WE, FR, MO; the 2nd is the Friday
    assert expand("FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2;WKST=WE", date(2025, 9, 5), date(2025, 9, 20)) == [
        "2025-09-05", "2025-09-12", "2025-09-19",
    ]


def test_time_parts_are_ignored_on_a_date_series():
    assert expand("FREQ=DAILY;BYHOUR=9,17;BYMINUTE=30", date(2025, 1, 1), date(2025, 1, 4)) == [
        "2025-01-01", "2025-01-02", "2025-01-03",
    ]


def test_until_is_inclusive_and_a_date_until_covers_its_day():
    assert expand("FREQ=DAILY;UNTIL=20250103T090000", datetime(2025, 1, 1, 9), datetime(2026, 1, 1)) == [
        "2025-01-01T09:00:00", "2025-01-02T09:00:00", "2025-01-03T09:00:00",
    ]
    assert expand("FREQ=DAILY;UNTIL=20250103", datetime(2025, 1, 1, 9), datetime(2026, 1, 1)) == [
        "2025-01-01T09:00:00", "2025-01-02T09:00:00", "2025-01-03T09:00:00",
    ]


def test_contains():
    it = RuleIterator(RRule.parse("FREQ=MONTHLY;BYDAY=-1FR"), date(2025, 1, 31))
    assert [it.contains(d) for d in (date(2025, 1, 31), date(2025, 2, 28), date(2025, 2, 21))] == [True, True, False]


def test_far_window_is_computed_without_walking_from_dtstart():
    # 5 million seconds after DTSTART, 20 years later; values, not timings
    it = RuleIterator(RRule.parse("FREQ=SECONDLY;INTERVAL=7"), datetime(2005, 1, 1, 0, 0, 0))
    got = [t.isoformat() for t in islice(it.between(datetime(2025, 1, 1), datetime(2025, 1, 2)), 3)]
    # seconds from 2005-01-01 to 2025-01-01: 7305 days * 86400 = 631152000 = 7 * 90164571 + 3
    assert got == ["2025-01-01T00:00:04", "2025-01-01T00:00:11", "2025-01-01T00:00:18"]


def test_matches_is_the_pattern_and_contains_counts_dtstart():
    it = RuleIterator(RRule.parse("FREQ=WEEKLY;BYDAY=TH"), datetime(2017, 3, 1, 10))  # a Wednesday
    assert (it.contains(datetime(2017, 3, 1, 10)), it.matches(datetime(2017, 3, 1, 10))) == (True, False)
    assert it.matches(datetime(2017, 3, 2, 10)) and not it.matches(datetime(2017, 3, 2, 11))
    every_other = RuleIterator(RRule.parse("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR"), date(2025, 1, 31))
    assert [every_other.matches(d) for d in (date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 28))] == [True, False, True]
    minutely = RuleIterator(RRule.parse("FREQ=MINUTELY;INTERVAL=15;BYHOUR=9"), datetime(2025, 1, 1, 9, 5))
    assert [minutely.matches(datetime(2025, 1, 2, 9, m)) for m in (5, 20, 30)] == [True, True, False]
