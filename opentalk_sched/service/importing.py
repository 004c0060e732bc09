"""Storing imported calendars (SPEC §3 Import): parsed series → events and invites.

The adapter parses (:func:`opentalk_sched.ical.importer.read_calendar`); this module
decides what the parsed series mean for the store:

* the importing user is the creator; the ORGANIZER stays an iCalendar property;
* re-importing an iCalendar UID the user already has updates that event (same id,
  room and creation stamp), never duplicates it; an unchanged series is not written;
  ``revision`` becomes the file's SEQUENCE when higher, else goes up by one;
* ATTENDEEs become invites with their PARTSTAT: a registered user's address becomes a
  user invite (CHAIR → moderator), any other address an email invite; the importing
  user is not invited to their own event. On re-import the invites follow the file.

Imports send no notifications. The whole import is one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Callable, Iterable, Protocol

from ..core import Attendee, Event, InviteRole, Room
from ..store.records import EmailInvite, UserInvite
from .errors import ValidationFailed
from .events import compiles
from .present import Presenting
from .views import ImportReport


class ImportedSeries(Protocol):
    """What an importer yields per series (``opentalk_sched.ical.importer.Imported``)."""

    event: Event
    attendees: tuple[Attendee, ...]
    organizer: str | None


def _content(ev: Event) -> tuple:
    return (ev.title, ev.description, ev.timing, ev.overrides, ev.properties, ev.is_adhoc)


class ImportOperations(Presenting):
    """Import operation (mixed into the service)."""

    def import_series(
        self, caller: uuid.UUID, items: Iterable[ImportedSeries], *, skipped: Iterable[Exception] = (),
        skip_invalid: bool = False, progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Store parsed series for ``caller`` (see the module docstring). ``skipped``:
        the importer's errors, passed through to the report. A series the engine cannot
        expand raises ValidationFailed (``recurrence_pattern``, with the series' ``uid``)
        and nothing is stored, unless ``skip_invalid``: then it is reported in
        ``ImportReport.skipped`` and the rest is stored."""
        items = list(items)
        me = self.user(caller)
        skipped = list(skipped)
        if skip_invalid:
            good = []
            for item in items:
                try:
                    compiles(item.event)
                except ValidationFailed as err:
                    skipped.append(err.with_uid(item.event.ical_uid))
                else:
                    good.append(item)
            items = good
        created, updated, unchanged = [], [], []
        now = self.now()
        with self.writing():
            for n, item in enumerate(items, start=1):
                ev = item.event
                old = self.store.find_event_by_ical_uid(ev.ical_uid, caller)
                if old is None:
                    new_id = ev.id if not self.store.event_exists(ev.id) else uuid.uuid4()
                    event = replace(
                        ev, id=new_id, created_by=caller, created_at=ev.created_at or now, updated_by=caller,
                        updated_at=now, room=Room(uuid.uuid4()),
                    )
                    self._compiles(event)
                    self.store.save_event(event)
                    created.append(event.id)
                    changed = True
                else:
                    event = replace(
                        ev, id=old.id, created_by=old.created_by, created_at=old.created_at, room=old.room,
                        updated_by=old.updated_by, updated_at=old.updated_at, revision=old.revision,
                    )
                    changed = _content(event) != _content(old)
                    if changed:
                        event = replace(event, updated_by=caller, updated_at=now,
                                        revision=max(ev.revision, old.revision + 1))
                        self._compiles(event)
                        self.store.save_event(event)
                invites_changed = self._sync_invites(event, me.email, item.attendees, caller, now, old is None)
                if old is not None:
                    (updated if changed or invites_changed else unchanged).append(event.id)
                if progress is not None:
                    progress(n, len(items))
        return ImportReport(tuple(created), tuple(updated), tuple(unchanged), tuple(skipped))

    @staticmethod
    def _compiles(event: Event) -> None:
        try:
            compiles(event)
        except ValidationFailed as err:
            raise err.with_uid(event.ical_uid)

    def _sync_invites(self, event: Event, own_email: str, attendees, caller, now, new: bool = False) -> bool:
        """Make the event's invites those of the file; True when anything changed.
        ``new``: the event was just created (it has no invites yet)."""
        wanted_users: dict[uuid.UUID, UserInvite] = {}
        wanted_emails: dict[str, EmailInvite] = {}
        for att in attendees:
            if not att.email:
                continue
            email = att.email.strip().lower()
            if email.startswith("mailto:"):
                email = email[7:]
            if email == own_email:
                continue
            moderator = att.role is InviteRole.MODERATOR
            user = self.store.find_user_by_email(email)
            if user is not None:
                if user.id == event.created_by:
                    continue
                role = InviteRole.MODERATOR if moderator else InviteRole.USER
                wanted_users[user.id] = UserInvite(event.id, user.id, role, att.status, caller, now, now)
            else:
                role = InviteRole.MODERATOR if moderator else InviteRole.GUEST
                wanted_emails[email] = EmailInvite(event.id, email, role, att.status, caller, now, now)
        changed = False
        for inv in () if new else self.store.user_invites(event.id):
            want = wanted_users.pop(inv.invitee, None)
            if want is None:
                self.store.delete_user_invite(event.id, inv.invitee)
                changed = True
            elif (want.role, want.status) != (inv.role, inv.status):
                self.store.save_user_invite(replace(inv, role=want.role, status=want.status, updated_at=now))
                changed = True
        for inv in () if new else self.store.email_invites(event.id):
            want = wanted_emails.pop(inv.email, None)
            if want is None:
                self.store.delete_email_invite(event.id, inv.email)
                changed = True
            elif (want.role, want.status) != (inv.role, inv.status):
                self.store.save_email_invite(replace(inv, role=want.role, status=want.status, updated_at=now))
                changed = True
        for inv in wanted_users.values():
            self.store.save_user_invite(inv)
            changed = True
        for inv in wanted_emails.values():
            self.store.save_email_invite(inv)
            changed = True
        return changed
