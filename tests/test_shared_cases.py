"""Every shared real-world case (../shared/cases) through the import path.

New case files are picked up without code changes. ``expect_error`` cases must raise a
typed error naming the bad value; ``error_acceptable`` cases may raise or give
``expected``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

UTC = timezone.utc

import pytest

from opentalk_sched.core import SchedError, Timeline
from opentalk_sched.ical.importer import read_calendar

from .conftest import case_names, load_case, parse_case_value


def _same(actual, expected) -> bool:
    if not isinstance(expected, datetime):  # a bare date: an all-day instance on that date
        return not isinstance(actual, datetime) and actual == expected
    if expected.tzinfo is None:  # floating: compare wall time
        return isinstance(actual, datetime) and actual.tzinfo is None and actual == expected
    # compare instants in UTC: aware values in a DST fold never compare equal across zones (PEP 495)
    return (
        isinstance(actual, datetime) and actual.tzinfo is not None
        and actual.astimezone(UTC) == expected.astimezone(UTC)
        and actual.utcoffset() == expected.utcoffset()
    )


def instances_for(data: bytes, case: dict):
    lo, hi = (parse_case_value(v) for v in case["window"])
    timeline = Timeline(read_calendar(data).events)
    return timeline.overlapping(lo, hi)


@pytest.mark.parametrize("name", case_names())
def test_shared_case(name):
    data, case = load_case(name)
    if case.get("expect_error"):
        with pytest.raises(SchedError) as info:
            instances_for(data, case)
        err = info.value
        assert err.code and err.code != "error"
        assert err.uid, "the error must name the series"
        assert err.value, "the error must name the bad value"
        return
    try:
        found = instances_for(data, case)
    except SchedError:
        if case.get("error_acceptable"):
            return
        raise
    expected = [parse_case_value(v) for v in case["expected"]]
    starts = [i.start for i in found]
    assert len(starts) == len(expected), f"{name}: got {starts}"
    for got, want in zip(starts, expected):
        assert _same(got, want), f"{name}: got {starts}, want {expected}"
    if "expected_ends" in case:
        ends = [i.end for i in found]
        for got, want in zip(ends, (parse_case_value(v) for v in case["expected_ends"])):
            assert _same(got, want), f"{name}: ends {ends}"
    ids = [i.instance_id for i in found]
    assert len(set(ids)) == len(ids)


def test_cases_folder_is_not_empty():
    assert len(case_names()) >= 20
