"""What the push sends: a small source interface between the store and the sync engine.

A source lists the events that belong on one user's calendar, each as a
:class:`SourceItem`: the event id (which names the resource, ``<event_id>.ics``), the
iCalendar UID, the revision (SEQUENCE) and the exported bytes of the whole series
(VTIMEZONEs + master VEVENT + one VEVENT per override, RFC 4791 §4.1: one UID per
calendar object resource).

    >>> src = StaticSource([SourceItem("e1", "e1", 0, b"BEGIN:VCALENDAR...")])
    >>> [i.href_name for i in src.items()]
    ['e1.ics']

The engine (:mod:`.engine`) only ever sees this interface, so it can be tested without
a store; :class:`StoreSource` plugs in the real store and exporter.

A source may also fill ``failed`` (event id → message) with events that exist but could
not be exported: the engine reports them and leaves their server copies alone (it
never deletes an event just because this run could not write it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One series to push: ``event_id`` (str), ``uid`` (iCalendar UID), ``revision``
    (SEQUENCE, RFC 5545 §3.8.7.4) and ``data``, the full VCALENDAR as bytes."""

    event_id: str
    uid: str
    revision: int
    data: bytes

    @property
    def href_name(self) -> str:
        """The resource name on the server: ``<event_id>.ics``."""
        return f"{self.event_id}.ics"


class SyncSource(Protocol):
    """Anything that lists a user's pushable events (``failed`` is optional)."""

    def items(self) -> Iterable[SourceItem]:
        """Every timed event of the user (created or invited, declined included)."""
        ...  # pragma: no cover


class StaticSource:
    """A fixed list of items (tests, or a caller that exported already)."""

    def __init__(self, items: Iterable[SourceItem]) -> None:
        self._items = list(items)

    def items(self) -> Iterator[SourceItem]:
        return iter(self._items)


class StoreSource:
    """The events of one user in a store, exported one series per item.

    ``store``: an :class:`opentalk_sched.store.Store`; ``user``: a
    :class:`~opentalk_sched.store.User`, its id, or its email. Scope (SPEC §2, §3):
    every timed event the user created or is invited to, whatever the answer; the
    user's own ATTENDEE line carries it, so a declined event is pushed with
    PARTSTAT=DECLINED and calendar clients hide it. ATTENDEEs are the user and email
    invites with their PARTSTAT and ROLE; ORGANIZER is the creator. Time-independent
    events have no dates and are left out (``skipped`` counts them).

    ``exporter(event, attendees, organizer) -> bytes`` defaults to
    :func:`opentalk_sched.ical.export.export_event`. Raises
    :class:`~opentalk_sched.core.SchedError` (``unknown_user``) when the user does not exist.
    """

    page_size = 500

    def __init__(self, store: Any, user: Any, exporter: Callable[..., bytes] | None = None) -> None:
        from ..core.errors import SchedError

        if exporter is None:
            from ..ical.export import export_event as exporter
        self.store = store
        self.exporter = exporter
        self.user = _resolve_user(store, user)
        if self.user is None:
            raise SchedError(f"no user {user!r} in the store", code="unknown_user", field="user", value=str(user))
        self.failed: dict[str, str] = {}
        self.skipped = 0

    def items(self) -> Iterator[SourceItem]:
        from ..core import Attendee, InviteRole, InviteStatus
        from ..core.errors import SchedError
        from ..store.records import EventQuery, UserInvite

        self.failed.clear()
        self.skipped = 0
        after = None
        while True:
            rows = self.store.list_events(EventQuery(user_id=self.user.id, after=after, limit=self.page_size))
            if not rows:
                return
            timed = [r.event for r in rows if r.event.timing is not None]
            self.skipped += len(rows) - len(timed)
            invites = self.store.invitees([e.id for e in timed]) if timed else {}
            people = {i.invitee for lst, _n in invites.values() for i in lst if isinstance(i, UserInvite)}
            people |= {e.created_by for e in timed if e.created_by is not None}
            users = self.store.get_users(people) if people else {}
            for event in timed:
                attendees = []
                for inv in invites.get(event.id, ([], 0))[0]:
                    if isinstance(inv, UserInvite):
                        u = users.get(inv.invitee)
                        attendees.append(Attendee(
                            email=u.email if u else None, status=InviteStatus(inv.status), role=InviteRole(inv.role),
                            user_id=inv.invitee, name=(u.profile_name if u else None),
                        ))
                    else:
                        attendees.append(Attendee(email=inv.email, status=InviteStatus(inv.status),
                                                  role=InviteRole(inv.role)))
                organizer = users.get(event.created_by) if event.created_by is not None else None
                try:
                    data = self.exporter(event, attendees, organizer)
                except SchedError as err:
                    self.failed[str(event.id)] = str(err)
                    continue
                yield SourceItem(str(event.id), event.ical_uid, event.revision, data)
            if len(rows) < self.page_size:
                return
            after = rows[-1].sort_key


def _resolve_user(store: Any, user: Any):
    if hasattr(user, "id") and hasattr(user, "email"):
        return user
    if isinstance(user, uuid.UUID):
        return store.get_user(user)
    text = str(user).strip()
    try:
        return store.get_user(uuid.UUID(text))
    except ValueError:
        return store.find_user_by_email(text.lower())
