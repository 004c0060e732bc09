"""Invites, answers, favorites, pending count, room lookup and users."""

from __future__ import annotations

import uuid

import pytest

from opentalk_sched.core import InviteRole, InviteStatus
from opentalk_sched.service import BadRequest, Change, Forbidden, InviteQuery, NotFound, ValidationFailed

from .test_service_fixtures import world  # noqa: F401 - fixture


def test_invite_user_twice_or_the_creator_is_a_no_op(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    assert s.invite_user(me, ev.id, world.stranger.id) is True
    rev = world.store.get_event(ev.id).revision
    assert rev == ev.revision + 1
    assert s.invite_user(me, ev.id, world.stranger.id) is False
    assert s.invite_user(me, ev.id, me) is False
    assert world.store.get_event(ev.id).revision == rev
    n = world.seen[-1]
    assert n.change is Change.INVITED and [a.email for a in n.affected] == ["stranger@example.com"]
    with pytest.raises(NotFound) as info:
        s.invite_user(me, ev.id, uuid.uuid4())
    assert info.value.field == "invitee"


def test_invite_validation_codes(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    for call, code in [
        (lambda: s.invite_user(me, ev.id, world.stranger.id, "guest"), ("role", "invalid_role")),
        (lambda: s.invite_email(me, ev.id, "not-an-address"), ("email", "invalid_email")),
        (lambda: s.invite_email(me, ev.id, "a@example.org", "user"), ("role", "invalid_role")),
        (lambda: s.change_user_role(me, ev.id, world.user.id, "owner"), ("role", "invalid_role")),
    ]:
        with pytest.raises(ValidationFailed) as info:
            call()
        assert (info.value.errors[0].field, info.value.errors[0].code) == code


def test_email_invites_are_lowercased_and_become_user_invites(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    assert s.invite_email(me, ev.id, "Guest@Example.ORG", InviteRole.MODERATOR) is True
    assert s.invite_email(me, ev.id, "guest@example.org") is False
    [inv] = world.store.email_invites(ev.id)
    assert inv.email == "guest@example.org" and inv.role is InviteRole.MODERATOR
    s.invite_email(me, ev.id, "plain@example.org")
    guest = s.create_user("GUEST@example.org")
    plain = s.get_or_create_user_by_email("plain@example.org")
    assert world.store.email_invites(ev.id) == []
    mine = world.store.get_user_invite(ev.id, guest.id)
    assert mine.role is InviteRole.MODERATOR and mine.status is InviteStatus.PENDING
    assert world.store.get_user_invite(ev.id, plain.id).role is InviteRole.USER  # guest → user
    assert s.get_event(guest.id, ev.id).invite_status is InviteStatus.PENDING
    assert s.pending_invite_count(plain.id) == 1


def test_inviting_a_users_address_invites_the_user(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    assert s.invite_email(me, ev.id, "STRANGER@example.com") is True
    assert world.store.email_invites(ev.id) == []
    assert world.store.get_user_invite(ev.id, world.stranger.id).role is InviteRole.USER
    assert s.invite_email(me, ev.id, "creator@example.com") is False


def test_list_invites_pages_and_filters(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    s.invite_email(me, ev.id, "guest@example.org")
    page = s.list_invites(world.user.id, ev.id, InviteQuery(page=1, per_page=3))
    assert page.total == 4 and page.last_page == 2 and len(page.items) == 3
    assert [i.kind for i in s.list_invites(me, ev.id, InviteQuery(page=2, per_page=3)).items] == ["email"]
    email = s.list_invites(me, ev.id, InviteQuery(page=2, per_page=3)).items[0]
    assert email.email == "guest@example.org" and email.avatar_url.startswith("https://")
    declined = s.list_invites(me, ev.id, InviteQuery(status=InviteStatus.DECLINED))
    assert [i.profile.email for i in declined.items] == ["declined@example.com"] and declined.total == 1
    with pytest.raises(BadRequest):
        s.list_invites(me, ev.id, InviteQuery(page=0))


def test_roles_and_uninvites(world):  # noqa: F811
    s, me = world.service, world.creator.id
    ev = world.weekly()
    s.change_user_role(me, ev.id, world.user.id, "moderator")
    assert world.store.get_user_invite(ev.id, world.user.id).role is InviteRole.MODERATOR
    s.invite_email(me, ev.id, "guest@example.org")
    s.change_email_role(me, ev.id, "GUEST@example.org", "moderator")
    assert world.store.get_email_invite(ev.id, "guest@example.org").role is InviteRole.MODERATOR
    s.add_favorite(world.user.id, ev.id)
    rev = world.store.get_event(ev.id).revision
    s.uninvite_user(me, ev.id, world.user.id)
    s.uninvite_email(me, ev.id, "guest@example.org")
    assert world.store.get_event(ev.id).revision == rev + 2
    assert [n.change for n in world.seen[-2:]] == [Change.UNINVITED, Change.UNINVITED]
    assert world.seen[-1].affected[0].email == "guest@example.org"
    with pytest.raises(NotFound):
        s.get_event(world.user.id, ev.id)
    assert world.store.favorite_ids(world.user.id, [ev.id]) == set()
    for call in (lambda: s.uninvite_user(me, ev.id, world.user.id),
                 lambda: s.uninvite_email(me, ev.id, "guest@example.org"),
                 lambda: s.change_user_role(me, ev.id, world.user.id, "user"),
                 lambda: s.change_email_role(me, ev.id, "guest@example.org", "guest")):
        with pytest.raises(NotFound):
            call()


def test_answers_keep_revision_and_updated_at(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    before = world.store.get_event(ev.id)
    s.accept_invite(world.user.id, ev.id)
    assert s.get_event(world.user.id, ev.id).invite_status is InviteStatus.ACCEPTED
    s.accept_invite(world.user.id, ev.id, "tentative")
    assert s.get_event(world.user.id, ev.id).invite_status is InviteStatus.TENTATIVE
    s.decline_invite(world.user.id, ev.id)
    assert world.store.get_user_invite(ev.id, world.user.id).status is InviteStatus.DECLINED  # the row stays
    after = world.store.get_event(ev.id)
    assert (after.revision, after.updated_at) == (before.revision, before.updated_at)
    n = world.seen[-1]
    assert n.change is Change.RESPONDED and n.status is InviteStatus.DECLINED
    assert n.affected[0].email == "user@example.com"
    with pytest.raises(ValidationFailed):
        s.accept_invite(world.user.id, ev.id, "declined")
    with pytest.raises(Forbidden):
        s.decline_invite(world.creator.id, ev.id)


def test_pending_invite_count(world):  # noqa: F811
    s = world.service
    a = world.weekly("A")
    world.weekly("B")
    assert s.pending_invite_count(world.user.id) == 2
    s.accept_invite(world.user.id, a.id)
    assert s.pending_invite_count(world.user.id) == 1
    assert s.pending_invite_count(world.declined.id) == 0
    s.delete_event(world.creator.id, a.id)
    assert s.pending_invite_count(world.moderator.id) == 1


def test_favorites(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    assert s.add_favorite(world.user.id, ev.id) is True
    assert s.add_favorite(world.user.id, ev.id) is False
    assert s.get_event(world.user.id, ev.id).is_favorite
    assert not s.get_event(world.creator.id, ev.id).is_favorite
    rev = world.store.get_event(ev.id).revision
    s.remove_favorite(world.user.id, ev.id)
    with pytest.raises(NotFound):
        s.remove_favorite(world.user.id, ev.id)
    assert world.store.get_event(ev.id).revision == rev


def test_room_event(world):  # noqa: F811
    s = world.service
    ev = world.weekly()
    v = s.room_event(world.declined.id, ev.room.id)
    assert (v.id, v.title, v.is_adhoc) == (ev.id, "Weekly", False)
    with pytest.raises(NotFound):
        s.room_event(world.creator.id, uuid.uuid4())


# -- users -----------------------------------------------------------------------------------------


def test_users_for_the_auth_layer(world):  # noqa: F811
    s = world.service
    u = s.get_or_create_user_by_subject("oidc|1", email="New@Example.com", display_name="New")
    assert u.email == "new@example.com" and u.subject == "oidc|1" and u.timezone == "UTC"
    assert s.get_or_create_user_by_subject("oidc|1", email="other@example.com").id == u.id
    linked = s.get_or_create_user_by_subject("oidc|2", email="user@example.com")
    assert linked.id == world.user.id and s.get_user(world.user.id).subject == "oidc|2"
    assert s.get_or_create_user_by_email("NEW@example.com").id == u.id
    p = s.get_profile(u.id)
    assert (p.id, p.email, p.display_name) == (u.id, "new@example.com", "New") and p.avatar_url
    with pytest.raises(ValidationFailed) as info:
        s.create_user("new@example.com")
    assert info.value.errors[0].code == "email_taken"
    with pytest.raises(ValidationFailed) as info:
        s.create_user("tz@example.com", timezone="Mars/Base")
    assert info.value.errors[0].code == "unknown_timezone"
    with pytest.raises(NotFound):
        s.get_user(uuid.uuid4())
    changed = s.update_user(u.id, firstname="N", lastname="E", title="Dr.")
    assert (changed.firstname, changed.lastname, changed.title) == ("N", "E", "Dr.")
