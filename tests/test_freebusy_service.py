"""Free/busy and find_slots over the SQLite store (opentalk_sched.scheduling): which
events count for whom, unknown users, working-hours settings, VFREEBUSY output."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.core import Event, InviteRole, InviteStatus, RecurrenceSet, Timing
from opentalk_sched.core.freebusy import FBType, InvalidDuration, InvalidWindow, InvalidWorkingHours, WorkingHours
from opentalk_sched.ical.freebusy import freebusy_calendar, read_freebusy
from opentalk_sched.scheduling import (
    UnknownUser, find_slots, freebusy, get_working_hours, set_working_hours, working_hours_setting,
)
from opentalk_sched.store import SqliteStore, User, UserInvite

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def at(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.fixture
def store():
    s = SqliteStore(":memory:")
    yield s
    s.close()


def user(store, name, tz="Europe/Berlin") -> User:
    u = User(uuid.uuid4(), f"{name}@example.com", display_name=name, timezone=tz)
    store.save_user(u)
    return u


def event(store, owner: User, start: datetime, end: datetime, tz=BERLIN, rrule=None, props=(), title="secret") -> Event:
    rs = RecurrenceSet.from_lines([rrule]) if rrule else None
    ev = Event.new(title, Timing(start, end, tz, rs), created_by=owner.id, properties=tuple(props))
    store.save_event(ev)
    return ev


def invite(store, ev: Event, who: User, status: InviteStatus) -> None:
    store.save_user_invite(UserInvite(ev.id, who.id, InviteRole.USER, status, ev.created_by, at(2025, 1, 1), at(2025, 1, 1)))


def shape(periods):
    return [(p.start.strftime("%d %H:%M"), p.end.strftime("%d %H:%M"), p.fbtype.value) for p in periods]


def test_created_accepted_tentative_pending_declined(store):
    alice, bob = user(store, "alice"), user(store, "bob")
    a = event(store, alice, datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10))     # 08-09 UTC
    b = event(store, alice, datetime(2025, 3, 10, 11), datetime(2025, 3, 10, 12))    # 10-11 UTC
    c = event(store, alice, datetime(2025, 3, 10, 13), datetime(2025, 3, 10, 14))    # 12-13 UTC
    d = event(store, alice, datetime(2025, 3, 10, 15), datetime(2025, 3, 10, 16))    # 14-15 UTC
    invite(store, a, bob, InviteStatus.ACCEPTED)
    invite(store, b, bob, InviteStatus.TENTATIVE)
    invite(store, c, bob, InviteStatus.PENDING)
    invite(store, d, bob, InviteStatus.DECLINED)
    carol = user(store, "carol")
    event(store, carol, datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 17))  # not alice's or bob's business
    got = freebusy(store, [alice.id, bob.id], at(2025, 3, 10), at(2025, 3, 11))
    assert shape(got[alice.id]) == [
        ("10 08:00", "10 09:00", "BUSY"), ("10 10:00", "10 11:00", "BUSY"),
        ("10 12:00", "10 13:00", "BUSY"), ("10 14:00", "10 15:00", "BUSY"),
    ]
    assert shape(got[bob.id]) == [
        ("10 08:00", "10 09:00", "BUSY"), ("10 10:00", "10 11:00", "BUSY-TENTATIVE"),
        ("10 12:00", "10 13:00", "BUSY-TENTATIVE"),
    ]


def test_floating_events_use_the_user_zone_and_transparent_all_day_is_free(store):
    ny = user(store, "ny", tz="America/New_York")
    event(store, ny, datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), tz=None)  # floating 09:00 in New York
    day = Event.new("holiday", Timing(date(2025, 3, 11), date(2025, 3, 12), BERLIN), created_by=ny.id,
                    properties=("TRANSP:TRANSPARENT",))
    store.save_event(day)
    assert shape(freebusy(store, [ny.id], at(2025, 3, 10), at(2025, 3, 12))[ny.id]) == [
        ("10 13:00", "10 14:00", "BUSY"),
    ]


def test_recurring_event_over_a_dst_change(store):
    alice = user(store, "alice")
    event(store, alice, datetime(2025, 3, 28, 9), datetime(2025, 3, 28, 10), rrule="RRULE:FREQ=DAILY;COUNT=4")
    got = freebusy(store, [alice.id], at(2025, 3, 28), at(2025, 4, 1))[alice.id]
    assert shape(got) == [("28 08:00", "28 09:00", "BUSY"), ("29 08:00", "29 09:00", "BUSY"),
                          ("30 07:00", "30 08:00", "BUSY"), ("31 07:00", "31 08:00", "BUSY")]


def test_errors_unknown_user_and_window(store):
    alice = user(store, "alice")
    ghost = uuid.uuid4()
    with pytest.raises(UnknownUser) as info:
        freebusy(store, [alice.id, ghost], at(2025, 3, 10), at(2025, 3, 11))
    assert (info.value.code, info.value.field, info.value.value) == ("unknown_user", "user_id", str(ghost))
    with pytest.raises(InvalidWindow):
        freebusy(store, [alice.id], at(2025, 3, 10), at(2026, 3, 12))
    with pytest.raises(UnknownUser) as info:
        find_slots(store, [alice.id], timedelta(hours=1), at(2025, 3, 10), at(2025, 3, 11), optional=[ghost])
    assert info.value.field == "optional_attendees"
    with pytest.raises(InvalidDuration):
        find_slots(store, [ghost], timedelta(hours=-1), at(2025, 3, 10), at(2025, 3, 11))


def test_working_hours_setting_defaults_saves_and_resets(store):
    alice = user(store, "alice")
    assert working_hours_setting(store, alice.id).is_default
    wh = get_working_hours(store, alice.id)
    assert wh.describe() == "mon-fri 09:00-17:00" and wh.tz == BERLIN
    set_working_hours(store, alice.id, "mon-thu 08:00-16:00")
    assert get_working_hours(store, alice.id).describe() == "mon-thu 08:00-16:00"
    set_working_hours(store, alice.id, "mon 10:00-11:00", "Asia/Tokyo")
    got = get_working_hours(store, alice.id)
    assert got.tz == ZoneInfo("Asia/Tokyo")
    assert got.intervals(datetime(2025, 3, 10), datetime(2025, 3, 11)) == [(datetime(2025, 3, 10, 1), datetime(2025, 3, 10, 2))]
    set_working_hours(store, alice.id, None)
    assert working_hours_setting(store, alice.id).is_default
    with pytest.raises(InvalidWorkingHours):
        set_working_hours(store, alice.id, "mon 18:00-09:00")
    with pytest.raises(UnknownUser):
        get_working_hours(store, uuid.uuid4())


def test_find_slots_over_the_store(store):
    """Mon 10 Mar 2025: alice (Berlin 09-17 = 08-16 UTC) has a meeting 10:00-12:00 Berlin;
    bob (London 09-17 = 09-17 UTC) accepted a 14:00-15:00 UTC call; carol (optional) is
    tentatively invited to alice's lunch 13:00-14:00 Berlin (12-13 UTC) and created the call.
    Common working time 09-16 UTC minus 09-11, 12-13 (alice) and 14-15 (bob)."""
    alice, bob = user(store, "alice"), user(store, "bob", tz="Europe/London")
    carol = user(store, "carol", tz="UTC")
    event(store, alice, datetime(2025, 3, 10, 10), datetime(2025, 3, 10, 12))
    call = event(store, carol, datetime(2025, 3, 10, 14), datetime(2025, 3, 10, 15), tz=ZoneInfo("UTC"))
    invite(store, call, bob, InviteStatus.ACCEPTED)
    lunch = event(store, alice, datetime(2025, 3, 10, 13), datetime(2025, 3, 10, 14))  # 12-13 UTC, alice's own
    invite(store, lunch, carol, InviteStatus.TENTATIVE)
    slots = find_slots(store, [alice.id, bob.id], timedelta(hours=1), at(2025, 3, 10), at(2025, 3, 11),
                       optional=[carol.id], step=timedelta(hours=1), order="start")
    assert [(s.start.hour, s.optional_free) for s in slots] == [(11, (carol.id,)), (13, (carol.id,)), (15, (carol.id,))]
    assert find_slots(store, [alice.id, bob.id, carol.id], timedelta(hours=1), at(2025, 3, 10), at(2025, 3, 11),
                      step=timedelta(hours=1))[0].start.hour == 11
    # without alice's working hours, bob's 16:00 UTC hour opens
    loose = find_slots(store, [alice.id, bob.id], timedelta(hours=1), at(2025, 3, 10), at(2025, 3, 11),
                       step=timedelta(hours=1), working_hours={alice.id: None}, order="start")
    assert [s.start.hour for s in loose] == [11, 13, 15, 16]


def test_vfreebusy_round_trip_has_no_titles(store):
    alice = user(store, "alice")
    event(store, alice, datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), title="Top secret merger")
    lo, hi = at(2025, 3, 10), at(2025, 3, 11)
    busy = freebusy(store, [alice.id], lo, hi)[alice.id]
    text = freebusy_calendar([(alice.email, busy)], lo, hi, uid="u1", dtstamp=at(2025, 3, 1))
    assert b"Top secret" not in text
    assert b"FREEBUSY;FBTYPE=BUSY:20250310T080000Z/20250310T090000Z" in text
    assert b"DTSTART:20250310T000000Z" in text and b"DTEND:20250311T000000Z" in text
    assert read_freebusy(text) == [("alice@example.com", busy)]
    assert busy[0].fbtype is FBType.BUSY


# -- the store-backed path against the minute-by-minute reference ---------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402

from .test_freebusy_core import reference_minutes, minutes_of, scenario  # noqa: E402


@settings(deadline=None, max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_store_freebusy_matches_the_reference(case):
    """Same generated calendars as the core test (several users, DST windows), stored as
    events + user invites: the first user who 'created' an event is its creator, any other
    such user accepted it (both BUSY); nobody's is owned by an extra organizer."""
    w0, w1, people = case
    store = SqliteStore(":memory:")
    try:
        organizer = user(store, "organizer", tz="UTC")
        users = []
        for n, (tz, _entries) in enumerate(people):
            users.append(user(store, f"u{n}", tz=tz.key))
        creator_of: dict = {}
        for u, (_tz, entries) in zip(users, people):
            for ev, status in entries:
                if status is None and ev.id not in creator_of:
                    creator_of[ev.id] = u.id
        saved = set()
        for _tz, entries in people:
            for ev, _status in entries:
                if ev.id not in saved:
                    store.save_event(ev.replace(created_by=creator_of.get(ev.id, organizer.id)))
                    saved.add(ev.id)
        for u, (_tz, entries) in zip(users, people):
            for ev, status in entries:
                if creator_of.get(ev.id) == u.id:
                    continue
                invite(store, ev, u, status or InviteStatus.ACCEPTED)
        got = freebusy(store, [u.id for u in users], w0.replace(tzinfo=UTC), w1.replace(tzinfo=UTC))
        for u, (tz, entries) in zip(users, people):
            assert minutes_of(got[u.id]) == reference_minutes(entries, w0, w1, tz)
    finally:
        store.close()


