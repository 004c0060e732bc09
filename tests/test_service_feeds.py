"""Service and store: what a calendar feed holds (scope, attendees, organizer, DTSTAMP) and
the feed-token lifecycle (issue, rotate, revoke; only a digest stored), on SQLite and
PostgreSQL; and the schema step that adds the ``feed_tokens`` table."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlite_utils

from opentalk_sched.core import InviteStatus
from opentalk_sched.service import CreateEvent, DateTimeTZ, NotFound, PatchEvent, Service
from opentalk_sched.service import feeds as feeds_module
from opentalk_sched.store import SCHEMA_VERSION, SqliteStore
from opentalk_sched.store.feed_tokens import FeedToken, digest, feed_tokens
from opentalk_sched.store.schema import MIGRATIONS

from .store_backends import run_sql

UTC = timezone.utc
T0 = datetime(2025, 2, 1, 9, tzinfo=UTC)


@pytest.fixture
def world(store):
    clock = [T0]
    svc = Service(store, clock=lambda: clock[0])
    people = {n: svc.create_user(f"{n}@example.org", display_name=n.title()) for n in ("alice", "bob", "carol")}
    return svc, people, clock


def _single(svc, who, title, day=10):
    return svc.create_event(who.id, CreateEvent(
        title, is_all_day=False, starts_at=DateTimeTZ(datetime(2025, 3, day, 8, tzinfo=UTC), "Europe/Berlin"),
        ends_at=DateTimeTZ(datetime(2025, 3, day, 9, tzinfo=UTC), "Europe/Berlin")))


def test_calendar_feed_scope_attendees_and_stamp(world):
    svc, p, clock = world
    alice, bob, carol = p["alice"], p["bob"], p["carol"]
    mine = _single(svc, alice, "Mine")
    svc.invite_user(alice.id, mine.id, bob.id)
    svc.invite_email(alice.id, mine.id, "guest@example.org")
    theirs = _single(svc, bob, "Bob's", 11)
    svc.invite_user(bob.id, theirs.id, alice.id)
    clock[0] = T0 + timedelta(hours=3)
    svc.decline_invite(alice.id, theirs.id)
    _single(svc, carol, "Carol's")
    someday = svc.create_event(alice.id, CreateEvent("Someday", is_time_independent=True))
    feed = svc.calendar_feed(alice.id)
    assert (feed.owner, feed.name) == (alice.id, "Alice")
    assert [i.event.title for i in feed.items] == ["Someday", "Mine", "Bob's"]  # listing order
    by_title = {i.event.title: i for i in feed.items}
    assert [(a.email, a.status, a.role.value, a.name) for a in by_title["Mine"].attendees] == [
        ("bob@example.org", InviteStatus.PENDING, "user", "Bob"),
        ("guest@example.org", InviteStatus.PENDING, "guest", None),
    ]
    assert [(a.email, a.status) for a in by_title["Bob's"].attendees] == [("alice@example.org", InviteStatus.DECLINED)]
    assert (by_title["Bob's"].organizer.email, by_title["Bob's"].organizer.name) == ("bob@example.org", "Bob")
    assert by_title["Someday"].event.id == someday.id
    assert feed.stamp == T0 + timedelta(hours=3)  # the answer is the latest change
    # the one-event feed: creator and invitees, NotFound for anyone else
    one = svc.event_feed(bob.id, mine.id)
    assert [i.event.id for i in one.items] == [mine.id] and one.name == "Mine"
    with pytest.raises(NotFound):
        svc.event_feed(carol.id, mine.id)
    with pytest.raises(NotFound):
        svc.calendar_feed(uuid.uuid4())


def test_calendar_feed_pages_through_the_store(world, monkeypatch):
    svc, p, _clock = world
    monkeypatch.setattr(feeds_module, "FEED_PAGE", 2)
    made = [_single(svc, p["alice"], f"E{n}", 1 + n).id for n in range(5)]
    assert [i.event.id for i in svc.calendar_feed(p["alice"].id).items] == made


def test_feed_token_lifecycle(world):
    svc, p, clock = world
    alice, bob = p["alice"], p["bob"]
    assert svc.feed_token_created(alice.id) is None
    with pytest.raises(NotFound):
        svc.revoke_feed_token(alice.id)
    first = svc.issue_feed_token(alice.id)
    assert first.created_at == T0 and len(first.token) == 43
    assert svc.feed_owner(first.token) == alice.id
    assert svc.feed_by_token(first.token).owner == alice.id
    assert svc.feed_token_created(alice.id) == T0
    # only the digest is stored
    rows = run_sql(svc.store, "SELECT token_hash FROM feed_tokens")
    assert [r[0] for r in rows] == [hashlib.sha256(first.token.encode()).hexdigest()]
    # rotate
    clock[0] = T0 + timedelta(days=1)
    second = svc.issue_feed_token(alice.id)
    assert second.token != first.token
    with pytest.raises(NotFound):
        svc.feed_owner(first.token)
    assert svc.feed_owner(second.token) == alice.id and svc.feed_token_created(alice.id) == clock[0]
    bobs = svc.issue_feed_token(bob.id)
    assert svc.feed_owner(bobs.token) == bob.id
    # revoke
    svc.revoke_feed_token(alice.id)
    for gone in (first.token, second.token, "", "x" * 1000, None):
        with pytest.raises(NotFound):
            svc.feed_owner(gone)
    assert svc.feed_token_created(alice.id) is None and svc.feed_owner(bobs.token) == bob.id
    with pytest.raises(NotFound):
        svc.issue_feed_token(uuid.uuid4())


def test_feed_token_store_one_per_user(store):
    svc = Service(store)
    alice = svc.create_user("alice@example.org")
    tokens = feed_tokens(store)
    tokens.save_feed_token(FeedToken(alice.id, digest("a"), T0))
    tokens.save_feed_token(FeedToken(alice.id, digest("b"), T0 + timedelta(hours=1)))
    assert tokens.find_feed_token(digest("a")) is None
    assert tokens.feed_token_of(alice.id) == FeedToken(alice.id, digest("b"), T0 + timedelta(hours=1))
    assert run_sql(store, "SELECT COUNT(*) FROM feed_tokens") == [(1,)]
    # a rolled-back transaction leaves the token as it was
    with pytest.raises(RuntimeError):
        with store.transaction():
            tokens.delete_feed_token(alice.id)
            raise RuntimeError("boom")
    assert tokens.find_feed_token(digest("b")).user_id == alice.id
    assert tokens.delete_feed_token(alice.id) is True and tokens.delete_feed_token(alice.id) is False
    with pytest.raises(TypeError):
        feed_tokens(object())


def test_a_version_1_database_gets_the_feed_tokens_table(tmp_path):
    path = tmp_path / "v1.db"
    db = sqlite_utils.Database(path)
    for statement in filter(None, (s.strip() for s in MIGRATIONS[0].split(";"))):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.conn.commit()
    db.close()
    store = SqliteStore(path)
    try:
        assert SCHEMA_VERSION >= 2
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "feed_tokens" in store.db.table_names()
    finally:
        store.close()


def test_feed_version_follows_everything_the_file_is_written_from(world):
    svc, p, clock = world
    alice, bob = p["alice"], p["bob"]
    ev = _single(svc, alice, "Mine")
    svc.invite_user(alice.id, ev.id, bob.id)
    v0 = svc.calendar_feed(alice.id).version
    assert len(v0) == 64 and svc.calendar_feed(alice.id).version == v0  # same state, same version
    versions = {v0}
    clock[0] += timedelta(minutes=1)
    for change in (
        lambda: svc.accept_invite(bob.id, ev.id),                                  # an answer
        lambda: svc.update_user(bob.id, display_name="Robert"),                   # an attendee's name
        lambda: svc.update_user(alice.id, display_name="Alicia"),                 # the organizer / feed name
        lambda: svc.patch_event(alice.id, ev.id, PatchEvent(title="Ours")),                 # the event
    ):
        change()
        clock[0] += timedelta(minutes=1)
        versions.add(svc.calendar_feed(alice.id).version)
    assert len(versions) == 5
