"""Every write is one transaction: a failure half-way leaves the database as it was, and
no notification goes out for it."""

from __future__ import annotations

import pytest

from opentalk_sched.core import Attendee, Event, InviteRole, InviteStatus, RecurrenceSet, Timing
from opentalk_sched.service import PatchEvent

from .store_backends import run_sql
from .test_service_fixtures import world  # noqa: F401 - fixture

TABLES = ("users", "events", "recurrence", "exceptions", "user_invites", "email_invites", "favorites")


def snapshot(store):
    return {t: run_sql(store, f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}


def fail_after(monkeypatch, obj, name, calls: int):
    """Make ``obj.name`` raise on its call number ``calls + 1`` (the first ``calls`` work)."""
    real = getattr(obj, name)
    count = {"n": 0}

    def wrapper(*a, **kw):
        count["n"] += 1
        if count["n"] > calls:
            raise RuntimeError(f"injected failure in {name}")
        return real(*a, **kw)

    monkeypatch.setattr(obj, name, wrapper)
    return count


def test_split_fails_after_the_first_invite_row(world, monkeypatch):  # noqa: F811
    s = world.service
    ev = world.weekly()
    s.add_favorite(world.user.id, ev.id)
    before = snapshot(world.store)
    world.seen.clear()
    count = fail_after(monkeypatch, world.store, "save_user_invite", 1)
    with pytest.raises(RuntimeError):
        s.patch_following(world.creator.id, ev.id, "20250331T070000Z", PatchEvent(title="Later"))
    assert count["n"] == 2  # the original was cut, the new series and one invite were written...
    monkeypatch.undo()
    assert snapshot(world.store) == before  # ...and all of it was rolled back
    assert world.seen == []
    assert world.store.count_events() == 1


def test_invite_fails_after_the_invite_row(world, monkeypatch):  # noqa: F811
    ev = world.weekly()
    before = snapshot(world.store)
    fail_after(monkeypatch, world.store, "save_event", 0)
    with pytest.raises(RuntimeError):
        world.service.invite_user(world.creator.id, ev.id, world.stranger.id)
    monkeypatch.undo()
    assert snapshot(world.store) == before and world.seen == []


def test_import_fails_half_way(world, monkeypatch):  # noqa: F811
    from datetime import datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    items = []
    for n in range(3):
        ev = Event.new(f"imported {n}", Timing(datetime(2025, 3, 10 + n, 9), datetime(2025, 3, 10 + n, 10),
                                               ZoneInfo("Europe/Berlin"), RecurrenceSet.from_lines(["FREQ=DAILY"])),
                       ical_uid=f"uid-{n}@example.com")
        items.append(SimpleNamespace(event=ev, organizer=None, attendees=(
            Attendee(f"guest{n}@example.org", InviteStatus.ACCEPTED, InviteRole.GUEST),)))
    before = snapshot(world.store)
    count = fail_after(monkeypatch, world.store, "save_email_invite", 2)
    with pytest.raises(RuntimeError):
        world.service.import_series(world.creator.id, items)
    assert count["n"] == 3
    monkeypatch.undo()
    assert snapshot(world.store) == before


def test_store_delete_fails_after_child_rows(world, monkeypatch):  # noqa: F811
    ev = world.weekly()
    world.service.invite_email(world.creator.id, ev.id, "guest@example.org")
    world.seen.clear()
    before = snapshot(world.store)
    store = world.store
    real_exec = store._exec

    def exec_(sql, params=()):
        if sql.startswith("DELETE FROM events"):
            raise RuntimeError("injected")
        return real_exec(sql, params)

    monkeypatch.setattr(store, "_exec", exec_)
    with pytest.raises(RuntimeError):
        world.service.delete_event(world.creator.id, ev.id)
    monkeypatch.undo()
    assert snapshot(store) == before
    assert world.seen == []


def test_user_creation_rolls_back_invite_conversion(world, monkeypatch):  # noqa: F811
    ev = world.weekly()
    world.service.invite_email(world.creator.id, ev.id, "late@example.org")
    world.service.invite_email(world.creator.id, world.weekly("Other").id, "late@example.org")
    before = snapshot(world.store)
    fail_after(monkeypatch, world.store, "save_user_invite", 1)
    with pytest.raises(RuntimeError):
        world.service.create_user("late@example.org")
    monkeypatch.undo()
    assert snapshot(world.store) == before
