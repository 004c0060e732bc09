"""The SQLite store: schema, round trips of every event shape, the span index, invites,
favorites, listing order, transactions and the compiled-series cache."""

from __future__ import annotations

import functools
import sqlite3
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.core import (
    Event, InviteRole, InviteStatus, Observance, Override, OverrideKind, RecurrenceSet, Room, Series, Timing,
    VTimezone,
)
from opentalk_sched.store import (
    SCHEMA_VERSION, EmailInvite, EventQuery, SchemaTooNew, SqliteStore, Store, User, UserInvite,
)
from opentalk_sched.store.codec import OPEN_END

from .store_backends import INTEGRITY_ERRORS, run_sql

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def weekly(title="Weekly", start=datetime(2025, 1, 6, 9), lines=("RRULE:FREQ=WEEKLY;BYDAY=MO",), **kw):
    kw.setdefault("created_at", NOW)
    kw.setdefault("updated_at", NOW)
    return Event.new(title, Timing(start, start + timedelta(hours=1), BERLIN, RecurrenceSet.from_lines(lines)), **kw)


def single(title="One", start=datetime(2025, 2, 3, 9), tz=BERLIN, **kw):
    kw.setdefault("created_at", NOW)
    kw.setdefault("updated_at", NOW)
    return Event.new(title, Timing(start, start + timedelta(hours=1), tz), **kw)


# -- schema ------------------------------------------------------------------------------


def test_schema_is_created_with_version_and_wal(tmp_path):
    path = tmp_path / "cal.db"
    s = SqliteStore(path)
    assert s.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert s.db.journal_mode == "wal"
    tables = set(s.db.table_names())
    assert {"users", "events", "recurrence", "exceptions", "user_invites", "email_invites", "favorites"} <= tables
    s.save_event(single())
    s.close()
    again = SqliteStore(path)  # reopening migrates nothing and keeps the data
    assert again.count_events() == 1
    again.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        SqliteStore(path)


def test_sqlite_store_satisfies_the_protocol(store):
    assert isinstance(store, Store)


