"""What only the PostgreSQL store has: its schema and migrations, how it represents
spans and times, the GiST window index, row and key locks for concurrent writers,
savepoints, cross-process cache invalidation, open_store URLs, and the HTTP API on it.

Everything the two backends share runs in the parametrised store and service suites
(tests/test_store.py, tests/test_service_*.py); the multi-process test is
tests/test_postgres_concurrency.py.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

psycopg = pytest.importorskip("psycopg")

from opentalk_sched.core import Event, Override, RecurrenceSet, SchedError, Timing  # noqa: E402
from opentalk_sched.store import (  # noqa: E402
    SCHEMA_VERSION, EventQuery, SchemaTooNew, SqliteStore, User, open_store, parse_store_url,
)
from opentalk_sched.store.postgres import ConcurrentUpdate, PostgresStore, redact  # noqa: E402
from opentalk_sched.store.postgres_schema import (  # noqa: E402
    MIGRATIONS, VERSION_TABLE, SchemaNotMigrated, current_version, migrate,
)

from .store_backends import create_database, run_sql  # noqa: E402

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
pytestmark = pytest.mark.backends("postgres")  # tests taking `store` run on PostgreSQL only


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def weekly(title="Weekly", start=datetime(2025, 1, 6, 9), lines=("RRULE:FREQ=WEEKLY;BYDAY=MO",), **kw):
    kw.setdefault("created_at", NOW)
    kw.setdefault("updated_at", NOW)
    return Event.new(title, Timing(start, start + timedelta(hours=1), BERLIN, RecurrenceSet.from_lines(lines)), **kw)


def single(title="One", start=datetime(2025, 2, 3, 9), **kw):
    kw.setdefault("created_at", NOW)
    kw.setdefault("updated_at", NOW)
    return Event.new(title, Timing(start, start + timedelta(hours=1), BERLIN), **kw)


@pytest.fixture
def fresh_dsn(postgres_dsn, request):
    """An empty database of its own (for schema and migration tests)."""
    return create_database(postgres_dsn, f"ots_{request.node.name[:40].lower().replace('[', '_').strip(']')}")


# -- schema and migrations ---------------------------------------------------------------------


def test_schema_is_created_with_a_version_table_and_reopening_keeps_the_data(fresh_dsn):
    s = PostgresStore(fresh_dsn)
    assert s.schema_version == SCHEMA_VERSION
    rows = run_sql(s, f"SELECT version FROM {VERSION_TABLE} ORDER BY version")
    assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    tables = {r[0] for r in run_sql(s, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"users", "events", "recurrence", "exceptions", "user_invites", "email_invites", "favorites"} <= tables
    s.save_event(single())
    s.close()
    again = PostgresStore(fresh_dsn)  # reopening migrates nothing and keeps the data
    assert again.count_events() == 1
    assert len(run_sql(again, f"SELECT * FROM {VERSION_TABLE}")) == SCHEMA_VERSION
    again.close()


def test_newer_schema_is_refused(fresh_dsn):
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNew):
        PostgresStore(fresh_dsn)
    with pytest.raises(SchemaTooNew):
        PostgresStore(fresh_dsn, migrate=False)


def test_migrate_false_refuses_an_old_schema_until_the_cli_migrates_it(fresh_dsn, capsys):
    from opentalk_sched.cli import main

    with pytest.raises(SchemaNotMigrated):
        PostgresStore(fresh_dsn, migrate=False)
    assert main(["migrate", "--db", fresh_dsn, "--check"]) == 1
    assert f"schema 0, migration to {SCHEMA_VERSION} due" in capsys.readouterr().out
    assert main(["migrate", "--db", fresh_dsn]) == 0
    assert capsys.readouterr().out.strip().endswith(f"schema 0 -> {SCHEMA_VERSION}")
    assert main(["migrate", "--db", fresh_dsn, "--check"]) == 0
    s = PostgresStore(fresh_dsn, migrate=False)
    assert s.schema_version == SCHEMA_VERSION
    s.close()


def test_processes_starting_at_once_migrate_exactly_once(fresh_dsn):
    stores, errors = [], []
    barrier = threading.Barrier(4)

    def open_one():
        barrier.wait()
        try:
            stores.append(PostgresStore(fresh_dsn, min_size=0))
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 4
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        assert current_version(conn) == SCHEMA_VERSION
        assert conn.execute(f"SELECT count(*) FROM {VERSION_TABLE}").fetchone()[0] == len(MIGRATIONS)
    for s in stores:
        s.close()


def test_unreachable_server_fails_fast_with_the_reason():
    with pytest.raises(psycopg.OperationalError, match="refused|connect"):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=2)
    assert redact("postgresql://nobody:secret@127.0.0.1:1/none") == "postgresql://nobody:***@127.0.0.1:1/none"


# -- representation ------------------------------------------------------------------------------


def test_wall_time_and_zone_are_what_is_stored(store):
    ev = single(start=datetime(2025, 7, 1, 9))
    store.save_event(ev)
    row = run_sql(store, "SELECT starts_at, tzid, starts_at_utc FROM events")[0]
    assert row == ("2025-07-01T09:00:00", "Europe/Berlin", utc(2025, 7, 1, 7))


def _span(store, ev):
    return run_sql(store, "SELECT lower(span), upper(span), upper_inf(span), span::text FROM events WHERE id = ?",
                   (ev.id,))[0]


def test_span_is_an_inclusive_tstzrange_unbounded_for_open_rules(store):
    open_ended, bounded, one = weekly(), weekly(lines=("FREQ=WEEKLY;COUNT=3",)), single()
    for ev in (open_ended, bounded, one):
        store.save_event(ev)
    assert _span(store, open_ended)[:3] == (utc(2025, 1, 6, 8), None, True)
    assert _span(store, bounded)[:3] == (utc(2025, 1, 6, 8), utc(2025, 1, 20, 9), False)
    assert _span(store, bounded)[3].startswith("[") and _span(store, bounded)[3].endswith("]")
    assert _span(store, one)[:2] == (utc(2025, 2, 3, 8), utc(2025, 2, 3, 9))


def test_time_independent_events_have_no_span_and_sort_first(store):
    ev = Event.new("No time", None, created_at=NOW)
    store.save_event(ev)
    assert run_sql(store, "SELECT span, sort_start FROM events")[0] == (None, "")


def test_window_query_uses_the_gist_span_index(store):
    for n in range(20):
        store.save_event(single(f"e{n}", start=datetime(2025, 1, 1, 9) + timedelta(days=n)))
    with store.transaction():
        run_sql(store, "SET LOCAL enable_seqscan = off")
        plan = run_sql(
            store, "EXPLAIN SELECT id FROM events e WHERE e.span && tstzrange(?, ?, '[]') AND NOT e.is_time_independent",
            (utc(2025, 1, 5), utc(2025, 1, 8)),
        )
    assert any("idx_events_span" in r[0] for r in plan), plan
    assert sorted(h.event.title for h in store.window(utc(2025, 1, 5), utc(2025, 1, 8))) == ["e4", "e5", "e6"]


def test_listing_cursor_that_is_not_a_position_is_a_bad_request(store):
    store.save_event(single())
    with pytest.raises(SchedError) as err:
        store.list_events(EventQuery(after=("2025", "yesterday", "not-a-uuid")))
    assert err.value.code == "bad_request" and err.value.field == "after"


# -- versions and the cache across processes -----------------------------------------------------


def test_writes_through_another_store_are_seen(store, postgres_store_dsn):
    other = PostgresStore(postgres_store_dsn, min_size=0)  # another process: its own pool and cache
    try:
        ev = weekly()
        store.save_event(ev)
        assert other.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].event.title == "Weekly"
        ev.title = "Changed elsewhere"
        store.save_event(ev)
        assert other.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].event.title == "Changed elsewhere"
    finally:
        other.close()


def test_versions_are_never_reused_not_even_after_delete_and_recreate(store):
    ev = weekly()
    store.save_event(ev)
    first = store.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    store.delete_event(ev.id)
    ev.title = "Same id, new event"
    store.save_event(ev)
    again = store.window(utc(2025, 3, 1), utc(2025, 4, 1))[0].compiled
    assert again.version > first.version and again.event.title == "Same id, new event"


# -- transactions and locks ----------------------------------------------------------------------


def test_nested_transactions_are_savepoints(store):
    a, b = single("kept"), single("undone", start=datetime(2025, 2, 4, 9))
    with store.transaction():
        store.save_event(a)
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.save_event(b)
                raise RuntimeError("inner")
        assert store.in_transaction
    assert not store.in_transaction
    assert [r[0] for r in run_sql(store, "SELECT title FROM events")] == ["kept"]


def test_transactions_are_per_thread(store):
    seen = {}
    with store.transaction():
        t = threading.Thread(target=lambda: seen.update(other=store.in_transaction))
        t.start()
        t.join()
        seen["mine"] = store.in_transaction
    assert seen == {"mine": True, "other": False}


def _locked_elsewhere(dsn: str, sql: str, params) -> bool:
    """Whether another session fails to take a lock (NOWAIT / try-lock) right now."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            row = conn.execute(sql, params).fetchone()
        except psycopg.errors.LockNotAvailable:
            return True
        return row is not None and row[0] is False


