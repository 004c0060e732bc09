"""Every operation against every row of the SPEC §2 permission table: the creator, a
moderator invitee, a user invitee, a declined invitee and a stranger."""

from __future__ import annotations

import pytest

from opentalk_sched.core import InviteRole, InviteStatus
from opentalk_sched.service import (
    CalendarQuery, Forbidden, InstanceQuery, InviteQuery, ListEvents, NotFound, PatchEvent, PatchInstance,
)

from .test_service_fixtures import utc, world  # noqa: F401 - fixture

ROLES = ("creator", "moderator", "user", "declined", "stranger")
IID = "20250317T080000Z"  # the second Monday, 09:00 Berlin

READ = {"creator": "ok", "moderator": "ok", "user": "ok", "declined": "ok", "stranger": NotFound}
WRITE = {"creator": "ok", "moderator": Forbidden, "user": Forbidden, "declined": Forbidden, "stranger": NotFound}
ANSWER = {"creator": Forbidden, "moderator": "ok", "user": "ok", "declined": "ok", "stranger": NotFound}


def _remove_favorite(s, ev, who):
    s.add_favorite(who.id, ev.id)
    return s.remove_favorite(who.id, ev.id)


OPERATIONS = {
    "get_event": (READ, lambda s, w, ev, who: s.get_event(who.id, ev.id)),
    "list_event_instances": (READ, lambda s, w, ev, who: s.list_event_instances(who.id, ev.id, InstanceQuery(
        time_min=utc(2025, 3, 1), time_max=utc(2025, 4, 1)))),
    "get_instance": (READ, lambda s, w, ev, who: s.get_instance(who.id, ev.id, IID)),
    "list_invites": (READ, lambda s, w, ev, who: s.list_invites(who.id, ev.id, InviteQuery())),
    "room_event": (READ, lambda s, w, ev, who: s.room_event(who.id, ev.room.id)),
    "add_favorite": (READ, lambda s, w, ev, who: s.add_favorite(who.id, ev.id)),
    "remove_favorite": (READ, lambda s, w, ev, who: _remove_favorite(s, ev, who)),
    "patch_event": (WRITE, lambda s, w, ev, who: s.patch_event(who.id, ev.id, PatchEvent(title="New"))),
    "delete_event": (WRITE, lambda s, w, ev, who: s.delete_event(who.id, ev.id)),
    "patch_instance": (WRITE, lambda s, w, ev, who: s.patch_instance(who.id, ev.id, IID, PatchInstance(title="x"))),
    "cancel_instance": (WRITE, lambda s, w, ev, who: s.patch_instance(
        who.id, ev.id, IID, PatchInstance(status="cancelled"))),
    "reset_instance": (WRITE, lambda s, w, ev, who: s.reset_instance(who.id, ev.id, IID)),
    "patch_following": (WRITE, lambda s, w, ev, who: s.patch_following(who.id, ev.id, IID, PatchEvent(title="x"))),
    "delete_following": (WRITE, lambda s, w, ev, who: s.delete_following(who.id, ev.id, IID)),
    "invite_user": (WRITE, lambda s, w, ev, who: s.invite_user(who.id, ev.id, w.stranger.id)),
    "invite_email": (WRITE, lambda s, w, ev, who: s.invite_email(who.id, ev.id, "guest@example.org")),
    "change_user_role": (WRITE, lambda s, w, ev, who: s.change_user_role(who.id, ev.id, w.user.id, "moderator")),
    "change_email_role": (WRITE, lambda s, w, ev, who: s.change_email_role(
        who.id, ev.id, "guest@example.org", "moderator")),
    "uninvite_user": (WRITE, lambda s, w, ev, who: s.uninvite_user(who.id, ev.id, w.user.id)),
    "uninvite_email": (WRITE, lambda s, w, ev, who: s.uninvite_email(who.id, ev.id, "guest@example.org")),
    "accept_invite": (ANSWER, lambda s, w, ev, who: s.accept_invite(who.id, ev.id)),
    "tentative": (ANSWER, lambda s, w, ev, who: s.accept_invite(who.id, ev.id, InviteStatus.TENTATIVE)),
    "decline_invite": (ANSWER, lambda s, w, ev, who: s.decline_invite(who.id, ev.id)),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_permission_table(world, operation, role):  # noqa: F811
    table, call = OPERATIONS[operation]
    ev = world.weekly()
    world.service.invite_email(world.creator.id, ev.id, "guest@example.org")
    world.seen.clear()
    who = getattr(world, role)
    expected = table[role]
    before = world.store.get_event(ev.id)
    if expected == "ok":
        call(world.service, world, ev, who)
        return
    with pytest.raises(expected) as info:
        call(world.service, world, ev, who)
    assert info.value.code == ("not_found" if expected is NotFound else "forbidden")
    # a refused call changed nothing
    assert world.store.get_event(ev.id) == before
    assert world.seen == []


@pytest.mark.parametrize("role", ROLES)
def test_can_edit_and_invite_status_per_role(world, role):  # noqa: F811
    ev = world.weekly()
    who = getattr(world, role)
    if role == "stranger":
        with pytest.raises(NotFound):
            world.service.get_event(who.id, ev.id)
        return
    view = world.service.get_event(who.id, ev.id)
    assert view.can_edit is (role == "creator")
    want = {"creator": "accepted", "moderator": "pending", "user": "pending", "declined": "declined"}[role]
    assert view.invite_status.value == want
    inst = world.service.get_instance(who.id, ev.id, IID)
    assert inst.can_edit is (role == "creator") and inst.invite_status.value == want


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_visible_events(world, role):  # noqa: F811
    ev = world.weekly()
    who = getattr(world, role)
    listed = [v.id for v in world.service.list_events(who.id, ListEvents()).items]
    assert listed == ([] if role == "stranger" else [ev.id])
    window = CalendarQuery(utc(2025, 3, 1), utc(2025, 4, 1))
    cal = world.service.list_instances(who.id, window)
    assert len(cal.items) == (0 if role in ("stranger", "declined") else 4)
    with_declined = world.service.list_instances(who.id, CalendarQuery(utc(2025, 3, 1), utc(2025, 4, 1),
                                                                       include_declined=True))
    assert len(with_declined.items) == (0 if role == "stranger" else 4)


def test_moderator_role_gives_no_edit_rights(world):  # noqa: F811
    ev = world.weekly()
    invites = world.service.list_invites(world.creator.id, ev.id).items
    roles = {i.profile.email: i.role for i in invites}
    assert roles["moderator@example.com"] is InviteRole.MODERATOR
    with pytest.raises(Forbidden):
        world.service.invite_user(world.moderator.id, ev.id, world.stranger.id)