# -- round trips -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _custom_zone():
    return VTimezone("Custom/Berlin", (
        Observance("STANDARD", datetime(1970, 10, 25, 3), 7200, 3600, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", (), "CET"),
        Observance("DAYLIGHT", datetime(1970, 3, 29, 2), 3600, 7200, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", (), "CEST"),
    ))


def _shapes():
    creator = uuid.uuid4()
    meta = dict(created_by=creator, updated_by=creator, created_at=NOW, updated_at=NOW)
    ev = weekly(
        lines=("RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=Europe/Berlin:20250113T090000", "RDATE:20250108T080000Z"),
        room=Room(uuid.uuid4(), "secret", True), properties=("LOCATION:Room 1", "X-FOO:bar"), revision=3, **meta,
    )
    ev.overrides[datetime(2025, 1, 20, 9)] = Override(
        datetime(2025, 1, 20, 9), title="moved", description="d", start=datetime(2025, 1, 21, 9),
        end=datetime(2025, 1, 21, 11), sequence=2, properties=("X-A:1",),
    )
    ev.overrides[datetime(2025, 1, 27, 9)] = Override(datetime(2025, 1, 27, 9), kind=OverrideKind.CANCELLED)
    allday = Event.new("Holiday", Timing(date(2025, 5, 1), date(2025, 5, 2), None,
                                         RecurrenceSet.from_lines(["FREQ=YEARLY;COUNT=5"])), **meta)
    allday.overrides[date(2026, 5, 1)] = Override(date(2026, 5, 1), is_all_day=False, start=datetime(2026, 5, 1, 9),
                                                  end=datetime(2026, 5, 1, 10))
    floating = Event.new("Float", Timing(datetime(2025, 3, 1, 9), datetime(2025, 3, 1, 9, 30), None,
                                         RecurrenceSet.from_lines(["FREQ=DAILY;UNTIL=20250310T090000"])), **meta)
    custom = Event.new("Custom", Timing(datetime(2025, 3, 1, 9), datetime(2025, 3, 1, 10), _custom_zone(),
                                        RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=3"])), **meta)
    nominal = Event.new("Nominal", Timing(datetime(2025, 3, 29, 12), datetime(2025, 3, 30, 12), BERLIN,
                                          nominal=timedelta(days=1)), **meta)
    independent = Event.new("No time", None, is_adhoc=True, **meta)
    imported = Event.new("Imported", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), BERLIN),
                         ical_uid="abc@example.com", **meta)
    return [ev, allday, floating, custom, nominal, independent, imported]


@pytest.mark.parametrize("index", range(7))
def test_every_event_shape_round_trips(store, index):
    ev = _shapes()[index]
    store.save_event(ev)
    back = store.get_event(ev.id)
    assert back == ev
    assert back.timing is None or back.timing.tzid == ev.timing.tzid


@pytest.mark.backends("sqlite")  # PostgreSQL adapts the same columns (tests/test_postgres_store.py)
@pytest.mark.parametrize("index", range(7))
def test_sqlite_rows_are_the_shared_codec_columns(store, index):
    """SQLite writes exactly :func:`codec.event_columns` and reads with
    :func:`codec.event_from_row`, as PostgreSQL does: one encoding for both backends."""
    from opentalk_sched.store import codec

    ev = _shapes()[index]
    store.save_event(ev)
    row = store._one("SELECT * FROM events WHERE id = ?", (str(ev.id),))
    expected = codec.event_columns(ev)
    assert {k: row[k] for k in expected} == expected
    assert set(row.keys()) - set(expected) == {"version"}
    lines = [r[0] for r in run_sql(store, "SELECT line FROM recurrence WHERE event_id = ? ORDER BY position",
                                   (str(ev.id),))]
    exceptions = store._rows("SELECT * FROM exceptions WHERE event_id = ?", (str(ev.id),))
    assert codec.event_from_row(row, lines, exceptions) == store.get_event(ev.id) == ev


def test_custom_zone_is_stored_as_observances(store):
    ev = _shapes()[3]
    store.save_event(ev)
    row = run_sql(store, "SELECT tzid, custom_zones FROM events")[0]
    assert row[0] == "Custom/Berlin"
    assert '"offset_to": 7200' in row[1]
    back = store.get_event(ev.id)
    assert isinstance(back.timing.tz, VTimezone) and back.timing.tz.observances == ev.timing.tz.observances


@pytest.mark.backends("sqlite")  # PostgreSQL: tests/test_postgres_store.py
def test_wall_time_and_zone_are_what_is_stored(store):
    ev = single(start=datetime(2025, 7, 1, 9))
    store.save_event(ev)
    row = store.db.execute("SELECT starts_at, tzid, starts_at_utc FROM events").fetchone()
    assert row == ("2025-07-01T09:00:00", "Europe/Berlin", "2025-07-01T07:00:00")


# -- span index ------------------------------------------------------------------------------


def _span(store, ev):
    return store.db.execute("SELECT span_start, span_end FROM events WHERE id = ?", (str(ev.id),)).fetchone()


@pytest.mark.backends("sqlite")  # PostgreSQL: tests/test_postgres_store.py
def test_span_of_bounded_and_unbounded_series(store):
    open_ended = weekly()
    bounded = weekly(lines=("FREQ=WEEKLY;COUNT=3",))
    one = single()
    for ev in (open_ended, bounded, one):
        store.save_event(ev)
    assert _span(store, open_ended) == ("2025-01-06T08:00:00", OPEN_END)
    assert _span(store, bounded) == ("2025-01-06T08:00:00", "2025-01-20T09:00:00")
    assert _span(store, one) == ("2025-02-03T08:00:00", "2025-02-03T09:00:00")
    first, last = Series(bounded).span
    assert (first, last) == (datetime(2025, 1, 6, 8), datetime(2025, 1, 20, 9))


@pytest.mark.backends("sqlite")  # PostgreSQL: tests/test_postgres_store.py
def test_time_independent_events_have_no_span_and_sort_first(store):
    ev = _shapes()[5]
    store.save_event(ev)
    assert _span(store, ev) == (None, None)
    assert store.db.execute("SELECT sort_start FROM events").fetchone()[0] == ""


def test_window_returns_only_events_whose_span_overlaps(store):
    early = single("early", start=datetime(2024, 1, 1, 9))
    late = single("late", start=datetime(2026, 1, 1, 9))
    ongoing = weekly("ongoing", start=datetime(2023, 1, 2, 9))
    ended = weekly("ended", start=datetime(2023, 1, 2, 9), lines=("FREQ=WEEKLY;UNTIL=20230301T000000Z",))
    floating = Event.new("floating", Timing(datetime(2025, 3, 1, 0, 30), datetime(2025, 3, 1, 1), None))
    for ev in (early, late, ongoing, ended, floating, _shapes()[5]):
        store.save_event(ev)
    hits = store.window(utc(2025, 3, 1), utc(2025, 4, 1))
    assert sorted(h.event.title for h in hits) == ["floating", "ongoing"]
    # a floating event just before the window is a candidate: its zone is the query's
    hits = store.window(utc(2025, 3, 1, 2), utc(2025, 3, 2))
    assert sorted(h.event.title for h in hits) == ["floating", "ongoing"]


def test_window_is_scoped_to_creator_and_invitees(store):
    alice, bob, carol = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mine = single("mine", created_by=alice)
    invited = single("invited", created_by=carol)
    other = single("other", created_by=carol)
    for ev in (mine, invited, other):
        store.save_event(ev)
    store.save_user_invite(UserInvite(invited.id, alice, InviteRole.USER, InviteStatus.DECLINED, carol, NOW, NOW))
    hits = store.window(utc(2025, 2, 1), utc(2025, 3, 1), user_id=alice)
    got = {h.event.title: h.invite.status if h.invite else None for h in hits}
    assert got == {"mine": None, "invited": InviteStatus.DECLINED}
    assert {h.event.title for h in store.window(utc(2025, 2, 1), utc(2025, 3, 1), user_id=bob)} == set()


@pytest.mark.backends("sqlite")  # PostgreSQL: tests/test_postgres_store.py
def test_window_uses_the_span_index(store):
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM events WHERE span_end >= ? AND span_start <= ? AND is_time_independent = 0",
        ("2025-01-01", "2025-02-01"),
    ).fetchall()
    assert any("idx_events_span" in str(row) for row in plan)


# -- cache -----------------------------------------------------------------------------------


def test_compiled_series_are_cached_by_version(store):
    ev = weekly()
    store.save_event(ev)
    a = store.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    b = store.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    assert a is b
    ev.title = "Renamed"
    store.save_event(ev)
    c = store.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    assert c is not a and c.event.title == "Renamed" and c.version == a.version + 1


def test_writes_from_another_connection_are_seen(tmp_path):
    path = tmp_path / "shared.db"
    one, two = SqliteStore(path), SqliteStore(path)
    ev = weekly()
    one.save_event(ev)
    assert two.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].event.title == "Weekly"
    ev.title = "Changed elsewhere"
    one.save_event(ev)
    assert two.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].event.title == "Changed elsewhere"
    one.close()
    two.close()


