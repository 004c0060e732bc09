"""Service: incoming iTIP answers (``Service.apply_reply``, RFC 5546 §3.2.3) on SQLite and
PostgreSQL: a registered invitee's and an email guest's answer is stored and announced
as ``responded`` with a REPLY payload; stale SEQUENCE, unknown attendee, unknown event,
per-instance answers and bad statuses are refused with their codes and change nothing."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.core import InviteStatus
from opentalk_sched.ical.itip import itip_for, parse_reply
from opentalk_sched.service import CreateEvent, DateTimeTZ, Service, ValidationFailed
from opentalk_sched.service.replies import AppliedReply, ReplyRejected

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(store):
    seen: list = []
    svc = Service(store, notify=seen.append, itip=itip_for, clock=lambda: datetime(2025, 2, 1, 9, tzinfo=UTC))
    alice = svc.create_user("alice@example.org", display_name="Alice")
    bob = svc.create_user("bob@example.org", display_name="Bob")
    ev = svc.create_event(alice.id, CreateEvent(
        "Planning", is_all_day=False, starts_at=DateTimeTZ(datetime(2025, 3, 3, 8, tzinfo=UTC), "Europe/Berlin"),
        ends_at=DateTimeTZ(datetime(2025, 3, 3, 9, tzinfo=UTC), "Europe/Berlin"),
        recurrence_pattern=("RRULE:FREQ=WEEKLY;COUNT=4",)))
    svc.invite_user(alice.id, ev.id, bob.id)
    svc.invite_email(alice.id, ev.id, "guest@example.org")
    event = svc.store.get_event(ev.id)
    seen.clear()
    return svc, alice, bob, event, seen


def _statuses(svc, event):
    return ({i.invitee: i.status for i in svc.store.user_invites(event.id)},
            {i.email: i.status for i in svc.store.email_invites(event.id)})


def test_a_registered_invitee_answers(world):
    svc, alice, bob, event, seen = world
    assert event.revision == 2
    got = svc.apply_reply(event.ical_uid, "mailto:BOB@example.org", "tentative", event.revision)
    assert got == AppliedReply(event.id, "bob@example.org", bob.id, InviteStatus.TENTATIVE, True)
    assert svc.get_event(bob.id, event.id).invite_status is InviteStatus.TENTATIVE
    after = svc.store.get_event(event.id)
    assert (after.revision, after.updated_at) == (event.revision, event.updated_at)  # answers change neither
    (n,) = seen
    assert (n.change.value, n.actor, n.status, [a.email for a in n.affected]) == (
        "responded", bob.id, InviteStatus.TENTATIVE, ["bob@example.org"])
    info = parse_reply(n.itip)
    assert (info.uid, info.attendee_email, info.partstat) == (event.ical_uid, "bob@example.org", "TENTATIVE")
    # the same answer again changes nothing but is still announced (as through the API)
    assert svc.apply_reply(event.ical_uid, "bob@example.org", InviteStatus.TENTATIVE, 5).changed is False
    assert len(seen) == 2


def test_an_email_guest_answers_with_a_partstat(world):
    svc, alice, bob, event, seen = world
    got = svc.apply_reply(event.ical_uid, "Guest@Example.org", "DECLINED", event.revision, organizer=alice.id)
    assert got == AppliedReply(event.id, "guest@example.org", None, InviteStatus.DECLINED, True)
    users, emails = _statuses(svc, event)
    assert emails == {"guest@example.org": InviteStatus.DECLINED}
    assert users == {bob.id: InviteStatus.PENDING}
    # the invite list shows the answer (SPEC §1: pending until a REPLY arrives)
    page = svc.list_invites(alice.id, event.id)
    assert {(i.kind, i.email, i.status) for i in page.items if i.kind == "email"} == {
        ("email", "guest@example.org", InviteStatus.DECLINED)}
    (n,) = seen
    assert (n.change.value, n.actor, n.affected[0].email) == ("responded", None, "guest@example.org")
    assert parse_reply(n.itip).partstat == "DECLINED"
    # the guest becoming a user keeps the answer
    carol = svc.create_user("guest@example.org")
    assert svc.get_event(carol.id, event.id).invite_status is InviteStatus.DECLINED


def _refused(svc, *args, **kw) -> tuple[str, str | None]:
    with pytest.raises(ReplyRejected) as err:
        svc.apply_reply(*args, **kw)
    return err.value.code, err.value.field


def test_refusals_have_codes_and_change_nothing(world):
    svc, alice, bob, event, seen = world
    before = _statuses(svc, event)
    uid, rev = event.ical_uid, event.revision
    assert _refused(svc, uid, "bob@example.org", "accepted", rev - 1) == ("stale_sequence", "SEQUENCE")
    assert _refused(svc, uid, "mallory@example.org", "accepted", rev) == ("unknown_attendee", "ATTENDEE")
    assert _refused(svc, uid, "alice@example.org", "accepted", rev) == ("unknown_attendee", "ATTENDEE")  # organizer
    assert _refused(svc, "no-such-uid", "bob@example.org", "accepted", rev) == ("unknown_event", "UID")
    # UIDs are looked up among the organizer's events when one is given
    assert _refused(svc, uid, "bob@example.org", "accepted", rev, organizer=bob.id) == ("unknown_event", "UID")
    # one instance: an occurrence is understood but cannot be stored; another time is unknown
    one = datetime(2025, 3, 10, 9, tzinfo=BERLIN)
    assert _refused(svc, uid, "bob@example.org", "declined", rev, one) == (
        "instance_reply_unsupported", "RECURRENCE-ID")
    assert _refused(svc, uid, "bob@example.org", "declined", rev, datetime(2025, 3, 10, 8, tzinfo=UTC)) == (
        "instance_reply_unsupported", "RECURRENCE-ID")  # the same instant in UTC
    assert _refused(svc, uid, "bob@example.org", "declined", rev, datetime(2025, 3, 11, 9, tzinfo=BERLIN)) == (
        "unknown_instance", "RECURRENCE-ID")
    for bad in ("pending", "NEEDS-ACTION", "maybe"):
        with pytest.raises(ValidationFailed) as err:
            svc.apply_reply(uid, "bob@example.org", bad, rev)
        assert [(e.field, e.code) for e in err.value.errors] == [("status", "invalid_value")]
    assert _statuses(svc, event) == before
    assert seen == []


def test_suppressed_reply_is_stored_without_notification(world):
    svc, alice, bob, event, seen = world
    svc.apply_reply(event.ical_uid, "bob@example.org", "accepted", event.revision, suppress_email_notification=True)
    assert svc.get_event(bob.id, event.id).invite_status is InviteStatus.ACCEPTED
    assert seen == []
