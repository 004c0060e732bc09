"""Zone → VTIMEZONE (opentalk_sched.ical.vtimezone): the written component gives the same UTC
offsets as tzdata, read back both by the engine's VTimezone and by icalendar/dateutil."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from opentalk_sched.core import Observance, VTimezone
from opentalk_sched.ical.vtimezone import observances, probe_end, transitions, vtimezone

UTC = timezone.utc

ZONES = [
    "Europe/Berlin",  # last Sunday rules since 1996
    "America/New_York",  # 2007 rule change
    "Australia/Sydney",  # southern hemisphere
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Tokyo",  # no DST
    "Asia/Kolkata",  # +0530, no DST
    "Europe/Moscow",  # permanent summer time 2011, back in 2014
    "America/Sao_Paulo",  # DST abolished 2019
    "Asia/Jerusalem",  # Friday before the last Sunday
    "America/Nuuk",  # 2023 offset change, Saturday 23:00 rule
    "Europe/Dublin",  # tzdata's negative DST
    "Pacific/Apia",  # skipped 2011-12-30
    "America/Santiago",  # Sunday on or after the 2nd
]


def _offsets_differ(tz_a, tz_b, start: datetime, end: datetime, step=timedelta(days=2, hours=7)):
    t = start
    bad = []
    while t < end:
        a = t.replace(tzinfo=UTC).astimezone(tz_a).utcoffset()
        b = t.replace(tzinfo=UTC).astimezone(tz_b).utcoffset()
        if a != b:
            bad.append((t, a, b))
        t += step
    return bad


def _engine_zone(comp) -> VTimezone:
    """Read a VTIMEZONE component the way the importer does."""
    obs = []
    for sub in comp.subcomponents:
        rdates = []
        rd = sub.get("RDATE")
        for prop in rd if isinstance(rd, list) else ([rd] if rd is not None else []):
            rdates += [v.dt.replace(tzinfo=None) for v in prop.dts]
        rr = sub.get("RRULE")
        obs.append(Observance(
            sub.name, sub.decoded("DTSTART").replace(tzinfo=None),
            int(sub.decoded("TZOFFSETFROM").total_seconds()), int(sub.decoded("TZOFFSETTO").total_seconds()),
            rr.to_ical().decode() if rr is not None else "", tuple(rdates), str(sub.get("TZNAME", "")),
        ))
    return VTimezone("X-Test", obs)


#: zones whose history since 1995 is worth checking too (rule changes, offset changes)
HISTORY = {"Europe/Berlin", "America/New_York", "Europe/Moscow", "America/Nuuk", "America/Santiago"}


@pytest.mark.parametrize(
    "name,first_year", [(z, 2024) for z in ZONES] + [(z, 1995) for z in ZONES if z in HISTORY],
)
def test_vtimezone_matches_tzdata(name, first_year):
    zone = ZoneInfo(name)
    comp = vtimezone(zone, first_year)
    assert str(comp["TZID"]) == name
    start, end = datetime(first_year, 1, 1), datetime(2060, 1, 1)  # beyond the probe: the RRULEs carry on
    engine = _engine_zone(comp)
    assert _offsets_differ(zone, engine, start, end) == []
    # every transition exactly, one second before and at the change
    for t in transitions(zone, first_year, 2045):
        for probe in (t.utc - timedelta(seconds=1), t.utc):
            want = probe.replace(tzinfo=UTC).astimezone(zone).utcoffset()
            assert probe.replace(tzinfo=UTC).astimezone(engine).utcoffset() == want, (name, probe)
    if name != "Pacific/Apia":  # dateutil cannot represent a 24-hour jump (its dst() overflows)
        # a third-party reader (icalendar → dateutil) agrees as well
        comp["TZID"] = icalendar.vText("X-Test")
        assert _offsets_differ(zone, comp.to_tz(), start, datetime(2050, 1, 1), step=timedelta(days=29, hours=5)) == []


def test_current_rules_are_rrules_as_clients_write_them():
    comp = vtimezone(ZoneInfo("Europe/Berlin"), 2024)
    assert [(s.name, s["RRULE"].to_ical().decode(), s["DTSTART"].to_ical().decode(), s["TZNAME"])
            for s in comp.subcomponents] == [
        ("DAYLIGHT", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "20230326T020000", "CEST"),
        ("STANDARD", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "20231029T030000", "CET"),
    ]
    ny = vtimezone(ZoneInfo("America/New_York"), 2000)
    rules = [s["RRULE"].to_ical().decode() for s in ny.subcomponents if "RRULE" in s]
    assert rules == ["FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"]
    history = [s for s in ny.subcomponents if "RRULE" not in s]
    assert {s.name for s in history} == {"DAYLIGHT", "STANDARD"}  # 1999..2006 as RDATEs
    assert all(s.decoded("DTSTART").year == 1999 for s in history)
    jerusalem = vtimezone(ZoneInfo("Asia/Jerusalem"), 2024)
    assert "FREQ=YEARLY;BYMONTH=3;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29" in jerusalem.to_ical().decode()


def test_dublin_summer_is_daylight():
    comp = vtimezone(ZoneInfo("Europe/Dublin"), 2024)
    kinds = {s.name: s.decoded("TZOFFSETTO") for s in comp.subcomponents}
    assert kinds == {"DAYLIGHT": timedelta(hours=1), "STANDARD": timedelta(0)}


def test_zone_without_dst_is_one_observance():
    (only,) = vtimezone(ZoneInfo("Asia/Tokyo"), 2024).subcomponents
    assert only.name == "STANDARD" and "RRULE" not in only
    assert only.decoded("TZOFFSETFROM") == only.decoded("TZOFFSETTO") == timedelta(hours=9)
    assert only.decoded("DTSTART") == datetime(2023, 1, 1)


def test_zone_that_dropped_dst_has_no_rule():
    comp = vtimezone(ZoneInfo("America/Sao_Paulo"), 2015)
    assert not any("RRULE" in s for s in comp.subcomponents)
    last = max(s.decoded("DTSTART") for s in comp.subcomponents)
    assert last.year <= 2019


def test_irregular_zone_is_exact_up_to_the_probe_end():
    """Morocco's Ramadan changes follow no yearly rule: every one is an RDATE up to the
    probe end, and the offset after that is the last one (documented limit)."""
    zone = ZoneInfo("Africa/Casablanca")
    comp = vtimezone(zone, 2020)
    assert _offsets_differ(zone, _engine_zone(comp), datetime(2020, 1, 1), datetime(probe_end(), 1, 1)) == []


def test_observances_are_cached_and_cheap():
    zone = ZoneInfo("Europe/Paris")
    assert observances(zone, 2020, 2040) is not observances(zone, 2020, 2040)  # fresh lists
    assert observances(zone, 2020, 2040) == observances(zone, 2020, 2040)