# -- the request rules the adapters rely on (the HTTP routes and the CLI only translate) --------


def test_find_slots_request_rules_minutes_limit_and_caller(store):
    """Durations and steps may be minutes (the API's form), positive and at most 366 days;
    ``limit`` is 1..SLOTS_MAX (default SLOTS_DEFAULT); the caller is the first required
    attendee unless ``include_caller`` is false; all checked before the store is read."""
    from opentalk_sched.core.freebusy import SchedulingError
    from opentalk_sched.scheduling import SLOTS_DEFAULT, SLOTS_MAX

    assert (SLOTS_DEFAULT, SLOTS_MAX) == (50, 500)
    alice, bob = user(store, "alice", tz="UTC"), user(store, "bob", tz="UTC")
    event(store, alice, datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 12), tz=ZoneInfo("UTC"))
    lo, hi = at(2025, 3, 10), at(2025, 3, 11)
    ghost = uuid.uuid4()
    cases = [
        (dict(duration=0), InvalidDuration, "duration", "not_positive"),
        (dict(duration=10 ** 15), InvalidDuration, "duration", "longer_than_window"),
        (dict(duration=25 * 60), InvalidDuration, "duration", "longer_than_window"),  # longer than this window
        (dict(step=-5), SchedulingError, "step", "not_positive"),
        (dict(step=366 * 24 * 60 + 1), SchedulingError, "step", "too_large"),
        (dict(limit=0), SchedulingError, "limit", "out_of_range"),
        (dict(limit=SLOTS_MAX + 1), SchedulingError, "limit", "out_of_range"),
        (dict(include_caller=False), SchedulingError, "attendees", "no_required_attendee"),
    ]
    for change, error, field, code in cases:
        args = {"duration": 60, "step": 60, "limit": 5, "include_caller": True, **change}
        with pytest.raises(error) as info:
            find_slots(store, [], args["duration"], lo, hi, caller=bob.id, include_caller=args["include_caller"],
                       step=args["step"], limit=args["limit"])
        assert (info.value.field, info.value.code) == (field, code), change
    # minutes are checked before anyone is looked up: a bad request costs no store read
    with pytest.raises(InvalidDuration):
        find_slots(store, [ghost], 0, lo, hi)
    # the caller joins the attendees: alice (09-17 UTC working, busy 09-12) and bob
    slots = find_slots(store, [alice.id], 60, lo, hi, caller=bob.id, step=60, order="start")
    assert [s.start.hour for s in slots] == [12, 13, 14, 15, 16]
    # not asked: only alice counts; ignore_working_hours opens the whole day minus 09-12
    everything = find_slots(store, [alice.id], 60, lo, hi, caller=bob.id, include_caller=False,
                            ignore_working_hours=True, step=60, order="start", limit=SLOTS_MAX)
    assert [s.start.hour for s in everything] == [h for h in range(24) if not 9 <= h < 12]
    # the default limit: 96 quarter-hour starts in a free day, SLOTS_DEFAULT returned
    assert len(find_slots(store, [bob.id], timedelta(minutes=15), lo, hi, ignore_working_hours=True)) == SLOTS_DEFAULT


