"""The scheduling service: every events operation of SPEC §2 on one object.

    >>> from opentalk_sched.store import SqliteStore
    >>> from opentalk_sched.service import Service, CreateEvent
    >>> svc = Service(SqliteStore(":memory:"))
    >>> alice = svc.create_user("alice@example.com", display_name="Alice")
    >>> ev = svc.create_event(alice.id, CreateEvent("Planning", is_time_independent=True))
    >>> ev.title, ev.can_edit, ev.invite_status.value
    ('Planning', True, 'accepted')

The operations live in one module per concern and are combined here:
:mod:`~opentalk_sched.service.events` (create, get, list, patch, delete),
:mod:`~opentalk_sched.service.instances` (instances, calendar view, this and
following), :mod:`~opentalk_sched.service.invites` (invites, answers, favorites, room
event), :mod:`~opentalk_sched.service.users`, :mod:`~opentalk_sched.service.importing`,
:mod:`~opentalk_sched.service.feeds` (calendar feeds, feed tokens) and
:mod:`~opentalk_sched.service.replies` (incoming iTIP REPLYs). Shared rules (transactions, notifications,
permissions) are in :mod:`~opentalk_sched.service.base`.
"""

from __future__ import annotations

from .feeds import FeedOperations
from .importing import ImportOperations
from .instances import InstanceOperations
from .invites import InviteOperations
from .replies import ReplyOperations
from .users import UserOperations


class Service(InstanceOperations, InviteOperations, UserOperations, ImportOperations, FeedOperations,
              ReplyOperations):
    """All operations; construct with ``Service(store, notify=..., itip=..., clock=...)``
    (see :class:`~opentalk_sched.service.base.ServiceBase`).

    Every method takes the caller's user id first (the authenticated user) and raises
    :class:`~opentalk_sched.service.errors.NotFound`, ``Forbidden``,
    ``PreconditionFailed``, ``ValidationFailed`` or ``BadRequest``.
    """
