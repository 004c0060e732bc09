"""Window queries answered from the store equal the core engine's expansion.

The store narrows candidates with its span index and expands them from cached month
lists; the core (:class:`Timeline`) expands every event directly. Both must give the
same instances, for the shared real-world cases (through the importer, and through the
service's calendar view) and for generated calendars.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentalk_sched.core import Event, Override, OverrideKind, RecurrenceSet, SchedError, Series, Timeline, Timing
from opentalk_sched.core.timeline import sort_key
from opentalk_sched.ical.importer import read_calendar
from opentalk_sched.service import CalendarQuery, Service
from opentalk_sched.store import SqliteStore

from .conftest import case_names, load_case, parse_case_value

UTC = timezone.utc


def _aware(v):
    if not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    return v if v.tzinfo is not None else v.replace(tzinfo=UTC)


def _key(inst):
    return (*sort_key(inst, UTC), inst.recurrence_id if isinstance(inst.recurrence_id, datetime)
            else datetime.combine(inst.recurrence_id, datetime.min.time()))


def _record(inst):
    return (str(inst.event.id), inst.instance_id, inst.start, inst.end, inst.title, inst.status.value)


def from_store(store: SqliteStore, lo, hi, include_cancelled=False):
    found = []
    for hit in store.window(_aware(lo), _aware(hi)):
        found.extend(hit.compiled.overlapping(lo, hi, UTC, include_cancelled))
    return [_record(i) for i in sorted(found, key=_key)]


def from_core(events, lo, hi, include_cancelled=False):
    found = Timeline(events).overlapping(lo, hi, UTC, include_cancelled)
    return [_record(i) for i in sorted(found, key=_key)]


def _cases():
    out = []
    for name in case_names():
        data, case = load_case(name)
        if case.get("expect_error"):
            continue
        out.append(name)
    return out


@pytest.mark.parametrize("name", _cases())
def test_shared_case_from_store_equals_core(name):
    data, case = load_case(name)
    try:
        events = read_calendar(data).events
    except SchedError:
        assert case.get("error_acceptable")
        return
    lo, hi = (parse_case_value(v) for v in case["window"])
    store = SqliteStore(":memory:")
    for ev in events:
        store.save_event(ev)
    want = from_core(events, lo, hi)
    assert from_store(store, lo, hi) == want
    assert from_store(store, lo, hi) == want  # warm: from the cached month lists
    assert len(want) == len(case["expected"])
    store.close()


@pytest.mark.parametrize("name", _cases())
def test_shared_case_through_the_service_calendar_view(name):
    data, case = load_case(name)
    lo, hi = (_aware(parse_case_value(v)) for v in case["window"])
    try:
        result = read_calendar(data)
    except SchedError:
        return
    store = SqliteStore(":memory:")
    service = Service(store)
    me = service.create_user("importer@example.com")
    service.import_series(me.id, result.items)
    # the calendar view answers at most 366 days: ask a longer window in parts
    got, seen, start = [], set(), lo
    while start < hi:
        stop = min(hi, start + timedelta(days=366))
        page = service.list_instances(me.id, CalendarQuery(start, stop, per_page=100, tz="UTC"))
        for i in page.items:
            if i.id not in seen:
                seen.add(i.id)
                got.append(i.starts_at.datetime)
        start = stop
    expected = [parse_case_value(v) for v in case["expected"]]
    want = []
    for v in expected:
        if not isinstance(v, datetime):
            want.append(datetime(v.year, v.month, v.day, tzinfo=UTC))
        else:
            want.append(v.astimezone(UTC) if v.tzinfo is not None else v.replace(tzinfo=UTC))
    assert got == want
    store.close()


# -- generated calendars --------------------------------------------------------------------------

ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"), None]
RULES = [
    None, None, "FREQ=DAILY", "FREQ=DAILY;COUNT=10", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=WEEKLY;INTERVAL=2;COUNT=8",
    "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=YEARLY", "FREQ=WEEKLY;UNTIL=20250601T000000Z",
    "FREQ=DAILY;BYHOUR=8,20;COUNT=30",
]


@st.composite
def events(draw):
    tz = draw(st.sampled_from(ZONES))
    all_day = draw(st.booleans())
    day = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    rule = draw(st.sampled_from(RULES))
    if all_day and rule and "BYHOUR" in rule:
        rule = "FREQ=DAILY;COUNT=10"
    if all_day:
        start = day
        end = day + timedelta(days=draw(st.integers(0, 3)))
    else:
        start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=15 * draw(st.integers(0, 95)))
        end = start + timedelta(minutes=15 * draw(st.integers(0, 200)))
    rs = RecurrenceSet.from_lines([rule]) if rule else None
    ev = Event.new(draw(st.text("abc", min_size=1, max_size=4)), Timing(start, end, tz, rs))
    if rs is not None:
        occurrences = Series(ev).overlapping(_aware(day) - timedelta(days=1), _aware(day) + timedelta(days=120))
        for inst in draw(st.lists(st.sampled_from(occurrences), max_size=3, unique=True)) if occurrences else []:
            rid = inst.recurrence_id
            kind = draw(st.sampled_from(["cancel", "move", "title"]))
            if kind == "cancel":
                ev.overrides[rid] = Override(rid, OverrideKind.CANCELLED)
            elif kind == "title":
                ev.overrides[rid] = Override(rid, title="changed")
            else:
                shift = timedelta(days=draw(st.integers(-40, 40))) if all_day else timedelta(
                    hours=draw(st.integers(-900, 900)))
                base = rid if isinstance(rid, datetime) else rid
                ev.overrides[rid] = Override(rid, start=base + shift, end=base + shift + (end - start))
    return ev


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=st.lists(events(), min_size=1, max_size=8),
       offset=st.integers(0, 800), length=st.integers(0, 75), include_cancelled=st.booleans())
def test_generated_calendars_from_store_equal_core(calendar, offset, length, include_cancelled):
    lo = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=6 * offset)
    hi = lo + timedelta(days=length, hours=offset % 24)
    store = SqliteStore(":memory:")
    for ev in calendar:
        store.save_event(ev)
    want = from_core(calendar, lo, hi, include_cancelled)
    assert from_store(store, lo, hi, include_cancelled) == want
    assert from_store(store, lo, hi, include_cancelled) == want
    # a second, wider window answered partly from the same month lists
    wide_hi = hi + timedelta(days=40)
    assert from_store(store, lo, wide_hi, include_cancelled) == from_core(calendar, lo, wide_hi, include_cancelled)
    store.close()
