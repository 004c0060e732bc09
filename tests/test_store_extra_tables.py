"""The tables other modules keep in the store's database (schema version 4): working
hours (opentalk_sched.scheduling) and the CalDAV push state (opentalk_sched.caldav.state),
on both backends: persisted (another store object on the same database sees them), and
written inside the store's transaction (a rollback undoes them)."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from opentalk_sched.caldav import SyncState
from opentalk_sched.caldav.errors import CalDAVError
from opentalk_sched.caldav.state import CONFLICT, ItemState
from opentalk_sched.scheduling import get_working_hours, set_working_hours, working_hours_setting
from opentalk_sched.store import SqliteStore, User, sql
from opentalk_sched.store.schema import MIGRATIONS, SCHEMA_VERSION

from .store_backends import backend_of, run_sql


@pytest.fixture
def pair(store, request, tmp_path):
    """Two store objects on one database (two processes): SQLite files, or the test
    database through a second PostgresStore."""
    if backend_of(store) == "sqlite":
        one, two = SqliteStore(tmp_path / "cal.db"), SqliteStore(tmp_path / "cal.db")
        yield one, two
        one.close()
        two.close()
        return
    from opentalk_sched.store.postgres import PostgresStore

    two = PostgresStore(request.getfixturevalue("postgres_store_dsn"), min_size=0)
    yield store, two
    two.close()


def test_working_hours_are_stored_in_the_database(pair):
    one, two = pair
    alice = User(uuid.uuid4(), "alice@example.com", timezone="Europe/Berlin")
    one.save_user(alice)
    set_working_hours(one, alice.id, "mon-thu 08:00-16:00", "Asia/Tokyo")
    seen = working_hours_setting(two, alice.id)
    assert (seen.hours, seen.timezone, seen.is_default) == ("mon-thu 08:00-16:00", "Asia/Tokyo", False)
    assert run_sql(two, "SELECT hours FROM scheduling_working_hours WHERE user_id = ?", (str(alice.id),)) == [
        ("mon-thu 08:00-16:00",)]
    set_working_hours(two, alice.id, "mon 10:00-11:00")
    assert get_working_hours(one, alice.id).describe() == "mon 10:00-11:00"
    with pytest.raises(RuntimeError), one.transaction():
        set_working_hours(one, alice.id, "fri 09:00-10:00")
        raise RuntimeError("rolled back")
    assert get_working_hours(two, alice.id).describe() == "mon 10:00-11:00"
    set_working_hours(one, alice.id, None)
    assert working_hours_setting(two, alice.id).is_default


def test_working_hours_of_a_store_without_the_table():
    class Other:  # a Store of another kind: reads give the default, writes are refused
        def get_users(self, ids):
            return {i: User(i, "x@example.com") for i in ids}

    who = uuid.uuid4()
    assert working_hours_setting(Other(), who).is_default
    with pytest.raises(TypeError):
        set_working_hours(Other(), who, "mon 09:00-10:00")


def test_caldav_state_is_stored_in_the_database(pair):
    one, two = pair
    state = SyncState.for_store(one)
    assert state.store is one
    target = state.target("alice@example.com", "http://127.0.0.1:1/", "Work")
    assert state.target("alice@example.com", "http://127.0.0.1:1/", "Work").id == target.id
    assert state.target("alice@example.com", "http://127.0.0.1:1/", None).id != target.id
    row = ItemState(target.id, "e1", "/alice/work/e1.ics", '"abc"', 3, "h", remote_etag='"x"', remote_gone=True,
                    status=CONFLICT, pushed_at="2025-03-01T08:00:00Z")
    state.save_items([row], target=target.replace(collection_url="http://127.0.0.1:1/alice/work/", sync_token="t1"))
    again = SyncState(two)
    assert again.items(target.id) == {"e1": row}
    assert again.target("alice@example.com", "http://127.0.0.1:1/", "Work").sync_token == "t1"
    again.save_item(row.replace(etag='"def"', status="synced", remote_gone=False))
    assert state.items(target.id)["e1"].etag == '"def"' and not state.items(target.id)["e1"].remote_gone
    with pytest.raises(RuntimeError), one.transaction():
        state.delete_item(target.id, "e1")
        raise RuntimeError("rolled back")
    assert set(again.items(target.id)) == {"e1"}
    state.delete_item(target.id, "e1")
    assert again.items(target.id) == {}


def test_caldav_state_needs_a_store_that_keeps_it():
    with pytest.raises(CalDAVError) as info:
        SyncState.for_store(object())
    assert info.value.code == "caldav_state_missing"


def test_a_version_3_file_keeps_the_tables_the_modules_made(tmp_path):
    """Before version 4 the two modules created their tables themselves in the SQLite
    file; the migration keeps them and their rows."""
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path)
    for statement in filter(None, (s.strip() for step in MIGRATIONS[:3] for s in step.split(";"))):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    old = SyncState(conn)  # the tables as the old module made them, in the store's file
    target = old.target("alice@example.com", "http://127.0.0.1:1/", "Work")
    old.save_item(ItemState(target.id, "e1", "/e1.ics", '"1"', 0, "h"))
    conn.execute("CREATE TABLE scheduling_working_hours (user_id TEXT PRIMARY KEY, hours TEXT NOT NULL,"
                 " timezone TEXT, updated_at TEXT NOT NULL)")
    conn.execute("INSERT INTO scheduling_working_hours VALUES ('u1', 'mon 09:00-10:00', NULL, 'x')")
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    try:
        assert run_sql(store, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert set(SyncState(store).items(target.id)) == {"e1"}
        assert sql.run(store, "SELECT hours FROM scheduling_working_hours") == [("mon 09:00-10:00",)]
    finally:
        store.close()
