"""Instance operations: one instance, modify / move / cancel / un-cancel / reset, the
per-event list, the calendar view, and "this and following"."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentalk_sched.core import Event, RecurrenceSet, Series, Timing
from opentalk_sched.service import (
    BadRequest, CalendarQuery, Change, CreateEvent, InstanceQuery, NotFound, PatchEvent, PatchInstance,
    ValidationFailed,
)
from opentalk_sched.service.split import split_series

from .test_service_fixtures import at, utc, world  # noqa: F401 - fixture

IID = "20250317T080000Z"
MARCH = CalendarQuery(utc(2025, 3, 1), utc(2025, 4, 1))


def starts(page):
    return [i.starts_at.datetime for i in page.items]


# -- one instance -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["20250318T080000Z", "20250317T080000", "garbage", "20250317T080000+0100x", ""])
def test_unknown_or_malformed_instance_ids_are_not_found(world, bad):  # noqa: F811
    ev = world.weekly()
    with pytest.raises(NotFound) as info:
        world.service.get_instance(world.creator.id, ev.id, bad)
    assert info.value.field == "instance_id"


def test_instance_id_accepts_offset_form(world):  # noqa: F811
    ev = world.weekly()
    v = world.service.get_instance(world.user.id, ev.id, "20250317T090000+0100")
    assert v.instance_id == IID and v.id == f"{ev.id}_{IID}" and v.type == "instance"
    assert v.starts_at.datetime == utc(2025, 3, 17, 8) and v.starts_at.timezone == "Europe/Berlin"


def test_modify_move_cancel_uncancel_reset(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    v = s.patch_instance(me, ev.id, IID, PatchInstance(title="Special", description="room 2"))
    assert (v.title, v.description, v.status.value) == ("Special", "room 2", "ok")
    moved = s.patch_instance(me, ev.id, IID, PatchInstance(starts_at=at(2025, 3, 18, 12)))
    assert moved.starts_at.datetime == utc(2025, 3, 18, 12) and moved.ends_at.datetime == utc(2025, 3, 18, 13)
    assert moved.instance_id == IID  # the id names the original start
    cal = s.list_instances(me, MARCH)
    assert utc(2025, 3, 17, 8) not in starts(cal) and utc(2025, 3, 18, 12) in starts(cal)
    cancelled = s.patch_instance(me, ev.id, IID, PatchInstance(status="cancelled"))
    assert cancelled.status.value == "cancelled" and cancelled.title == "Special"
    assert utc(2025, 3, 18, 12) not in starts(s.list_instances(me, MARCH))
    both = s.list_instances(me, CalendarQuery(utc(2025, 3, 1), utc(2025, 4, 1), include_cancelled=True))
    assert [i.status.value for i in both.items].count("cancelled") == 1
    back = s.patch_instance(me, ev.id, IID, PatchInstance(status="ok"))
    assert back.status.value == "ok" and back.title == "Special"  # un-cancel keeps the changes
    reset = s.reset_instance(me, ev.id, IID)
    assert (reset.title, reset.starts_at.datetime) == ("Weekly", utc(2025, 3, 17, 8))
    assert world.store.get_event(ev.id).overrides == {}


def test_uncancel_of_a_plain_cancellation_removes_the_exception(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    s.patch_instance(me, ev.id, IID, PatchInstance(status="cancelled"))
    s.patch_instance(me, ev.id, IID, PatchInstance(status="ok"))
    assert world.store.get_event(ev.id).overrides == {}


def test_instance_changes_raise_the_revision_and_notify(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    s.patch_instance(me, ev.id, IID, PatchInstance(status="cancelled"))
    assert world.store.get_event(ev.id).revision == ev.revision + 1
    n = world.seen[-1]
    assert n.change is Change.INSTANCE_CHANGED and n.instance_id == IID and n.cancelled
    assert n.recurrence_id == datetime(2025, 3, 17, 9)
    assert s.patch_instance(me, ev.id, IID, PatchInstance()) is None


def test_instance_to_all_day_and_validation(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    v = s.patch_instance(me, ev.id, IID, PatchInstance(is_all_day=True))
    assert v.is_all_day and v.starts_at.datetime == utc(2025, 3, 17) and v.ends_at.datetime == utc(2025, 3, 18)
    for patch, code in [
        (PatchInstance(starts_at=at(2025, 3, 17, 10), ends_at=at(2025, 3, 17, 9)), ("ends_at", "ends_before_start")),
        (PatchInstance(title="t" * 256), ("title", "invalid_length")),
        (PatchInstance(status="maybe"), ("status", "invalid_value")),
        (PatchInstance(starts_at=at(2025, 3, 17, 10, tz="No/Where")), ("timezone", "unknown_timezone")),
        (PatchInstance(is_all_day=True, starts_at=at(2025, 3, 17, 10)), ("starts_at", "not_midnight")),
    ]:
        with pytest.raises(ValidationFailed) as info:
            s.patch_instance(me, ev.id, "20250324T080000Z", patch)
        assert (info.value.errors[0].field, info.value.errors[0].code) == code


# -- per-event list ---------------------------------------------------------------------------


def test_instances_of_one_event_page_through_an_unbounded_series(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.patch_instance(world.creator.id, ev.id, IID, PatchInstance(status="cancelled"))
    got, cursor = [], None
    while len(got) < 30:
        page = s.list_event_instances(world.user.id, ev.id, InstanceQuery(per_page=7, after=cursor))
        assert len(page.items) == 7 and page.next_cursor
        got.extend(page.items)
        cursor = page.next_cursor
    assert [i.starts_at.datetime.date() for i in got] == [
        (datetime(2025, 3, 10) + timedelta(weeks=n)).date() for n in range(35)]
    assert got[1].status.value == "cancelled"
    window = s.list_event_instances(world.user.id, ev.id, InstanceQuery(time_min=utc(2025, 3, 12),
                                                                       time_max=utc(2025, 3, 25)))
    assert [i.instance_id for i in window.items] == [IID, "20250324T080000Z"] and window.next_cursor is None


def test_instances_of_a_bounded_series_end(world):  # noqa: F811
    ev = world.weekly(lines=("FREQ=WEEKLY;COUNT=3",))
    page = world.service.list_event_instances(world.creator.id, ev.id, InstanceQuery(per_page=100))
    assert len(page.items) == 3 and page.next_cursor is None
    ti = world.service.create_event(world.creator.id, CreateEvent("x", is_time_independent=True))
    assert world.service.list_event_instances(world.creator.id, ti.id).items == ()


# -- calendar view ----------------------------------------------------------------------------


def test_calendar_view_orders_by_start_then_event_and_pages(world):  # noqa: F811
    s, me = world.service, world.creator.id
    a = world.weekly("A")
    b = world.weekly("B")
    single = s.create_event(me, CreateEvent("single", is_all_day=False, starts_at=at(2025, 3, 12, 8),
                                            ends_at=at(2025, 3, 12, 9)))
    everything = s.list_instances(me, CalendarQuery(utc(2025, 3, 1), utc(2025, 4, 1), per_page=100))
    first_two = sorted([str(a.id), str(b.id)])
    assert [str(i.recurring_event_id) for i in everything.items[:2]] == first_two
    assert everything.items[2].recurring_event_id == single.id
    assert len(everything.items) == 9 and everything.next_cursor is None
    got, cursor = [], None
    while True:
        page = s.list_instances(me, CalendarQuery(utc(2025, 3, 1), utc(2025, 4, 1), per_page=2, after=cursor))
        got.extend(i.id for i in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == [i.id for i in everything.items]


def test_calendar_view_limits(world):  # noqa: F811
    s, me = world.service, world.creator.id
    with pytest.raises(ValidationFailed) as info:
        s.list_instances(me, CalendarQuery(utc(2025, 1, 1), utc(2026, 1, 3)))
    assert info.value.errors[0].code == "window_too_large"
    with pytest.raises(ValidationFailed) as info:
        s.list_instances(me, CalendarQuery(utc(2025, 1, 2), utc(2025, 1, 1)))
    assert info.value.errors[0].code == "invalid_range"
    assert s.list_instances(me, CalendarQuery(utc(2025, 1, 1), utc(2026, 1, 2))).items == ()
    for bad in (CalendarQuery(utc(2025, 1, 1), utc(2025, 2, 1), per_page=0),
                CalendarQuery(utc(2025, 1, 1), utc(2025, 2, 1), after="nope"),
                CalendarQuery(utc(2025, 1, 1), utc(2025, 2, 1), after=world.service.list_events(me).next_cursor or
                              "WyJldmVudHMiLCIiLCIiLCIiLCIiXQ")):
        with pytest.raises(BadRequest):
            s.list_instances(me, bad)


def test_calendar_view_overlap_is_rfc4791(world):  # noqa: F811
    s, me = world.service, world.creator.id
    s.create_event(me, CreateEvent("spans midnight", is_all_day=False, starts_at=at(2025, 3, 31, 22),
                                   ends_at=at(2025, 4, 1, 2)))
    s.create_event(me, CreateEvent("zero", is_all_day=False, starts_at=at(2025, 4, 1, 0), ends_at=at(2025, 4, 1, 0)))
    march = s.list_instances(me, MARCH)
    april = s.list_instances(me, CalendarQuery(utc(2025, 4, 1), utc(2025, 5, 1)))
    assert [i.title for i in march.items] == ["spans midnight"]
    assert [i.title for i in april.items] == ["spans midnight", "zero"]


# -- this and following ---------------------------------------------------------------------------


def _instances(service, caller, event_id, lo=utc(2025, 3, 1), hi=utc(2025, 9, 1)):
    page = service.list_event_instances(caller, event_id, InstanceQuery(time_min=lo, time_max=hi, per_page=100))
    return page.items


def test_patch_following_splits_the_series(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly(lines=("FREQ=WEEKLY;COUNT=10",))
    s.patch_instance(me, ev.id, "20250407T070000Z", PatchInstance(status="cancelled"))
    s.patch_instance(me, ev.id, "20250324T080000Z", PatchInstance(title="before"))
    s.add_favorite(world.user.id, ev.id)
    new = s.patch_following(me, ev.id, "20250331T070000Z", PatchEvent(title="Later", starts_at=at(2025, 3, 31, 8)))
    old = _instances(s, me, ev.id)
    assert [i.starts_at.datetime.date().isoformat() for i in old] == ["2025-03-10", "2025-03-17", "2025-03-24"]
    assert old[2].title == "before"
    later = _instances(s, me, new.id)
    assert new.title == "Later" and new.starts_at.datetime == utc(2025, 3, 31, 8)
    assert len(later) == 7 and all(i.starts_at.datetime.hour == 8 for i in later)
    assert [i.status.value for i in later].count("cancelled") == 1  # the 04-07 exception moved with its key
    assert new.recurrence_pattern == ("RRULE:FREQ=WEEKLY;COUNT=7",)
    invitees = s.get_event(me, new.id, invitees_max=10).invitees
    assert [(i.profile.email, i.status.value) for i in invitees] == [
        ("moderator@example.com", "pending"), ("user@example.com", "pending"), ("declined@example.com", "declined")]
    assert s.get_event(world.user.id, new.id).is_favorite
    assert [n.change for n in world.seen][-2:] == [Change.UPDATED, Change.CREATED]
    assert new.room.id != ev.room.id


def test_patch_following_at_the_first_instance_edits_the_whole_series(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    v = s.patch_following(me, ev.id, "20250310T080000Z", PatchEvent(title="All"))
    assert v.id == ev.id and v.title == "All" and world.store.count_events() == 1


def test_delete_following(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    s.delete_following(me, ev.id, "20250331T070000Z")
    assert len(_instances(s, me, ev.id)) == 3
    assert s.get_event(me, ev.id).recurrence_pattern == ("RRULE:FREQ=WEEKLY;UNTIL=20250331T065959Z;BYDAY=MO",)
    s.delete_following(me, ev.id, "20250310T080000Z")
    assert world.store.count_events() == 0


_RULES = st.sampled_from([
    "FREQ=DAILY;COUNT=20", "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=15", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=MONTHLY", "FREQ=DAILY;BYHOUR=9,17", "FREQ=WEEKLY;UNTIL=20250801T000000Z", "FREQ=YEARLY;BYMONTH=3,9",
    "FREQ=DAILY;INTERVAL=3;COUNT=12",
])


@settings(deadline=None, max_examples=30)
@given(rule=_RULES, pick=st.integers(1, 12), all_day=st.booleans())
def test_split_keeps_exactly_the_occurrences(rule, pick, all_day):
    start = datetime(2025, 3, 10, 9) if not all_day else datetime(2025, 3, 10).date()
    end = start + (timedelta(hours=1) if not all_day else timedelta(days=1))
    if all_day and "BYHOUR" in rule:
        rule = "FREQ=DAILY;COUNT=20"
    from zoneinfo import ZoneInfo

    ev = Event.new("x", Timing(start, end, None if all_day else ZoneInfo("Europe/Berlin"),
                               RecurrenceSet.from_lines([rule])))
    lo, hi = utc(2025, 1, 1), utc(2027, 1, 1)
    original = Series(ev).overlapping(lo, hi)
    if pick >= len(original):
        return
    rid = original[pick].recurrence_id
    before, after = split_series(ev, rid, new_id=uuid.uuid4())
    a = [i.start for i in Series(before).overlapping(lo, hi)]
    b = [i.start for i in Series(after).overlapping(lo, hi)]
    assert a + b == [i.start for i in original]
    assert b[0] == original[pick].start