def test_get_event_in_a_transaction_locks_the_row_until_commit(store, postgres_store_dsn):
    ev = single()
    store.save_event(ev)
    lock = "SELECT 1 FROM events WHERE id = %s FOR NO KEY UPDATE NOWAIT"
    assert not _locked_elsewhere(postgres_store_dsn, lock, (ev.id,))  # plain reads lock nothing
    store.get_event(ev.id)
    assert not _locked_elsewhere(postgres_store_dsn, lock, (ev.id,))
    with store.transaction():
        assert store.get_event(ev.id) == ev
        assert _locked_elsewhere(postgres_store_dsn, lock, (ev.id,))
        # inserting an invite that references the event still works meanwhile (FK: KEY SHARE)
        with psycopg.connect(postgres_store_dsn, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '2s'")
            conn.execute("INSERT INTO favorites (user_id, event_id) VALUES (%s, %s)", (uuid.uuid4(), ev.id))
    assert not _locked_elsewhere(postgres_store_dsn, lock, (ev.id,))


def test_lookups_by_natural_key_in_a_transaction_hold_the_key(store, postgres_store_dsn):
    try_lock = "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))"
    with store.transaction():
        assert store.find_user_by_email("New@Example.org") is None
        store.find_event_by_ical_uid("uid-1@example.org", None)
        assert _locked_elsewhere(postgres_store_dsn, try_lock, ("opentalk-sched:user-email:new@example.org",))
        assert _locked_elsewhere(postgres_store_dsn, try_lock, ("opentalk-sched:event-uid:None:uid-1@example.org",))
        assert not _locked_elsewhere(postgres_store_dsn, try_lock, ("opentalk-sched:user-email:other@example.org",))
    assert not _locked_elsewhere(postgres_store_dsn, try_lock, ("opentalk-sched:user-email:new@example.org",))


def test_a_deadlock_between_two_writers_is_a_concurrent_update_and_writes_nothing(store):
    a, b = single("a"), single("b", start=datetime(2025, 2, 4, 9))
    store.save_event(a)
    store.save_event(b)
    barrier = threading.Barrier(2, timeout=30)
    outcome: dict[str, object] = {}

    def writer(name, first, second):
        try:
            with store.transaction():
                run_sql(store, "SET LOCAL deadlock_timeout = '50ms'")
                ev = store.get_event(first.id)
                barrier.wait()
                store.get_event(second.id)  # each waits for the other: PostgreSQL aborts one
                ev.title = f"{ev.title} by {name}"
                store.save_event(ev)
            outcome[name] = "committed"
        except ConcurrentUpdate as err:
            outcome[name] = err

    threads = [threading.Thread(target=writer, args=("x", a, b)), threading.Thread(target=writer, args=("y", b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(v).__name__ if not isinstance(v, str) else v for v in outcome.values()) == [
        "ConcurrentUpdate", "committed"]
    loser = next(k for k, v in outcome.items() if not isinstance(v, str))
    assert outcome[loser].code == "conflict"
    titles = sorted(r[0] for r in run_sql(store, "SELECT title FROM events"))
    assert len([t for t in titles if t.endswith(f"by {loser}")]) == 0 and len(titles) == 2


def test_save_event_keeps_exception_stamps_and_rewrites_only_changed_rows(store):
    author = uuid.uuid4()
    ev = weekly(updated_by=author)
    ev.overrides[datetime(2025, 1, 13, 9)] = Override(datetime(2025, 1, 13, 9), title="x")
    store.save_event(ev)
    (xmin,) = run_sql(store, "SELECT xmin::text FROM exceptions")[0]
    ev.title = "renamed"
    store.save_event(ev)
    assert run_sql(store, "SELECT xmin::text FROM exceptions")[0][0] == xmin  # untouched row
    assert store.get_event(ev.id) == ev


# -- open_store and the API ------------------------------------------------------------------------


def test_open_store_picks_the_backend_from_the_url(postgres_store_dsn, tmp_path):
    assert parse_store_url("postgres://h/db") == ("postgres", "postgres://h/db")
    assert parse_store_url("sqlite:////abs/cal.db") == ("sqlite", "/abs/cal.db")
    assert parse_store_url("sqlite://") == ("sqlite", ":memory:")
    with pytest.raises(ValueError):
        parse_store_url("mysql://h/db")
    pg = open_store(postgres_store_dsn, min_size=0)
    lite = open_store(f"sqlite:///{tmp_path / 'cal.db'}")
    assert isinstance(pg, PostgresStore) and isinstance(lite, SqliteStore)
    assert lite.path == str(tmp_path / "cal.db")
    pg.close()
    lite.close()


def test_the_http_api_runs_on_postgres(store):
    from fastapi.testclient import TestClient

    from opentalk_sched.api import StaticTokenVerifier, create_app

    app = create_app(store, StaticTokenVerifier.from_text("t-alice alice@example.org\nt-bob bob@example.org"))
    alice, bob = {"Authorization": "Bearer t-alice"}, {"Authorization": "Bearer t-bob"}
    with TestClient(app) as client:
        assert client.get("/v1/users/me/pending_invites", headers=bob).json() == {"total_pending_invites": 0}
        body = {
            "title": "Standup", "is_time_independent": False, "is_all_day": False,
            "starts_at": {"datetime": "2025-03-10T08:00:00Z", "timezone": "Europe/Berlin"},
            "ends_at": {"datetime": "2025-03-10T08:15:00Z", "timezone": "Europe/Berlin"},
            "recurrence_pattern": ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"],
        }
        r = client.post("/v1/events", json=body, headers=alice)
        assert r.status_code == 201, r.text
        eid = r.json()["id"]
        bob_id = str(store.find_user_by_email("bob@example.org").id)
        assert client.post(f"/v1/events/{eid}/invites", json={"invitee": bob_id}, headers=alice).status_code == 201
        assert client.patch(f"/v1/events/{eid}/instances/20250312T080000Z", json={"title": "Moved"},
                            headers=alice).status_code == 200
        assert client.patch(f"/v1/events/{eid}/invite", headers=bob).status_code == 204
        r = client.get("/v1/events/instances", headers=bob, params={
            "time_min": "2025-03-10T00:00:00Z", "time_max": "2025-03-17T00:00:00Z"})
        assert r.status_code == 200, r.text
        assert [(i["instance_id"], i["title"], i["invite_status"]) for i in r.json()] == [
            ("20250310T080000Z", "Standup", "accepted"), ("20250312T080000Z", "Moved", "accepted")]
        r = client.get(f"/v1/events/{eid}", headers=alice)
        assert r.headers["etag"].strip('W/"') == "2"  # invite + instance change
    assert isinstance(store.get_user(uuid.UUID(bob_id)), User)


def test_serve_builds_the_api_on_a_postgresql_url(store, postgres_store_dsn, tmp_path):
    from fastapi.testclient import TestClient

    from opentalk_sched.cli import build_parser
    from opentalk_sched.cli.serve import build

    with pytest.raises(ValueError, match="--tokens"):
        build(build_parser().parse_args(["serve", "--db", postgres_store_dsn]))
    tokens = tmp_path / "tokens"
    tokens.write_text("t-carol carol@example.org Carol\n")
    app, served, tokens_path = build(build_parser().parse_args(
        ["serve", "--db", postgres_store_dsn, "--tokens", str(tokens)]))
    try:
        assert isinstance(served, PostgresStore) and tokens_path == tokens
        with TestClient(app) as client:
            r = client.get("/v1/users/me/pending_invites", headers={"Authorization": "Bearer t-carol"})
            assert r.status_code == 200 and r.json() == {"total_pending_invites": 0}
        assert store.find_user_by_email("carol@example.org").display_name == "Carol"
    finally:
        served.close()


def test_import_and_instances_take_a_store_url(fresh_dsn, tmp_path, capsys):
    """``import --db`` and ``instances --db`` open any store URL (as serve and freebusy
    do): the same files imported into PostgreSQL and into an SQLite file (``sqlite:///``)
    give the same instances; the password of a URL is not printed."""
    from opentalk_sched.cli import main

    examples = Path(__file__).resolve().parent.parent / "examples"
    secret = fresh_dsn.replace("postgres@", "postgres:s3cret@", 1)  # trust auth: any password
    lite = f"sqlite:///{tmp_path / 'cal.db'}"
    for db in (secret, lite):
        for name in ("team.ics", "google.ics"):
            assert main(["import", str(examples / name), "--db", db, "--as", "alice@example.com"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out and "into postgresql://postgres:***@" in out
    assert main(["import", str(examples / "team.ics"), "--db", fresh_dsn, "--as", "alice@example.com"]) == 0
    assert " 0 created" in capsys.readouterr().out
    window = ["--from", "2026-01-01", "--to", "2026-04-01", "--json"]
    found = {}
    for db in (fresh_dsn, lite):
        assert main(["instances", "--db", db, *window]) == 0
        found[db] = [{k: v for k, v in json.loads(line).items() if k != "event_id"}
                     for line in capsys.readouterr().out.splitlines()]
    assert found[fresh_dsn] and found[fresh_dsn] == found[lite]
    pg = PostgresStore(fresh_dsn, min_size=0)
    try:
        assert pg.count_events() == SqliteStore(tmp_path / "cal.db").count_events() > 0
    finally:
        pg.close()
