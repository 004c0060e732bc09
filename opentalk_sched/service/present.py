"""Building the answer views from stored events (SPEC §2 resources), in bulk.

Views need more than the event: profiles of the creator and last editor, the invitee
list (first ``invitees_max``), the caller's own invite status and favorite flag. The
helpers here load those for a whole page at once (one query each), never per item.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Iterable

from ..core import UTC, Event, Instance, InstanceStatus, InviteStatus, Series
from ..core.zones import midnight
from ..store.codec import wall_text
from ..store.records import EmailInvite, User, UserInvite
from .base import ServiceBase
from .dates import present
from .views import EventView, ExceptionView, InstanceView, InviteeView, Profile, RoomView

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Presenting(ServiceBase):
    """View builders (mixed into the service)."""

    def profile(self, user: User | None, user_id: uuid.UUID | None = None) -> Profile:
        """A user's public profile; an unknown id gives an empty profile with that id."""
        if user is None:
            return Profile(user_id or uuid.UUID(int=0), "", "", "", "", "", self.avatar(""))
        return Profile(
            user.id, user.email, user.title, user.firstname, user.lastname,
            user.display_name or user.profile_name, user.avatar_url or self.avatar(user.email),
        )

    def _people(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, User]:
        return self.store.get_users([i for i in ids if i is not None])

    def _invitee(self, inv: UserInvite | EmailInvite, people: dict[uuid.UUID, User]) -> InviteeView:
        if isinstance(inv, EmailInvite):
            return InviteeView("email", inv.status, inv.role, email=inv.email, avatar_url=self.avatar(inv.email))
        return InviteeView("registered", inv.status, inv.role,
                           profile=self.profile(people.get(inv.invitee), inv.invitee))

    def _invitees(self, event_ids: Iterable[uuid.UUID], invitees_max: int | None):
        """Per event: (invitee views, truncated?), and the users they name."""
        found = self.store.invitees(event_ids, invitees_max)
        ids = {inv.invitee for items, _ in found.values() for inv in items if isinstance(inv, UserInvite)}
        return found, ids

    @staticmethod
    def room(event: Event) -> RoomView | None:
        r = event.room
        return None if r is None else RoomView(r.id, r.password, r.waiting_room)

    @staticmethod
    def own_status(caller: uuid.UUID, event: Event, invite: UserInvite | None) -> InviteStatus:
        if event.created_by == caller or invite is None:
            return InviteStatus.ACCEPTED
        return invite.status

    def event_views(
        self, caller: uuid.UUID, events: list[Event], invites: dict[uuid.UUID, UserInvite | None],
        favorites: set[uuid.UUID], invitees_max: int | None,
    ) -> list[EventView]:
        """Event resources for ``events`` (``invites``: the caller's own, by event id)."""
        found, invitee_ids = self._invitees([e.id for e in events], invitees_max)
        people = self._people({*invitee_ids, *(e.created_by for e in events), *(e.updated_by for e in events)})
        out = []
        for ev in events:
            items, total = found.get(ev.id, ([], 0))
            shown = tuple(self._invitee(i, people) for i in items)
            kw: dict = {}
            t = ev.timing
            if t is not None:
                tz = t.tz if t.tz is not None else (UTC if t.is_all_day else None)
                end = t.start + t.nominal if t.nominal is not None else t.end
                kw = dict(
                    is_all_day=t.is_all_day,
                    starts_at=present(t.start, tz, all_day=t.is_all_day, floating=t.is_floating),
                    ends_at=present(end, tz, all_day=t.is_all_day, floating=t.is_floating),
                    recurrence_pattern=tuple(t.recurrence.to_lines()) if t.is_recurring else (),
                )
            out.append(EventView(
                id=ev.id, ical_uid=ev.ical_uid,
                created_by=self.profile(people.get(ev.created_by), ev.created_by),
                created_at=ev.created_at or _EPOCH,
                updated_by=self.profile(people.get(ev.updated_by or ev.created_by), ev.updated_by or ev.created_by),
                updated_at=ev.updated_at or ev.created_at or _EPOCH,
                title=ev.title, description=ev.description, room=self.room(ev),
                invitees_truncated=total > len(shown), invitees=shown, is_adhoc=ev.is_adhoc,
                invite_status=self.own_status(caller, ev, invites.get(ev.id)),
                is_favorite=ev.id in favorites, can_edit=ev.created_by == caller, revision=ev.revision,
                is_time_independent=t is None, type="recurring" if ev.is_recurring else "single", **kw,
            ))
        return out

    def instance_views(
        self, caller: uuid.UUID, items: list[tuple[Instance, UserInvite | None]], favorites: set[uuid.UUID],
        invitees_max: int | None,
    ) -> list[InstanceView]:
        """Instance resources; ``items`` pairs each instance with the caller's invite."""
        events = {inst.event.id: inst.event for inst, _ in items}
        found, invitee_ids = self._invitees(events, invitees_max)
        people = self._people({*invitee_ids, *(e.created_by for e in events.values()),
                               *(e.updated_by for e in events.values())})
        shown = {eid: (tuple(self._invitee(i, people) for i in its), n) for eid, (its, n) in found.items()}
        out = []
        for inst, invite in items:
            ev = inst.event
            s = inst.series
            invitees, total = shown.get(ev.id, ((), 0))
            all_day = inst.is_all_day
            iid = inst.instance_id
            out.append(InstanceView(
                id=f"{ev.id}_{iid}", recurring_event_id=ev.id, instance_id=iid,
                created_by=self.profile(people.get(ev.created_by), ev.created_by),
                created_at=ev.created_at or _EPOCH,
                updated_by=self.profile(people.get(ev.updated_by or ev.created_by), ev.updated_by or ev.created_by),
                updated_at=ev.updated_at or ev.created_at or _EPOCH,
                title=inst.title, description=inst.description, room=self.room(ev),
                invitees_truncated=total > len(invitees), invitees=invitees, is_all_day=all_day,
                starts_at=present(inst.start, s.tz, all_day=all_day, floating=s.floating),
                ends_at=present(inst.end, s.tz, all_day=all_day, floating=s.floating),
                status=inst.status, invite_status=self.own_status(caller, ev, invite),
                is_favorite=ev.id in favorites, can_edit=ev.created_by == caller, revision=ev.revision,
            ))
        return out

    def exception_views(self, caller: uuid.UUID, event: Event) -> list[tuple[object, ExceptionView]]:
        """``(original start, view)`` of each exception, in original-start order."""
        if event.timing is None or not event.overrides:
            return []
        series = Series(event)
        meta = self.store.exception_meta([event.id]).get(event.id, {})
        people = self._people({event.created_by, event.updated_by, *(m.created_by for m in meta.values()),
                               *(m.updated_by for m in meta.values())})
        tz, floating, all_day = series.tz, series.floating, series.all_day
        out = []
        for rid in sorted(event.overrides, key=lambda r: r if isinstance(r, datetime) else midnight(r)):
            ov = event.overrides[rid]
            m = meta.get(wall_text(rid))
            original = present(rid, tz, all_day=all_day, floating=floating)
            inst = series.instance(rid, include_cancelled=True)
            iid = inst.instance_id if inst is not None else _instance_id(original, all_day, floating)
            by = (m.updated_by if m else None) or event.updated_by or event.created_by
            created_by = (m.created_by if m else None) or event.created_by
            ov_all_day = ov.is_all_day if ov.is_all_day is not None else all_day
            out.append((rid, ExceptionView(
                id=f"{event.id}_{iid}", recurring_event_id=event.id, instance_id=iid,
                created_by=self.profile(people.get(created_by), created_by),
                created_at=(m.created_at if m else None) or event.updated_at or _EPOCH,
                updated_by=self.profile(people.get(by), by),
                updated_at=(m.updated_at if m else None) or event.updated_at or _EPOCH,
                original_starts_at=original,
                status=InstanceStatus.CANCELLED if ov.cancelled else InstanceStatus.OK,
                can_edit=event.created_by == caller, title=ov.title, description=ov.description,
                is_all_day=ov.is_all_day,
                starts_at=None if ov.start is None else present(ov.start, tz, all_day=ov_all_day, floating=floating),
                ends_at=None if ov.end is None else present(ov.end, tz, all_day=ov_all_day, floating=floating),
            )))
        return out


def _instance_id(original, all_day: bool, floating: bool) -> str:
    v = original.datetime
    if floating:
        return v.strftime("%Y%m%dT%H%M%S")
    return v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
