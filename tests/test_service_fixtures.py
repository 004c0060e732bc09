"""Shared set-up for the service tests (no tests here): a store, a service with a fixed
clock and a recording hook, and the five callers of the SPEC §2 permission table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from opentalk_sched.core import InviteRole
from opentalk_sched.service import CreateEvent, DateTimeTZ, Service
from opentalk_sched.store import Store

UTC = timezone.utc


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def at(*a, tz: str = "Europe/Berlin") -> DateTimeTZ:
    """A DateTimeTZ from UTC parts, meant in ``tz``."""
    return DateTimeTZ(utc(*a), tz)


class Clock:
    def __init__(self) -> None:
        self.now = utc(2025, 1, 1, 12)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class World:
    service: Service
    store: Store
    seen: list
    creator: object
    moderator: object
    user: object
    declined: object
    stranger: object

    def weekly(self, title="Weekly", lines=("FREQ=WEEKLY;BYDAY=MO",), **kw):
        """A weekly event by the creator, Mondays 09:00-10:00 Berlin from 2025-03-10,
        with the moderator, user and declined invitees."""
        s = self.service
        req = CreateEvent(title, is_all_day=False, starts_at=at(2025, 3, 10, 8), ends_at=at(2025, 3, 10, 9),
                          recurrence_pattern=tuple(lines), **kw)
        ev = s.create_event(self.creator.id, req)
        s.invite_user(self.creator.id, ev.id, self.moderator.id, InviteRole.MODERATOR)
        s.invite_user(self.creator.id, ev.id, self.user.id)
        s.invite_user(self.creator.id, ev.id, self.declined.id)
        s.decline_invite(self.declined.id, ev.id)
        self.seen.clear()
        return s.get_event(self.creator.id, ev.id)


@pytest.fixture
def world(store):  # `store`: tests/conftest.py, SQLite and PostgreSQL
    seen: list = []
    service = Service(store, notify=seen.append, clock=Clock())
    people = [service.create_user(f"{n}@example.com", display_name=n.title())
              for n in ("creator", "moderator", "user", "declined", "stranger")]
    yield World(service, store, seen, *people)