def test_a_deleted_and_recreated_event_is_seen_by_another_store_on_the_file(tmp_path):
    """An import deletes an event and creates it again with the same id: the version must
    not start over, or another process's cache (keyed by id and version) serves the old
    event."""
    path = tmp_path / "shared.db"
    one, two = SqliteStore(path), SqliteStore(path)
    ev = weekly()
    one.save_event(ev)
    first = two.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    assert first.event.title == "Weekly"
    one.delete_event(ev.id)
    ev.title = "Same id, new event"
    one.save_event(ev)
    again = two.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    assert again.event.title == "Same id, new event" and again.version > first.version
    assert two.compile_events([ev.id])[str(ev.id)].event.title == "Same id, new event"
    one.close()
    two.close()


def test_a_version_2_database_counts_versions_on_from_its_highest(tmp_path):
    from opentalk_sched.store.schema import MIGRATIONS

    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for statement in filter(None, (s.strip() for step in MIGRATIONS[:2] for s in step.split(";"))):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO events (id, ical_uid, version, is_time_independent, sort_start) VALUES (?, 'u', 7, 1, '')",
        (str(uuid.uuid4()),),
    )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    s = SqliteStore(path)
    try:
        assert run_sql(s, "SELECT last FROM event_versions") == [(7,)]
        ev = single()
        s.save_event(ev)
        assert run_sql(s, "SELECT version FROM events WHERE id = ?", (str(ev.id),)) == [(8,)]
    finally:
        s.close()


def test_month_lists_give_the_same_instances_as_the_core(store):
    ev = weekly(lines=("FREQ=DAILY;BYHOUR=9,23",), start=datetime(2025, 1, 1, 9))
    ev.overrides[datetime(2025, 2, 27, 23)] = Override(datetime(2025, 2, 27, 23), start=datetime(2025, 3, 2, 9),
                                                         end=datetime(2025, 3, 2, 10))
    store.save_event(ev)
    compiled = store.window(utc(2025, 1, 1), utc(2026, 1, 1))[0].compiled
    series = Series(ev)
    for lo, hi in [(utc(2025, 2, 28, 22), utc(2025, 3, 1, 0, 30)), (utc(2025, 1, 15), utc(2025, 4, 2)),
                   (utc(2025, 3, 1), utc(2025, 3, 1)), (utc(2025, 2, 28, 22, 30), utc(2025, 2, 28, 22, 30))]:
        want = [(i.instance_id, i.start) for i in series.overlapping(lo, hi)]
        assert [(i.instance_id, i.start) for i in compiled.overlapping(lo, hi)] == want


