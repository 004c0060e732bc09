"""Invites, answers and favorites (SPEC §1 Invites, §2 invite and favorite routes).

* Only the creator invites, changes roles and uninvites; inviting the creator or
  someone already invited changes nothing (``False``: HTTP 204).
* Users are invited by id (role ``user``/``moderator``), addresses by email (role
  ``guest``/``moderator``, lowercased). An address that belongs to a user becomes a
  user invite (guest → user). The attendee list changing raises the revision.
* Invitees answer: accept, tentative, decline (the row stays, ``declined``); the
  creator cannot answer (``forbidden``). Answers change neither revision nor the
  event's ``updated_at``; the invite keeps its own ``updated_at``.
* Creator and invitees may mark an event as favorite.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from ..core import InviteRole, InviteStatus
from ..store.records import EmailInvite, UserInvite
from . import validation
from .base import Access
from .errors import BadRequest, Forbidden, NotFound
from .notifications import Change
from .paging import check_per_page
from .present import Presenting
from .requests import InviteQuery
from .validation import Errors
from .views import InvitePage, RoomEventView

USER_ROLES = ("user", "moderator")
EMAIL_ROLES = ("guest", "moderator")


def _as_user_role(role: InviteRole) -> InviteRole:
    return InviteRole.MODERATOR if role is InviteRole.MODERATOR else InviteRole.USER


class InviteOperations(Presenting):
    """Invite, answer and favorite operations (mixed into the service)."""

    # -- inviting ---------------------------------------------------------------------------

    def _bump(self, event, caller):
        event = self.touch(event, caller, revise=True)
        self.store.save_event(event)
        return event

    def invite_user(
        self, caller: uuid.UUID, event_id: uuid.UUID, invitee: uuid.UUID, role: InviteRole | str = InviteRole.USER,
        *, suppress_email_notification: bool = False,
    ) -> bool:
        """Invite a registered user. True when created (HTTP 201), False when already
        invited or the invitee is the creator (204). NotFound for an unknown user."""
        errors = Errors()
        role = validation.role(errors, role, USER_ROLES)
        errors.check()
        with self.writing():
            event = self.editable(caller, event_id)
            if invitee == event.created_by:
                return False
            if self.store.get_user(invitee) is None:
                raise NotFound("user not found", field="invitee", value=str(invitee))
            if self.store.get_user_invite(event.id, invitee) is not None:
                return False
            now = self.now()
            self._invited(event, UserInvite(event.id, invitee, role, InviteStatus.PENDING, caller, now, now),
                          caller, suppress_email_notification)
        return True

    def invite_email(
        self, caller: uuid.UUID, event_id: uuid.UUID, email: str, role: InviteRole | str = InviteRole.GUEST,
        *, suppress_email_notification: bool = False,
    ) -> bool:
        """Invite an address (a user's address becomes a user invite). True when created."""
        errors = Errors()
        address = validation.email(errors, email)
        role = validation.role(errors, role, EMAIL_ROLES)
        errors.check()
        with self.writing():
            event = self.editable(caller, event_id)
            user = self.store.find_user_by_email(address)
            if user is not None:
                if user.id == event.created_by or self.store.get_user_invite(event.id, user.id) is not None:
                    return False
                now = self.now()
                inv = UserInvite(event.id, user.id, _as_user_role(role), InviteStatus.PENDING, caller, now, now)
            else:
                if self.store.get_email_invite(event.id, address) is not None:
                    return False
                now = self.now()
                inv = EmailInvite(event.id, address, role, InviteStatus.PENDING, caller, now, now)
            self._invited(event, inv, caller, suppress_email_notification)
        return True

    def _invited(self, event, inv: UserInvite | EmailInvite, caller: uuid.UUID, suppress: bool) -> None:
        """Store a new invite, bump the event's revision and tell who is affected
        (inside the caller's write transaction)."""
        if isinstance(inv, UserInvite):
            self.store.save_user_invite(inv)
        else:
            self.store.save_email_invite(inv)
        event = self._bump(event, caller)
        self.emit(Change.INVITED, event, caller, suppress, affected=(self.attendee_of(inv),))

    def list_invites(self, caller: uuid.UUID, event_id: uuid.UUID, query: InviteQuery = InviteQuery()) -> InvitePage:
        """One page of the event's invites (creator and invitees may read them)."""
        per_page = check_per_page(query.per_page)
        if isinstance(query.page, bool) or not isinstance(query.page, int) or query.page < 1:
            raise BadRequest("page must be 1 or more", field="page", value=str(query.page))
        event, _level, _invite = self.visible(caller, event_id)
        status = InviteStatus(query.status) if query.status is not None else None
        items, total = self.store.invites_page(event.id, status=status, offset=(query.page - 1) * per_page,
                                               limit=per_page)
        people = self._people(i.invitee for i in items if isinstance(i, UserInvite))
        return InvitePage(tuple(self._invitee(i, people) for i in items), query.page, per_page, total)

    def change_user_role(
        self, caller: uuid.UUID, event_id: uuid.UUID, user_id: uuid.UUID, role: InviteRole | str,
        *, suppress_email_notification: bool = False,
    ) -> None:
        """Set a user invite's role (creator only); NotFound when not invited."""
        errors = Errors()
        role = validation.role(errors, role, USER_ROLES)
        errors.check()
        with self.writing():
            event = self.editable(caller, event_id)
            inv = self.store.get_user_invite(event.id, user_id)
            if inv is None:
                raise NotFound("invite not found", field="user_id", value=str(user_id))
            if inv.role is not role:
                self.store.save_user_invite(replace(inv, role=role, updated_at=self.now()))
                event = self._bump(event, caller)
                self.emit(Change.UPDATED, event, caller, suppress_email_notification)

    def change_email_role(
        self, caller: uuid.UUID, event_id: uuid.UUID, email: str, role: InviteRole | str,
        *, suppress_email_notification: bool = False,
    ) -> None:
        """Set an email invite's role (creator only); NotFound when not invited.
        ``role=None`` keeps the role (the wire's ``{email}`` without ``role``)."""
        errors = Errors()
        address = validation.email(errors, email)
        role = None if role is None else validation.role(errors, role, EMAIL_ROLES)
        errors.check()
        with self.writing():
            event = self.editable(caller, event_id)
            inv = self.store.get_email_invite(event.id, address)
            if inv is None:
                raise NotFound("invite not found", field="email", value=address)
            if role is not None and inv.role is not role:
                self.store.save_email_invite(replace(inv, role=role, updated_at=self.now()))
                event = self._bump(event, caller)
                self.emit(Change.UPDATED, event, caller, suppress_email_notification)

    def uninvite_user(
        self, caller: uuid.UUID, event_id: uuid.UUID, user_id: uuid.UUID, *, suppress_email_notification: bool = False
    ) -> None:
        """Remove a user's invite (and their favorite); NotFound when not invited."""
        with self.writing():
            event = self.editable(caller, event_id)
            inv = self.store.get_user_invite(event.id, user_id)
            if inv is None:
                raise NotFound("invite not found", field="user_id", value=str(user_id))
            removed = self.attendee_of(inv)
            self.store.delete_user_invite(event.id, user_id)
            self.store.remove_favorite(user_id, event.id)
            event = self._bump(event, caller)
            self.emit(Change.UNINVITED, event, caller, suppress_email_notification, affected=(removed,))

    def uninvite_email(
        self, caller: uuid.UUID, event_id: uuid.UUID, email: str, *, suppress_email_notification: bool = False
    ) -> None:
        """Remove an email invite; NotFound when not invited."""
        errors = Errors()
        address = validation.email(errors, email)
        errors.check()
        with self.writing():
            event = self.editable(caller, event_id)
            inv = self.store.get_email_invite(event.id, address)
            if inv is None:
                raise NotFound("invite not found", field="email", value=address)
            removed = self.attendee_of(inv)
            self.store.delete_email_invite(event.id, address)
            event = self._bump(event, caller)
            self.emit(Change.UNINVITED, event, caller, suppress_email_notification, affected=(removed,))

    # -- answering ------------------------------------------------------------------------------

    def respond(
        self, caller: uuid.UUID, event_id: uuid.UUID, status: InviteStatus | str,
        *, suppress_email_notification: bool = False,
    ) -> None:
        """Answer an invite (accepted / tentative / declined). NotFound for strangers,
        Forbidden for the creator (who has no invite)."""
        errors = Errors()
        try:
            status = InviteStatus(status)
        except ValueError:
            status = None
        if status is None or status is InviteStatus.PENDING:
            errors.add("status", "invalid_value", "status must be accepted, tentative or declined")
        errors.check()
        with self.writing():
            event, level, invite = self.visible(caller, event_id)
            if level is not Access.INVITEE:
                raise Forbidden("only invitees answer invites", field="event_id", value=str(event_id))
            if invite.status is not status:
                invite = replace(invite, status=status, updated_at=self.now())
                self.store.save_user_invite(invite)
            self.emit(Change.RESPONDED, event, caller, suppress_email_notification,
                      affected=(self.attendee_of(invite),), status=status)

    def accept_invite(self, caller: uuid.UUID, event_id: uuid.UUID, status: InviteStatus | str = InviteStatus.ACCEPTED,
                      **kw) -> None:
        """Accept (or, with ``status="tentative"``, tentatively accept)."""
        if InviteStatus(status) not in (InviteStatus.ACCEPTED, InviteStatus.TENTATIVE):
            raise validation.fail("status", "invalid_value", "status must be accepted or tentative")
        self.respond(caller, event_id, status, **kw)

    def decline_invite(self, caller: uuid.UUID, event_id: uuid.UUID, **kw) -> None:
        """Decline; the invite row stays with status ``declined``."""
        self.respond(caller, event_id, InviteStatus.DECLINED, **kw)

    def pending_invite_count(self, caller: uuid.UUID) -> int:
        """How many invites of the caller are still pending."""
        return self.store.pending_invite_count(caller)

    # -- favorites -------------------------------------------------------------------------------

    def add_favorite(self, caller: uuid.UUID, event_id: uuid.UUID) -> bool:
        """Mark as favorite: True when added (201), False when it already was (204)."""
        with self.writing():
            event, _level, _invite = self.visible(caller, event_id)
            return self.store.add_favorite(caller, event.id, self.now())

    def remove_favorite(self, caller: uuid.UUID, event_id: uuid.UUID) -> None:
        """Unmark; NotFound when it was not a favorite (or the event is not visible)."""
        with self.writing():
            event, _level, _invite = self.visible(caller, event_id)
            if not self.store.remove_favorite(caller, event.id):
                raise NotFound("the event is not a favorite", field="event_id", value=str(event_id))

    # -- rooms ------------------------------------------------------------------------------------

    def room_event(self, caller: uuid.UUID, room_id: uuid.UUID) -> RoomEventView:
        """The event of a room (``{id, title, is_adhoc}``), for its creator and invitees."""
        event = self.store.find_event_by_room(room_id) if isinstance(room_id, uuid.UUID) else None
        if event is None or self.access(caller, event)[0] is Access.NONE:
            raise NotFound("no event for this room", field="room_id", value=str(room_id))
        return RoomEventView(event.id, event.title, event.is_adhoc)
