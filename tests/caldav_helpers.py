"""Helpers shared by the CalDAV push tests: a store with users and events, a second
CalDAV client (another device editing the same calendar), and request hooks.

    >>> world = World.new(tmp_path)                     # doctest: +SKIP
    >>> ev = world.add("Standup", rrule="FREQ=DAILY;COUNT=5")   # doctest: +SKIP
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import caldav
import icalendar

from opentalk_sched.caldav import Remote, RetryPolicy, SyncState, sync_to_caldav
from opentalk_sched.core import Event, InviteRole, InviteStatus, Override, OverrideKind, RecurrenceSet, Timing
from opentalk_sched.store import SqliteStore, User, UserInvite

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
FAST = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01)


class Crash(BaseException):
    """A process dying mid-run (not an Exception: nothing may catch it)."""


class World:
    """A store with alice and bob, and a push target on one CalDAV server calendar."""

    def __init__(self, store: SqliteStore, server, calendar: str) -> None:
        self.store = store
        self.server = server
        self.calendar = calendar
        self.alice = User(id=uuid.uuid4(), email="alice@example.com", display_name="Alice")
        self.bob = User(id=uuid.uuid4(), email="bob@example.com", display_name="Bob")
        store.save_user(self.alice)
        store.save_user(self.bob)
        self.state = SyncState(store.db)
        self._clock = datetime(2025, 3, 1, 8, tzinfo=UTC)

    @classmethod
    def new(cls, tmp_path, server, calendar: str | None = None) -> "World":
        return cls(SqliteStore(tmp_path / "cal.db"), server, calendar or f"cal-{uuid.uuid4().hex[:8]}")

    # -- events ---------------------------------------------------------------------------

    def tick(self) -> datetime:
        self._clock += timedelta(minutes=1)
        return self._clock

    def add(self, title: str, *, start=datetime(2025, 3, 10, 9), hours: float = 1, rrule: str | None = None,
            owner: User | None = None, all_day: bool = False, timed: bool = True) -> Event:
        owner = owner or self.alice
        timing = None
        if timed:
            if all_day:
                timing = Timing(start.date(), start.date() + timedelta(days=1), None,
                                RecurrenceSet.from_lines([rrule]) if rrule else None)
            else:
                timing = Timing(start, start + timedelta(hours=hours), BERLIN,
                                RecurrenceSet.from_lines([rrule]) if rrule else None)
        now = self.tick()
        event = Event.new(title, timing, created_by=owner.id, created_at=now, updated_by=owner.id, updated_at=now)
        self.store.save_event(event)
        return event

    def change(self, event: Event, **changes) -> Event:
        now = self.tick()
        event = self.store.get_event(event.id).replace(revision=event.revision + 1, updated_at=now, **changes)
        self.store.save_event(event)
        return event

    def override(self, event: Event, index: int, *, shift: timedelta | None = None, cancel: bool = False) -> Event:
        """Move (by ``shift``) or cancel the ``index``-th occurrence (0-based)."""
        from opentalk_sched.core import Series

        event = self.store.get_event(event.id)
        inst = list(Series(event).overlapping(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)))[index]
        rid = inst.recurrence_id
        if cancel:
            ov = Override(rid, OverrideKind.CANCELLED)
        else:
            length = event.timing.end - event.timing.start
            ov = Override(rid, OverrideKind.MODIFIED, start=rid + shift, end=rid + shift + length)
        overrides = dict(event.overrides)
        overrides[rid] = ov
        return self.change(event, overrides=overrides)

    def invite(self, event: Event, user: User, status: InviteStatus) -> None:
        self.store.save_user_invite(UserInvite(event.id, user.id, InviteRole.USER, status, event.created_by, self.tick()))

    # -- pushing --------------------------------------------------------------------------

    def remote(self, **kw) -> Remote:
        return Remote(self.server.url, self.server.credentials, self.calendar, retry=kw.pop("retry", FAST), **kw)

    def push(self, policy: str = "report", *, remote: Remote | None = None, **kw):
        return sync_to_caldav(self.store, "alice@example.com", self.server.url, self.server.credentials,
                              self.calendar, policy, remote=remote or self.remote(), retry=FAST, **kw)

    @property
    def collection_url(self) -> str:
        target = self.state.target("alice@example.com", self.server.url, self.calendar)
        return target.collection_url


class OtherDevice:
    """A second CalDAV client (say, a phone) working on the same calendar collection."""

    def __init__(self, server, collection_url: str) -> None:
        creds = server.credentials or (None, None)
        self.client = caldav.DAVClient(collection_url, username=creds[0], password=creds[1], enable_rfc6764=False)
        self.calendar = self.client.calendar(url=collection_url)
        self.url = collection_url

    def resources(self) -> dict[str, bytes]:
        """href name → body of every event resource (calendar-query, RFC 4791 §7.8)."""
        return {str(o.url).rstrip("/").rsplit("/", 1)[-1]: o.data.encode() for o in self.calendar.events()}

    def get(self, name: str) -> bytes | None:
        r = self.client.request(self.url + name, "GET")
        return r._raw_body if r.status == 200 else None

    def edit(self, name: str, summary: str) -> None:
        """Change the master's SUMMARY and save it (no precondition, as many clients do)."""
        cal = icalendar.Calendar.from_ical(self.get(name))
        for comp in cal.walk("VEVENT"):
            if comp.get("RECURRENCE-ID") is None:
                comp["SUMMARY"] = summary
        self.put(name, cal.to_ical())

    def put(self, name: str, data: bytes) -> int:
        return self.client.request(self.url + name, "PUT", data, {"Content-Type": "text/calendar"}).status

    def delete(self, name: str) -> int:
        return self.client.request(self.url + name, "DELETE").status


def summaries(data: bytes) -> list[str]:
    cal = icalendar.Calendar.from_ical(data)
    return [str(c.get("SUMMARY")) for c in cal.walk("VEVENT") if c.get("RECURRENCE-ID") is None]


def hook_session(remote: Remote, hook) -> None:
    """Put ``hook(send, method, url, **kw)`` in front of the remote's HTTP session."""
    send = remote.client.session.request

    def outer(method, url, *args, **kwargs):
        return hook(lambda: send(method, url, *args, **kwargs), str(method).upper(), str(url))

    remote.client.session.request = outer