# -- exceptions --------------------------------------------------------------------------------


def test_exception_stamps_survive_unrelated_writes(store):
    ev = weekly(updated_by=uuid.uuid4())
    ev.overrides[datetime(2025, 1, 13, 9)] = Override(datetime(2025, 1, 13, 9), title="x")
    store.save_event(ev)
    first = store.exception_meta([ev.id])[ev.id]["2025-01-13T09:00:00"]
    ev.title = "renamed"
    ev.updated_at = NOW + timedelta(hours=1)
    store.save_event(ev)
    again = store.exception_meta([ev.id])[ev.id]["2025-01-13T09:00:00"]
    assert again == first
    ev.overrides[datetime(2025, 1, 13, 9)] = Override(datetime(2025, 1, 13, 9), title="y")
    ev.updated_at = NOW + timedelta(hours=2)
    store.save_event(ev)
    changed = store.exception_meta([ev.id])[ev.id]["2025-01-13T09:00:00"]
    assert changed.created_at == first.created_at and changed.updated_at == NOW + timedelta(hours=2)


def test_exceptions_are_unique_per_event_and_original_start(store):
    ev = weekly()
    store.save_event(ev)
    row = ("2025-01-13T09:00:00", "2025-01-13T08:00:00", "modified")
    run_sql(
        store, "INSERT INTO exceptions (event_id, recurrence_id, original_start_utc, kind) VALUES (?, ?, ?, ?)",
        (str(ev.id), *row),
    )
    with pytest.raises(INTEGRITY_ERRORS):
        run_sql(
            store, "INSERT INTO exceptions (event_id, recurrence_id, original_start_utc, kind) VALUES (?, ?, ?, ?)",
            (str(ev.id), *row),
        )


# -- delete and transactions ---------------------------------------------------------------------


def test_delete_removes_everything_of_the_event(store):
    ev = _shapes()[0]
    store.save_event(ev)
    user = uuid.uuid4()
    store.save_user_invite(UserInvite(ev.id, user))
    store.save_email_invite(EmailInvite(ev.id, "x@example.com"))
    store.add_favorite(user, ev.id)
    assert store.delete_event(ev.id) is True
    for table in ("events", "recurrence", "exceptions", "user_invites", "email_invites", "favorites"):
        assert run_sql(store, f"SELECT COUNT(*) FROM {table}")[0][0] == 0, table
    assert store.delete_event(ev.id) is False


def test_transaction_rolls_back_every_row(store):
    ev = _shapes()[0]
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.save_event(ev)
            store.save_user_invite(UserInvite(ev.id, uuid.uuid4()))
            raise RuntimeError("boom")
    for table in ("events", "recurrence", "exceptions", "user_invites"):
        assert run_sql(store, f"SELECT COUNT(*) FROM {table}")[0][0] == 0, table