def test_user_freebusy_and_working_hours_view(store):
    from opentalk_sched.core.errors import UnknownTimezone
    from opentalk_sched.scheduling import update_working_hours, user_freebusy, working_hours_view

    alice = user(store, "alice")
    event(store, alice, datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10))
    got = user_freebusy(store, alice.id, at(2025, 3, 10), datetime(2025, 3, 11, 1, tzinfo=BERLIN))
    assert (got.user_id, got.email, got.start, got.end) == (alice.id, "alice@example.com", at(2025, 3, 10), at(2025, 3, 11))
    assert shape(got.busy) == [("10 08:00", "10 09:00", "BUSY")]
    with pytest.raises(UnknownUser):
        user_freebusy(store, uuid.uuid4(), at(2025, 3, 10), at(2025, 3, 11))
    view = working_hours_view(store, alice.id)
    assert (view.timezone, view.timezone_setting, view.is_default) == ("Europe/Berlin", None, True)
    assert view.days["mon"] == [["09:00", "17:00"]] and "sat" not in view.days
    saved = update_working_hours(store, alice.id, {"tue": [("08:00", "12:00")]}, "Asia/Tokyo")
    assert (saved.days, saved.timezone, saved.timezone_setting, saved.is_default) == (
        {"tue": [["08:00", "12:00"]]}, "Asia/Tokyo", "Asia/Tokyo", False)
    with pytest.raises(UnknownTimezone) as info:
        update_working_hours(store, alice.id, {}, "Mars/Olympus")
    assert info.value.field == "timezone"
    with pytest.raises(InvalidWorkingHours):
        update_working_hours(store, alice.id, {"mon": [("17:00", "09:00")]})
    assert update_working_hours(store, alice.id, None).is_default is True
