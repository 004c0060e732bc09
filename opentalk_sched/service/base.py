"""What every operation of the service shares: the store, the clock, transactions with
notifications after commit, and the permission check (SPEC §2).

Permissions, decided per event and caller:

=================  ======  ================  =====================  ===================
caller             read    edit / invites    accept / decline       favorite
=================  ======  ================  =====================  ===================
creator            yes     yes               403 ``forbidden``      yes
invitee (any role  yes     403 ``forbidden`` yes                    yes
and status)
anyone else        404     404               404                    404
=================  ======  ================  =====================  ===================

An event the caller cannot see is "not found", whatever the operation, so ids never
reveal that an event exists.

Writes: :meth:`ServiceBase.writing` opens one store transaction (nested writes join
it); notifications queued inside are published only after the outermost transaction
commits, and dropped when it rolls back.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Callable, Iterator

from ..core import UTC, Attendee, Event
from ..store.base import Store
from ..store.records import EmailInvite, User, UserInvite
from .errors import Forbidden, NotFound, PreconditionFailed
from .notifications import ItipBuilder, Notification, NotificationHook

log = logging.getLogger("opentalk_sched.service")

#: avatar for users and email invitees without one: Libravatar (MD5 of the address)
DEFAULT_AVATAR_BASE = "https://seccdn.libravatar.org/avatar/"


class Access(enum.Enum):
    CREATOR = "creator"
    INVITEE = "invitee"
    NONE = "none"


class ServiceBase:
    """Shared state and helpers of the service (see the module docstring).

    ``store``: a :class:`~opentalk_sched.store.base.Store`; ``notify``: the
    :class:`~opentalk_sched.service.notifications.NotificationHook` (none by default);
    ``itip``: an :class:`~opentalk_sched.service.notifications.ItipBuilder` that fills
    ``Notification.itip``; ``clock``: returns the current aware UTC time;
    ``avatar_base``: prefix of generated avatar URLs.
    """

    def __init__(
        self,
        store: Store,
        *,
        notify: NotificationHook | None = None,
        itip: ItipBuilder | None = None,
        clock: Callable[[], datetime] | None = None,
        avatar_base: str = DEFAULT_AVATAR_BASE,
    ) -> None:
        self.store = store
        self.notify = notify
        self.itip = itip
        self.clock = clock or (lambda: datetime.now(UTC))
        self.avatar_base = avatar_base
        self._local = threading.local()

    # -- time and transactions ---------------------------------------------------------

    def now(self) -> datetime:
        """The clock's time as aware UTC (microseconds kept)."""
        t = self.clock()
        return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One transaction; notifications queued inside are sent after its commit."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._local.pending = []
        self._local.depth = depth + 1
        try:
            with self.store.transaction():
                yield
        except BaseException:
            if depth == 0:
                self._local.pending = []
            raise
        finally:
            self._local.depth = depth
        if depth == 0:
            pending, self._local.pending = self._local.pending, []
            for n in pending:
                self._publish(n)

    def announce(self, notification: Notification, suppress: bool = False) -> None:
        """Queue a notification for after the commit (nothing when ``suppress`` or when no
        hook listens: an iTIP payload without a hook would be built for nobody)."""
        if suppress or self.notify is None:
            return
        if getattr(self._local, "depth", 0) == 0:
            self._publish(notification)
        else:
            self._local.pending.append(notification)

    def _publish(self, n: Notification) -> None:
        """The single hook point: build the iTIP payload, then call the hook."""
        try:
            if self.itip is not None:
                n = replace(n, itip=self.itip(n))
            if self.notify is not None:
                self.notify(n)
        except Exception:  # a committed change stays committed
            log.exception("notification hook failed for %s of event %s", n.change.value, n.event.id)

    # -- permissions ---------------------------------------------------------------------

    def access(self, caller: uuid.UUID, event: Event) -> tuple[Access, UserInvite | None]:
        """The caller's relation to an event, with their invite."""
        if event.created_by == caller:
            return Access.CREATOR, None
        invite = self.store.get_user_invite(event.id, caller)
        if invite is not None:
            return Access.INVITEE, invite
        return Access.NONE, None

    def visible(self, caller: uuid.UUID, event_id: uuid.UUID) -> tuple[Event, Access, UserInvite | None]:
        """The event when the caller may see it; :class:`NotFound` otherwise."""
        event = self.store.get_event(event_id) if isinstance(event_id, uuid.UUID) else None
        if event is None:
            raise NotFound("event not found", field="event_id", value=str(event_id))
        level, invite = self.access(caller, event)
        if level is Access.NONE:
            raise NotFound("event not found", field="event_id", value=str(event_id))
        return event, level, invite

    def editable(self, caller: uuid.UUID, event_id: uuid.UUID, if_match: int | None = None) -> Event:
        """The event when the caller created it; :class:`Forbidden` for invitees,
        :class:`NotFound` for others, :class:`PreconditionFailed` when ``if_match`` is
        not the current revision."""
        event, level, _ = self.visible(caller, event_id)
        if level is not Access.CREATOR:
            raise Forbidden("only the creator may change this event", field="event_id", value=str(event_id))
        if if_match is not None and if_match != event.revision:
            raise PreconditionFailed(
                f"the event is at revision {event.revision}, not {if_match}", field="if_match", value=str(if_match)
            )
        return event

    # -- people --------------------------------------------------------------------------

    def avatar(self, email: str) -> str:
        return self.avatar_base + hashlib.md5(email.strip().lower().encode()).hexdigest()

    def attendees(self, event: Event) -> tuple[Attendee, ...]:
        """Every invitee of the event as iCalendar attendees (users, then emails)."""
        users = self.store.user_invites(event.id)
        people = self.store.get_users([i.invitee for i in users])
        out = []
        for inv in users:
            u = people.get(inv.invitee)
            out.append(Attendee(u.email if u else None, inv.status, inv.role, inv.invitee,
                                u.profile_name if u else None))
        for inv in self.store.email_invites(event.id):
            out.append(Attendee(inv.email, inv.status, inv.role))
        return tuple(out)

    def attendee_of(self, invite: UserInvite | EmailInvite) -> Attendee:
        if isinstance(invite, EmailInvite):
            return Attendee(invite.email, invite.status, invite.role)
        u = self.store.get_user(invite.invitee)
        return Attendee(u.email if u else None, invite.status, invite.role, invite.invitee,
                        u.profile_name if u else None)

    def organizer(self, event: Event) -> str | None:
        if event.created_by is None:
            return None
        u = self.store.get_user(event.created_by)
        return u.email if u else None

    def emit(self, change, event: Event, actor: uuid.UUID | None, suppress: bool = False, **kw) -> None:
        """Queue a notification of ``change`` with the event's organizer and attendees
        (read now, inside the transaction); nothing when suppressed or nobody listens."""
        if suppress or self.notify is None:
            return
        if "attendees" not in kw:
            kw["attendees"] = self.attendees(event)
        self.announce(Notification(change, event, actor, organizer=self.organizer(event), **kw))

    def user(self, user_id: uuid.UUID) -> User:
        u = self.store.get_user(user_id)
        if u is None:
            raise NotFound("user not found", field="user_id", value=str(user_id))
        return u

    def touch(self, event: Event, actor: uuid.UUID, *, revise: bool) -> Event:
        """``event`` with updated_by/at set, and revision + 1 when ``revise``."""
        return replace(event, updated_by=actor, updated_at=self.now(),
                       revision=event.revision + 1 if revise else event.revision)
