"""Event operations of the service: create, get, list, patch, delete; validation codes;
revision rules; exceptions kept across series changes; notifications."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from opentalk_sched.core import InviteStatus
from opentalk_sched.service import (
    UNSET, BadRequest, Change, CreateEvent, DateTimeTZ, ExceptionView, ListEvents, NotFound, PatchEvent,
    PatchInstance, PreconditionFailed, ValidationFailed,
)

from .store_backends import run_sql
from .test_service_fixtures import at, utc, world  # noqa: F401 - fixture


def timed(title="Meeting", start=(2025, 3, 10, 8), end=(2025, 3, 10, 9), tz="Europe/Berlin", **kw):
    return CreateEvent(title, is_all_day=False, starts_at=at(*start, tz=tz), ends_at=at(*end, tz=tz), **kw)


def codes(info) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in info.value.errors]


# -- create --------------------------------------------------------------------------------


def test_create_timed_event_keeps_wall_time_and_zone(world):  # noqa: F811
    v = world.service.create_event(world.creator.id, timed())
    assert (v.type, v.is_time_independent, v.is_all_day) == ("single", False, False)
    assert v.starts_at == DateTimeTZ(utc(2025, 3, 10, 8), "Europe/Berlin")
    assert v.ends_at == DateTimeTZ(utc(2025, 3, 10, 9), "Europe/Berlin")
    stored = world.store.get_event(v.id)
    assert stored.timing.start == datetime(2025, 3, 10, 9) and stored.timing.tzid == "Europe/Berlin"
    assert v.revision == 0 and v.can_edit and v.invite_status is InviteStatus.ACCEPTED
    assert v.room is not None and v.room.password is None and v.ical_uid == str(v.id)
    assert v.created_by.email == "creator@example.com" and v.recurrence_pattern == ()


def test_create_recurring_all_day_and_time_independent(world):  # noqa: F811
    s, me = world.service, world.creator.id
    rec = s.create_event(me, timed(recurrence_pattern=("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3",)))
    assert rec.type == "recurring" and rec.recurrence_pattern == ("RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO",)
    day = s.create_event(me, CreateEvent("Holiday", is_all_day=True, starts_at=at(2025, 5, 1, 0, tz="UTC"),
                                         ends_at=at(2025, 5, 1, 0, tz="UTC")))
    assert day.is_all_day and day.ends_at.datetime == utc(2025, 5, 2)  # end == start is one day
    assert world.store.get_event(day.id).timing.start == date(2025, 5, 1)
    ti = s.create_event(me, CreateEvent("Someday", is_time_independent=True, password="pw", waiting_room=True))
    assert ti.is_time_independent and ti.type == "single" and ti.starts_at is None
    assert ti.room.password == "pw" and ti.room.waiting_room


@pytest.mark.parametrize("request_, expected", [
    (timed(title="x" * 256), [("title", "invalid_length")]),
    (timed(description="x" * 4097), [("description", "invalid_length")]),
    (timed(start=(2025, 3, 10, 9), end=(2025, 3, 10, 8)), [("ends_at", "ends_before_start")]),
    (CreateEvent("x", is_all_day=True, starts_at=at(2025, 3, 10, 8), ends_at=at(2025, 3, 11, 0)),
     [("starts_at", "not_midnight")]),
    (timed(tz="Mars/Olympus"), [("timezone", "unknown_timezone")]),
    (timed(start=(9999, 1, 1, 8), end=(9999, 1, 1, 9)), [("starts_at", "out_of_range"), ("ends_at", "out_of_range")]),
    (timed(recurrence_pattern=("FREQ=FORTNIGHTLY",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (timed(recurrence_pattern=("DTSTART:20250310T080000Z",)), [("recurrence_pattern", "dtstart_not_allowed")]),
    (timed(recurrence_pattern=("FREQ=MINUTELY",)), [("recurrence_pattern", "unsupported_frequency")]),
    (timed(recurrence_pattern=("RRULE:FREQ=SECONDLY;COUNT=2",)), [("recurrence_pattern", "unsupported_frequency")]),
    (timed(recurrence_pattern=("FREQ=DAILY",) * 5), [("recurrence_pattern", "too_many_lines")]),
    (timed(recurrence_pattern=("FREQ=DAILY;" + "X-PAD=" + "a" * 1020,)),
     [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (timed(recurrence_pattern=("FREQ=DAILY;UNTIL=20250401T000000",)),
     [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (timed(recurrence_pattern=("EXDATE:20250317T080000Z",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (timed(recurrence_pattern=("FREQ=DAILY;COUNT=100001",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (timed(recurrence_pattern=("LOCATION:here",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (timed(recurrence_pattern=("",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),  # not "no rule"
    (timed(recurrence_pattern=("FREQ=DAILY", "  ")), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (CreateEvent("x", is_all_day=True, starts_at=at(2025, 3, 10, 0, tz="UTC"), ends_at=at(2025, 3, 11, 0, tz="UTC"),
                 recurrence_pattern=("FREQ=HOURLY",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (CreateEvent("x"), [("is_all_day", "required"), ("starts_at", "required"), ("ends_at", "required")]),
    (CreateEvent("x", is_time_independent=True, starts_at=at(2025, 1, 1, 0)), [("starts_at", "not_allowed")]),
    (timed(title="y" * 300, tz="Nowhere/Land"), [("title", "invalid_length"), ("timezone", "unknown_timezone")]),
])
def test_create_rejects_bad_input_with_typed_codes(world, request_, expected):  # noqa: F811
    with pytest.raises(ValidationFailed) as info:
        world.service.create_event(world.creator.id, request_)
    assert info.value.code == "validation_failed"
    assert codes(info) == expected
    assert info.value.field == expected[0][0]
    assert world.store.count_events() == 0 and world.seen == []


def test_validation_error_is_a_sched_error_for_the_adapter(world):  # noqa: F811
    from opentalk_sched.core import SchedError

    with pytest.raises(SchedError) as info:
        world.service.create_event(world.creator.id, timed(title="x" * 300))
    assert type(info.value).__name__ == "ValidationFailed" and info.value.errors[0].message


# -- get / delete ------------------------------------------------------------------------------


def test_get_unknown_event_is_not_found(world):  # noqa: F811
    with pytest.raises(NotFound) as info:
        world.service.get_event(world.creator.id, uuid.uuid4())
    assert info.value.code == "not_found"


def test_get_shows_invitees_up_to_the_limit(world):  # noqa: F811
    ev = world.weekly()
    none = world.service.get_event(world.user.id, ev.id)
    assert none.invitees == () and none.invitees_truncated
    two = world.service.get_event(world.user.id, ev.id, invitees_max=2)
    assert [i.profile.email for i in two.invitees] == ["moderator@example.com", "user@example.com"]
    assert two.invitees_truncated
    every = world.service.get_event(world.user.id, ev.id, invitees_max=100)
    assert [i.status.value for i in every.invitees] == ["pending", "pending", "declined"]
    assert not every.invitees_truncated
    with pytest.raises(BadRequest):
        world.service.get_event(world.user.id, ev.id, invitees_max=101)


def test_delete_removes_event_exceptions_invites_and_favorites(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.patch_instance(world.creator.id, ev.id, "20250317T080000Z", PatchInstance(status="cancelled"))
    s.invite_email(world.creator.id, ev.id, "guest@example.org")
    s.add_favorite(world.user.id, ev.id)
    world.seen.clear()
    s.delete_event(world.creator.id, ev.id)
    with pytest.raises(NotFound):
        s.get_event(world.creator.id, ev.id)
    for table in ("events", "exceptions", "user_invites", "email_invites", "favorites", "recurrence"):
        assert run_sql(world.store, f"SELECT COUNT(*) FROM {table}")[0][0] == 0, table
    assert [n.change for n in world.seen] == [Change.DELETED]
    assert {a.email for a in world.seen[0].attendees} >= {"user@example.com", "guest@example.org"}
    assert s.pending_invite_count(world.user.id) == 0


def test_delete_with_stale_if_match_is_refused(world):  # noqa: F811
    ev = world.weekly()
    with pytest.raises(PreconditionFailed) as info:
        world.service.delete_event(world.creator.id, ev.id, if_match=ev.revision + 7)
    assert info.value.code == "precondition_failed"
    world.service.delete_event(world.creator.id, ev.id, if_match=ev.revision)
    assert world.store.count_events() == 0


# -- patch ---------------------------------------------------------------------------------------


def test_empty_patch_changes_nothing(world):  # noqa: F811
    ev = world.weekly()
    assert world.service.patch_event(world.creator.id, ev.id, PatchEvent()) is None
    assert world.store.get_event(ev.id).updated_at == ev.updated_at and world.seen == []


def test_title_only_patch_keeps_dates_recurrence_and_exceptions(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.patch_instance(world.creator.id, ev.id, "20250317T080000Z", PatchInstance(title="special"))
    before = world.store.get_event(ev.id)
    v = s.patch_event(world.creator.id, ev.id, PatchEvent(title="Renamed"))
    after = world.store.get_event(ev.id)
    assert v.title == "Renamed" and v.revision == before.revision + 1
    assert after.timing == before.timing and after.overrides == before.overrides
    assert after.updated_at > before.updated_at


def test_patch_with_if_match(world):  # noqa: F811
    ev = world.weekly()
    with pytest.raises(PreconditionFailed):
        world.service.patch_event(world.creator.id, ev.id, PatchEvent(title="x", if_match=ev.revision - 1))
    v = world.service.patch_event(world.creator.id, ev.id, PatchEvent(title="x", if_match=ev.revision))
    assert v.revision == ev.revision + 1


def test_patch_that_changes_nothing_writes_nothing(world):  # noqa: F811
    ev = world.weekly()
    v = world.service.patch_event(world.creator.id, ev.id, PatchEvent(title=ev.title))
    assert v.revision == ev.revision and v.updated_at == ev.updated_at and world.seen == []


def test_only_starts_at_keeps_the_duration(world):  # noqa: F811
    s = world.service
    ev = s.create_event(world.creator.id, timed(start=(2025, 3, 28, 8), end=(2025, 3, 30, 8)))  # over the DST switch
    v = s.patch_event(world.creator.id, ev.id, PatchEvent(starts_at=at(2025, 3, 29, 8)))
    assert v.ends_at.datetime - v.starts_at.datetime == ev.ends_at.datetime - ev.starts_at.datetime


def test_only_ends_at_keeps_the_start(world):  # noqa: F811
    ev = world.service.create_event(world.creator.id, timed())
    v = world.service.patch_event(world.creator.id, ev.id, PatchEvent(ends_at=at(2025, 3, 10, 11)))
    assert v.starts_at == ev.starts_at and v.ends_at.datetime == utc(2025, 3, 10, 11)
    with pytest.raises(ValidationFailed) as info:
        world.service.patch_event(world.creator.id, ev.id, PatchEvent(ends_at=at(2025, 3, 10, 7)))
    assert codes(info) == [("ends_at", "ends_before_start")]


@pytest.mark.parametrize("patch, expected", [
    (PatchEvent(title="x" * 256), [("title", "invalid_length")]),
    (PatchEvent(starts_at=at(2025, 3, 10, 8, tz="Bad/Zone")), [("timezone", "unknown_timezone")]),
    (PatchEvent(recurrence_pattern=("FREQ=MINUTELY",)), [("recurrence_pattern", "unsupported_frequency")]),
    (PatchEvent(recurrence_pattern=("a", "b", "c", "d", "e")), [("recurrence_pattern", "too_many_lines")]),
    (PatchEvent(recurrence_pattern=("DTEND:20250101T000000Z",)), [("recurrence_pattern", "dtstart_not_allowed")]),
    (PatchEvent(recurrence_pattern=("FREQ=WEEKLY;BYDAY=XX",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (PatchEvent(recurrence_pattern=("",)), [("recurrence_pattern", "invalid_recurrence_pattern")]),
    (PatchEvent(is_all_day=True, starts_at=at(2025, 3, 10, 8)), [("starts_at", "not_midnight")]),
    (PatchEvent(starts_at=at(2025, 3, 10, 10), ends_at=at(2025, 3, 10, 9)), [("ends_at", "ends_before_start")]),
])
def test_patch_rejects_bad_input(world, patch, expected):  # noqa: F811
    ev = world.weekly()
    with pytest.raises(ValidationFailed) as info:
        world.service.patch_event(world.creator.id, ev.id, patch)
    assert codes(info) == expected
    assert world.store.get_event(ev.id).revision == ev.revision


def test_patch_password_and_waiting_room(world):  # noqa: F811
    s = world.service
    ev = s.create_event(world.creator.id, CreateEvent("x", is_time_independent=True, password="pw"))
    v = s.patch_event(world.creator.id, ev.id, PatchEvent(waiting_room=True))
    assert v.room.password == "pw" and v.room.waiting_room and v.revision == 1
    v = s.patch_event(world.creator.id, ev.id, PatchEvent(password=None))
    assert v.room.password is None and v.room.id == ev.room.id and v.revision == 2


def test_is_adhoc_changes_updated_at_but_not_revision(world):  # noqa: F811
    ev = world.service.create_event(world.creator.id, CreateEvent("x", is_time_independent=True))
    v = world.service.patch_event(world.creator.id, ev.id, PatchEvent(is_adhoc=True))
    assert v.is_adhoc and v.revision == 0 and v.updated_at > ev.updated_at


def test_removing_the_recurrence_and_switching_to_time_independent(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.patch_instance(world.creator.id, ev.id, "20250317T080000Z", PatchInstance(status="cancelled"))
    single = s.patch_event(world.creator.id, ev.id, PatchEvent(recurrence_pattern=()))
    assert single.type == "single" and single.recurrence_pattern == ()
    assert world.store.get_event(ev.id).overrides == {}  # 03-17 is no occurrence any more
    ti = s.patch_event(world.creator.id, ev.id, PatchEvent(is_time_independent=True))
    assert ti.is_time_independent and ti.starts_at is None
    back = s.patch_event(world.creator.id, ev.id, PatchEvent(is_time_independent=False, is_all_day=False,
                                                            starts_at=at(2025, 4, 1, 8), ends_at=at(2025, 4, 1, 9)))
    assert back.starts_at.datetime == utc(2025, 4, 1, 8)
    with pytest.raises(ValidationFailed) as info:
        s.patch_event(world.creator.id, ev.id, PatchEvent(is_time_independent=True, starts_at=at(2025, 4, 1, 8)))
    assert codes(info) == [("starts_at", "not_allowed")]


def test_exceptions_follow_a_moved_series_start(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.patch_instance(world.creator.id, ev.id, "20250317T080000Z", PatchInstance(status="cancelled"))
    s.patch_instance(world.creator.id, ev.id, "20250324T080000Z", PatchInstance(title="special"))
    v = s.patch_event(world.creator.id, ev.id, PatchEvent(starts_at=at(2025, 3, 10, 9)))  # 10:00 Berlin
    stored = world.store.get_event(ev.id)
    assert sorted(stored.overrides) == [datetime(2025, 3, 17, 10), datetime(2025, 3, 24, 10)]
    assert s.get_instance(world.creator.id, ev.id, "20250317T090000Z").status.value == "cancelled"
    assert s.get_instance(world.creator.id, ev.id, "20250324T090000Z").title == "special"
    assert v.revision == ev.revision + 3


def test_exceptions_that_are_no_occurrence_any_more_are_dropped(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.patch_instance(world.creator.id, ev.id, "20250317T080000Z", PatchInstance(status="cancelled"))
    s.patch_instance(world.creator.id, ev.id, "20250407T070000Z", PatchInstance(title="kept"))
    s.patch_event(world.creator.id, ev.id, PatchEvent(recurrence_pattern=("FREQ=WEEKLY;INTERVAL=4;BYDAY=MO",)))
    stored = world.store.get_event(ev.id)
    assert list(stored.overrides) == [datetime(2025, 4, 7, 9)]


def test_toggling_all_day_converts_the_dates(world):  # noqa: F811
    ev = world.service.create_event(world.creator.id, timed())
    v = world.service.patch_event(world.creator.id, ev.id, PatchEvent(is_all_day=True))
    assert v.is_all_day and v.starts_at.datetime == utc(2025, 3, 10) and v.ends_at.datetime == utc(2025, 3, 11)


def test_patch_accepts_the_events_own_custom_vtimezone_name(world, examples_dir):  # noqa: F811
    """An imported Outlook series in a custom VTIMEZONE is shown with ``"timezone":
    "Company Local Time"``; sending that value back in a PATCH of that event (or one of
    its instances) must work, not 422 unknown_timezone. Other events, and other unknown
    names, are still refused."""
    from datetime import timedelta

    from opentalk_sched.core import zone_key
    from opentalk_sched.ical.importer import read_calendar
    from opentalk_sched.service import InstanceQuery

    s, me = world.service, world.creator.id
    report = s.import_series(me, read_calendar((examples_dir / "outlook.ics").read_text()).items)
    views = {s.get_event(me, eid).title: s.get_event(me, eid) for eid in report.created}
    custom, berlin = views["Partner sync (custom zone)"], views["Quarterly planning"]
    zone = "Company Local Time"
    assert (custom.starts_at, custom.ends_at) == (DateTimeTZ(utc(2026, 2, 2, 21), zone), DateTimeTZ(utc(2026, 2, 2, 21, 30), zone))

    # the series one hour later, in its own zone: the duration is kept, the zone stays the custom one
    v = s.patch_event(me, custom.id, PatchEvent(starts_at=DateTimeTZ(utc(2026, 2, 2, 22), zone)))
    assert (v.starts_at, v.ends_at) == (DateTimeTZ(utc(2026, 2, 2, 22), zone), DateTimeTZ(utc(2026, 2, 2, 22, 30), zone))
    v = s.patch_event(me, custom.id, PatchEvent(ends_at=DateTimeTZ(utc(2026, 2, 2, 22, 45), zone)))
    assert v.ends_at == DateTimeTZ(utc(2026, 2, 2, 22, 45), zone) and v.revision == custom.revision + 2
    stored = world.store.get_event(custom.id).timing
    assert (stored.tzid, zone_key(stored.tz), stored.start, stored.end) == (
        zone, zone, datetime(2026, 2, 2, 17), datetime(2026, 2, 2, 17, 45))
    # the custom zone's own rules survive the write: in May it is UTC-4, so 17:00 is 21:00Z
    may = s.list_event_instances(me, custom.id, InstanceQuery(time_min=utc(2026, 5, 4), per_page=1)).items[0]
    assert may.starts_at == DateTimeTZ(utc(2026, 5, 4, 21), zone)

    # one instance moved in the series' zone, named by the same value
    feb9 = s.list_event_instances(me, custom.id, InstanceQuery(time_min=utc(2026, 2, 9), per_page=1)).items[0]
    assert feb9.starts_at == DateTimeTZ(utc(2026, 2, 9, 22), zone)
    moved = s.patch_instance(me, custom.id, feb9.instance_id, PatchInstance(
        starts_at=DateTimeTZ(utc(2026, 2, 9, 23), zone), ends_at=DateTimeTZ(utc(2026, 2, 10), zone)))
    assert (moved.starts_at, moved.ends_at) == (DateTimeTZ(utc(2026, 2, 9, 23), zone), DateTimeTZ(utc(2026, 2, 10), zone))
    assert moved.starts_at.datetime - feb9.starts_at.datetime == timedelta(hours=1)

    # the name is the event's own zone, not a zone anyone may use
    for event_id, name in ((berlin.id, zone), (custom.id, "Other Local Time"), (custom.id, "company local time")):
        with pytest.raises(ValidationFailed) as info:
            s.patch_event(me, event_id, PatchEvent(starts_at=DateTimeTZ(utc(2026, 2, 2, 22), name)))
        assert codes(info) == [("timezone", "unknown_timezone")]
    first = s.list_event_instances(me, berlin.id, InstanceQuery(per_page=1)).items[0]
    with pytest.raises(ValidationFailed) as info:
        s.patch_instance(me, berlin.id, first.instance_id, PatchInstance(starts_at=DateTimeTZ(utc(2026, 1, 15, 10), zone)))
    assert codes(info) == [("timezone", "unknown_timezone")]
    with pytest.raises(ValidationFailed) as info:
        s.create_event(me, timed(tz=zone))
    assert ("timezone", "unknown_timezone") in codes(info)


def test_patch_unset_is_not_none(world):  # noqa: F811
    assert PatchEvent().password is UNSET and PatchEvent(password=None).given() == {"password": None}


# -- listing -------------------------------------------------------------------------------------


def _all_pages(service, caller, query):
    out, cursor = [], None
    while True:
        page = service.list_events(caller, ListEvents(**{**query.__dict__, "after": cursor})
                                   if hasattr(query, "__dict__") else query)
        out.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out


def test_listing_order_exceptions_and_paging(world):  # noqa: F811
    s, me = world.service, world.creator.id
    later = s.create_event(me, timed("later", start=(2025, 6, 1, 8), end=(2025, 6, 1, 9)))
    ti = s.create_event(me, CreateEvent("no time", is_time_independent=True))
    ev = world.weekly()
    for iid in ("20250317T080000Z", "20250324T080000Z", "20250331T070000Z"):
        s.patch_instance(me, ev.id, iid, PatchInstance(status="cancelled"))
    expected = [ti.id, ev.id, f"{ev.id}_20250317T080000Z", f"{ev.id}_20250324T080000Z",
                f"{ev.id}_20250331T070000Z", later.id]
    full = s.list_events(me, ListEvents(per_page=100))
    assert [x.id for x in full.items] == expected and full.next_cursor is None
    for per_page in (1, 2, 3, 4):
        got, cursor = [], None
        while True:
            page = s.list_events(me, ListEvents(per_page=per_page, after=cursor))
            assert len(page.items) <= per_page
            got.extend(x.id for x in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert got == expected, per_page
    exc = full.items[2]
    assert isinstance(exc, ExceptionView) and exc.status.value == "cancelled"
    assert exc.original_starts_at.datetime == utc(2025, 3, 17, 8) and exc.recurring_event_id == ev.id


def test_paging_is_stable_under_concurrent_inserts(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ids = [s.create_event(me, timed(f"e{n}", start=(2025, 3, n + 1, 8), end=(2025, 3, n + 1, 9))).id
           for n in range(6)]
    page = s.list_events(me, ListEvents(per_page=3))
    assert [x.id for x in page.items] == ids[:3]
    s.create_event(me, timed("early", start=(2025, 2, 1, 8), end=(2025, 2, 1, 9)))  # sorts before the cursor
    late = s.create_event(me, timed("late", start=(2025, 3, 30, 8), end=(2025, 3, 30, 9)))
    rest = s.list_events(me, ListEvents(per_page=10, after=page.next_cursor))
    assert [x.id for x in rest.items] == ids[3:] + [late.id]


def test_listing_filters(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    other = s.create_event(world.user.id, timed("theirs", start=(2025, 8, 1, 8), end=(2025, 8, 1, 9)))
    s.invite_user(world.user.id, other.id, world.creator.id)
    adhoc = s.create_event(me, CreateEvent("adhoc", is_time_independent=True, is_adhoc=True))
    s.add_favorite(me, other.id)
    ids = lambda q: [x.id for x in s.list_events(me, q).items]  # noqa: E731
    assert ids(ListEvents(favorites=True)) == [other.id]
    assert ids(ListEvents(adhoc=True)) == [adhoc.id]
    assert ids(ListEvents(time_independent=False)) == [ev.id, other.id]
    assert ids(ListEvents(invite_status=(InviteStatus.PENDING,))) == [other.id]
    assert ids(ListEvents(invite_status=(InviteStatus.ACCEPTED,))) == [adhoc.id, ev.id]
    assert ids(ListEvents(time_min=utc(2025, 7, 1), time_max=utc(2025, 9, 1))) == [ev.id, other.id]
    assert ids(ListEvents(time_min=utc(2024, 1, 1), time_max=utc(2024, 2, 1))) == []


@pytest.mark.parametrize("query", [ListEvents(per_page=0), ListEvents(per_page=101), ListEvents(after="%%%"),
                                   ListEvents(after="eyJ4IjoxfQ"), ListEvents(invitees_max=-1)])
def test_listing_rejects_bad_parameters(world, query):  # noqa: F811
    with pytest.raises(BadRequest) as info:
        world.service.list_events(world.creator.id, query)
    assert info.value.code == "bad_request"


# -- notifications ---------------------------------------------------------------------------------


def test_notifications_after_commit_and_suppression(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = s.create_event(me, timed())
    assert [n.change for n in world.seen] == [Change.CREATED]
    n = world.seen[0]
    assert n.event.id == ev.id and n.actor == me and n.organizer == "creator@example.com" and n.itip is None
    s.patch_event(me, ev.id, PatchEvent(title="quiet", suppress_email_notification=True))
    assert len(world.seen) == 1
    s.create_event(me, timed(suppress_email_notification=True))
    assert len(world.seen) == 1


def test_itip_builder_fills_the_payload(world):  # noqa: F811
    from opentalk_sched.service import Service

    seen = []
    svc = Service(world.store, notify=seen.append, itip=lambda n: f"{n.change.value}:{n.event.revision}".encode())
    ev = svc.create_event(world.creator.id, timed())
    svc.patch_event(world.creator.id, ev.id, PatchEvent(title="t"))
    assert [n.itip for n in seen] == [b"created:0", b"updated:1"]


def test_a_failing_hook_does_not_undo_the_change(world):  # noqa: F811
    from opentalk_sched.service import Service

    def broken(n):
        raise RuntimeError("smtp down")

    svc = Service(world.store, notify=broken)
    ev = svc.create_event(world.creator.id, timed())
    assert world.store.get_event(ev.id) is not None
