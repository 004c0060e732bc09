"""The notification hook: what the service tells the outside world after each change.

The service sends no mail itself (SPEC §4). After every committed change it builds a
:class:`Notification` and hands it to the hook given to the service, unless the request
set ``suppress_email_notification``. Nothing is announced for a change that was rolled
back, and a failing hook never undoes a committed change (the error is logged).

    >>> seen = []
    >>> service = Service(store, notify=seen.append)        # doctest: +SKIP
    >>> service.create_event(alice, CreateEvent("Hi", is_time_independent=True))  # doctest: +SKIP
    >>> seen[0].change                                      # doctest: +SKIP
    <Change.CREATED: 'created'>

iTIP: ``Notification.itip`` carries the RFC 5546 message for the change. The service
does not build it; pass ``itip=`` (an :class:`ItipBuilder`, e.g. one made from
:mod:`opentalk_sched.ical.itip`) and the service fills the field from it right before
calling the hook. That is the single place where iTIP payloads enter.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from ..core import Attendee, Event, InviteStatus


class Change(str, enum.Enum):
    """What happened (SPEC §4)."""

    CREATED = "created"
    UPDATED = "updated"
    INSTANCE_CHANGED = "instance_changed"
    DELETED = "deleted"
    INVITED = "invited"
    UNINVITED = "uninvited"
    RESPONDED = "responded"


@dataclass(frozen=True, slots=True)
class Notification:
    """One committed change.

    ``event``: the event after the change (for ``deleted``: its last stored state);
    ``actor``: who made it; ``organizer``: the creator's email; ``attendees``: every
    invitee after the change (for ``deleted``: before it); ``affected``: the invitees the
    change is about (invited, uninvited, the one who responded); ``instance_id`` /
    ``recurrence_id`` (wall time of the original start) for ``instance_changed``;
    ``status``: the answer for ``responded``; ``cancelled``: the instance change
    cancelled it; ``itip``: the iTIP message bytes, when an :class:`ItipBuilder` is set.
    """

    change: Change
    event: Event
    actor: uuid.UUID | None
    organizer: str | None = None
    attendees: tuple[Attendee, ...] = ()
    affected: tuple[Attendee, ...] = ()
    instance_id: str | None = None
    recurrence_id: date | datetime | None = None
    status: InviteStatus | None = None
    cancelled: bool = False
    itip: bytes | None = None


class NotificationHook(Protocol):
    """Receives each :class:`Notification` after its change is committed."""

    def __call__(self, notification: Notification) -> None: ...


class ItipBuilder(Protocol):
    """Builds the iTIP payload (RFC 5546 REQUEST / CANCEL / REPLY) of a notification, or
    ``None`` when the change has none."""

    def __call__(self, notification: Notification) -> bytes | None: ...