def test_save_event_is_atomic_when_a_row_fails(store, monkeypatch):
    ev = _shapes()[0]
    store.save_event(ev)
    before = store.get_event(ev.id)
    changed = store.get_event(ev.id)
    changed.title = "half"
    changed.overrides[datetime(2025, 2, 3, 9)] = Override(datetime(2025, 2, 3, 9), title="new")

    def boom(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_save_exceptions", boom)
    with pytest.raises(RuntimeError):
        store.save_event(changed)
    monkeypatch.undo()
    assert store.get_event(ev.id) == before


# -- users ---------------------------------------------------------------------------------------


def test_users_by_email_and_subject(store):
    u = User(uuid.uuid4(), "alice@example.com", "Alice", subject="sub-1", created_at=NOW)
    store.save_user(u)
    assert store.find_user_by_email("ALICE@example.com") == u
    assert store.find_user_by_subject("sub-1") == u
    assert store.get_users([u.id, uuid.uuid4()]) == {u.id: u}
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_user(User(uuid.uuid4(), "alice@example.com"))


# -- invites and favorites ---------------------------------------------------------------------


def test_invites_pages_and_counts(store):
    ev = single()
    store.save_event(ev)
    users = [uuid.uuid4() for _ in range(3)]
    for n, u in enumerate(users):
        status = InviteStatus.PENDING if n else InviteStatus.ACCEPTED
        store.save_user_invite(UserInvite(ev.id, u, status=status, created_at=NOW + timedelta(minutes=n)))
    store.save_email_invite(EmailInvite(ev.id, "Guest@Example.com", created_at=NOW + timedelta(minutes=5)))
    items, total = store.invites_page(ev.id, offset=0, limit=2)
    assert total == 4 and [getattr(i, "invitee", None) for i in items] == users[:2]
    items, total = store.invites_page(ev.id, status=InviteStatus.PENDING, offset=2, limit=2)
    assert total == 3 and [i.email for i in items] == ["guest@example.com"]
    summary = store.invitees([ev.id], limit=1)
    assert summary[ev.id][1] == 4 and summary[ev.id][0][0].invitee == users[0]
    assert store.invitees([ev.id], limit=0)[ev.id] == ([], 4)
    assert store.pending_invite_count(users[1]) == 1 and store.pending_invite_count(users[0]) == 0


def test_favorites(store):
    ev = single()
    store.save_event(ev)
    u = uuid.uuid4()
    assert store.add_favorite(u, ev.id) is True
    assert store.add_favorite(u, ev.id) is False
    assert store.favorite_ids(u, [ev.id, uuid.uuid4()]) == {ev.id}
    assert store.remove_favorite(u, ev.id) is True
    assert store.remove_favorite(u, ev.id) is False


# -- listing -------------------------------------------------------------------------------------


def test_listing_order_and_keyset(store):
    u = uuid.uuid4()
    evs = [
        single("b", start=datetime(2025, 3, 1, 9), created_by=u),
        single("a", start=datetime(2025, 1, 1, 9), created_by=u),
        Event.new("ti", None, created_by=u, created_at=NOW),
        weekly("w", start=datetime(2025, 2, 3, 9), created_by=u),
    ]
    for ev in evs:
        store.save_event(ev)
    rows = store.list_events(EventQuery(user_id=u, limit=10))
    assert [r.event.title for r in rows] == ["ti", "a", "w", "b"]
    page = store.list_events(EventQuery(user_id=u, after=rows[1].sort_key, limit=2))
    assert [r.event.title for r in page] == ["w", "b"]
    window = store.list_events(EventQuery(user_id=u, time_min=utc(2025, 2, 15), time_max=utc(2025, 2, 16)))
    assert [r.event.title for r in window] == ["w"]
    ti = store.list_events(EventQuery(user_id=u, time_independent=True))
    assert [r.event.title for r in ti] == ["ti"]


def test_listing_filters_by_invite_status_and_favorites(store):
    alice, carol = uuid.uuid4(), uuid.uuid4()
    own = single("own", created_by=alice)
    declined = single("declined", created_by=carol, start=datetime(2025, 2, 4, 9))
    pending = single("pending", created_by=carol, start=datetime(2025, 2, 5, 9))
    for ev in (own, declined, pending):
        store.save_event(ev)
    store.save_user_invite(UserInvite(declined.id, alice, status=InviteStatus.DECLINED))
    store.save_user_invite(UserInvite(pending.id, alice, status=InviteStatus.PENDING))
    store.add_favorite(alice, pending.id)
    accepted = store.list_events(EventQuery(user_id=alice, invite_status=frozenset({InviteStatus.ACCEPTED})))
    assert [r.event.title for r in accepted] == ["own"]
    both = store.list_events(EventQuery(
        user_id=alice, invite_status=frozenset({InviteStatus.DECLINED, InviteStatus.PENDING})))
    assert [(r.event.title, r.invite.status) for r in both] == [
        ("declined", InviteStatus.DECLINED), ("pending", InviteStatus.PENDING)]
    favs = store.list_events(EventQuery(user_id=alice, favorites=True))
    assert [(r.event.title, r.is_favorite) for r in favs] == [("pending", True)]


def test_room_and_uid_lookups(store):
    u = uuid.uuid4()
    ev = _shapes()[6]
    ev.created_by = u
    ev.room = Room(uuid.uuid4())
    store.save_event(ev)
    assert store.find_event_by_room(ev.room.id).id == ev.id
    assert store.find_event_by_ical_uid("abc@example.com", u).id == ev.id
    assert store.find_event_by_ical_uid("abc@example.com", uuid.uuid4()) is None
    dup = single(created_by=u)
    dup.room = ev.room
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_event(dup)
