"""Incoming iTIP answers (RFC 5546 §3.2.3 REPLY): an attendee accepts, tentatively
accepts or declines, by mail rather than through the API.

    >>> service.apply_reply("7c1e…@example.org", "guest@example.org", "accepted", sequence=3)  # doctest: +SKIP
    AppliedReply(event_id=UUID('…'), email='guest@example.org', user_id=None, status=<InviteStatus.ACCEPTED: 'accepted'>, changed=True)

The adapter reads the message (:func:`opentalk_sched.ical.itip.parse_reply`); this module
decides what it means for the store, in one transaction:

1. the series is found by its iCalendar UID (``Store.find_event_by_ical_uid``), among the
   events of ``organizer`` when given (UIDs are unique per creator), else the oldest
   event with that UID → ``unknown_event``;
2. the REPLY must answer the current version: ``sequence`` below the stored revision is
   an answer to an older version (RFC 5546 §2.1.5) → ``stale_sequence``;
3. a ``recurrence_id`` must name an occurrence → ``unknown_instance``; answers to one
   instance are then refused with ``instance_reply_unsupported``, because invites are per
   series (SPEC §1 has no per-instance answer to store);
4. the address (lowercased, ``mailto:`` dropped) must be invited → ``unknown_attendee``:
   a registered user's invite is found through the user with that email, an email guest's
   through the email invite (which keeps its status: "pending until a REPLY arrives",
   SPEC §1);
5. the invite's status becomes the answer (the revision and the event's ``updated_at``
   stay, as for answers through the API), and ``responded`` is announced with the
   invitee as ``affected`` (the iTIP builder turns it into a REPLY), unless suppressed.

Refusals are :class:`ReplyRejected` with the codes above (``field`` is the iCalendar
property: UID, SEQUENCE, RECURRENCE-ID, ATTENDEE); a status other than accepted,
tentative or declined is :class:`~opentalk_sched.service.errors.ValidationFailed`
(``status``/``invalid_value``). There is no caller: the transport that received the
message (a mail gateway, ``opentalk-sched itip-reply``) is trusted to have checked it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from ..core import InviteStatus, Series
from ..store.records import EmailInvite, UserInvite
from .errors import ServiceError
from .notifications import Change
from .present import Presenting
from .validation import fail

#: the answers a REPLY may carry
_ANSWERS = (InviteStatus.ACCEPTED, InviteStatus.TENTATIVE, InviteStatus.DECLINED)


class ReplyRejected(ServiceError):
    """A REPLY that does not apply. Codes: ``unknown_event``, ``stale_sequence``,
    ``unknown_instance``, ``instance_reply_unsupported``, ``unknown_attendee``."""

    code = "reply_rejected"


@dataclass(frozen=True, slots=True)
class AppliedReply:
    """What :meth:`ReplyOperations.apply_reply` stored: the event, the invitee's address,
    ``user_id`` for a registered invitee (``None`` for an email guest), the answer, and
    whether it ``changed`` the stored status."""

    event_id: uuid.UUID
    email: str
    user_id: uuid.UUID | None
    status: InviteStatus
    changed: bool


def _answer(status: InviteStatus | str) -> InviteStatus:
    if isinstance(status, InviteStatus):
        found = status
    else:
        text = str(status).strip()
        try:
            found = InviteStatus(text.lower())
        except ValueError:
            found = InviteStatus.from_partstat(text)  # unknown PARTSTATs read as pending
    if found not in _ANSWERS:
        raise fail("status", "invalid_value", "a reply accepts, tentatively accepts or declines")
    return found


class ReplyOperations(Presenting):
    """Applying incoming REPLYs (mixed into the service)."""

    def apply_reply(
        self,
        uid: str,
        attendee_email: str,
        status: InviteStatus | str,
        sequence: int,
        recurrence_id: date | datetime | None = None,
        *,
        organizer: uuid.UUID | None = None,
        suppress_email_notification: bool = False,
    ) -> AppliedReply:
        """Store an attendee's answer to the series ``uid`` (see the module docstring).

        ``status``: accepted / tentative / declined (an :class:`InviteStatus`, its name,
        or the PARTSTAT); ``sequence``: the SEQUENCE the REPLY answers; ``recurrence_id``:
        the original start of one instance (date, naive wall time of the series, or
        aware), ``None`` for the whole series; ``organizer``: look the UID up among this
        user's events only. Raises :class:`ReplyRejected`, ``ValidationFailed``.
        """
        answer = _answer(status)
        email = attendee_email.strip().lower()
        if email.startswith("mailto:"):
            email = email[7:].strip()
        with self.writing():
            found = self.store.find_event_by_ical_uid(uid, organizer)
            # read again by id: the store's read-for-update (PostgreSQL locks the row)
            event = self.store.get_event(found.id) if found is not None else None
            if event is None:
                raise ReplyRejected(f"no event with UID {uid!r}", code="unknown_event", field="UID", value=uid, uid=uid)
            if sequence < event.revision:
                raise ReplyRejected(
                    f"the reply answers SEQUENCE {sequence}, the event is at {event.revision}",
                    code="stale_sequence", field="SEQUENCE", value=str(sequence), uid=uid,
                )
            if recurrence_id is not None:
                if event.timing is None or Series(event).instance(recurrence_id) is None:
                    raise ReplyRejected(
                        f"{recurrence_id} is not an occurrence of the event", code="unknown_instance",
                        field="RECURRENCE-ID", value=str(recurrence_id), uid=uid,
                    )
                raise ReplyRejected(
                    "answers to one instance cannot be stored (invites are per series)",
                    code="instance_reply_unsupported", field="RECURRENCE-ID", value=str(recurrence_id), uid=uid,
                )
            invite: UserInvite | EmailInvite | None = None
            user = self.store.find_user_by_email(email)
            if user is not None:
                invite = self.store.get_user_invite(event.id, user.id)
            if invite is None:
                invite = self.store.get_email_invite(event.id, email)
            if invite is None:
                raise ReplyRejected(f"{email} is not invited", code="unknown_attendee", field="ATTENDEE", value=email,
                                    uid=uid)
            changed = invite.status is not answer
            if changed:
                invite = replace(invite, status=answer, updated_at=self.now())
                if isinstance(invite, UserInvite):
                    self.store.save_user_invite(invite)
                else:
                    self.store.save_email_invite(invite)
            actor = invite.invitee if isinstance(invite, UserInvite) else None
            self.emit(Change.RESPONDED, event, actor, suppress_email_notification,
                      affected=(self.attendee_of(invite),), status=answer)
        return AppliedReply(event.id, email, actor, answer, changed)


__all__ = ["ReplyOperations", "ReplyRejected", "AppliedReply"]
