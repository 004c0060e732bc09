"""iTIP (RFC 5546) messages: golden VEVENTs for REQUEST, CANCEL and REPLY (METHOD, SEQUENCE,
RECURRENCE-ID, ATTENDEE/PARTSTAT, STATUS), reading REPLYs and their typed errors, and
applying a REPLY through the service."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from opentalk_sched.core import (
    Attendee, Event, InvalidEvent, InvalidInstanceId, InviteRole, InviteStatus, Override, OverrideKind,
    RecurrenceSet, Timing,
)
from opentalk_sched.ical.itip import (
    ItipError, MalformedReply, ReplyInfo, ReplyRejected, apply_itip_reply, cancel, check_reply, itip_for,
    parse_replies, parse_reply, reply, request,
)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 2, 1, 10, 0, tzinfo=UTC)
UID = "11111111-2222-3333-4444-555555555555"
ORGANIZER = "mailto:alice@example.org"
BOB = Attendee("bob@example.org", InviteStatus.PENDING, InviteRole.GUEST)
CAROL = Attendee("carol@example.org", InviteStatus.ACCEPTED, InviteRole.MODERATOR, name="Carol")


def weekly(revision: int = 3) -> Event:
    ev = Event(
        id=uuid.UUID(UID), ical_uid=UID, title="Planning", description="Agenda", revision=revision,
        timing=Timing(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), BERLIN,
                      RecurrenceSet.from_lines(["RRULE:FREQ=WEEKLY;COUNT=6"])),
        properties=("BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:x\r\nEND:VALARM",),
    )
    ev.overrides = {
        datetime(2025, 3, 10, 9): Override(datetime(2025, 3, 10, 9), title="Planning (moved)",
                                           start=datetime(2025, 3, 11, 14), end=datetime(2025, 3, 11, 15)),
        datetime(2025, 3, 17, 9): Override(datetime(2025, 3, 17, 9), kind=OverrideKind.CANCELLED),
    }
    return ev


def method(data: bytes) -> str:
    return str(icalendar.Calendar.from_ical(data)["METHOD"])


def vevents(data: bytes) -> list[list[str]]:
    """Each VEVENT's unfolded content lines, without BEGIN/END."""
    out, current = [], None
    for line in data.decode().replace("\r\n ", "").split("\r\n"):
        if line == "BEGIN:VEVENT":
            current = []
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return out


HEAD = [f"UID:{UID}", "DTSTAMP:20250201T100000Z"]
BOB_PENDING = "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org"
CAROL_ACCEPTED = "ATTENDEE;CN=Carol;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:carol@example.org"


# -- golden messages -------------------------------------------------------------------------------


def test_request_for_the_series():
    data = request(weekly(), [BOB, CAROL], ORGANIZER, now=NOW)
    assert method(data) == "REQUEST"
    master, moved = vevents(data)
    assert master == HEAD + [
        "SEQUENCE:3", "SUMMARY:Planning", "DESCRIPTION:Agenda",
        "DTSTART;TZID=Europe/Berlin:20250303T090000", "DTEND;TZID=Europe/Berlin:20250303T100000",
        "RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20250317T090000",
        "STATUS:CONFIRMED", "ORGANIZER:mailto:alice@example.org", BOB_PENDING, CAROL_ACCEPTED,
        "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "DESCRIPTION:x", "END:VALARM",
    ]
    assert moved == HEAD + [
        "SEQUENCE:3", "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000", "SUMMARY:Planning (moved)",
        "DESCRIPTION:Agenda", "DTSTART;TZID=Europe/Berlin:20250311T140000", "DTEND;TZID=Europe/Berlin:20250311T150000",
        "STATUS:CONFIRMED", "ORGANIZER:mailto:alice@example.org", BOB_PENDING, CAROL_ACCEPTED,
    ]
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin" in data


def test_request_for_a_changed_instance():
    data = request(weekly(revision=4), [BOB, CAROL], ORGANIZER, recurrence_id="20250310T080000Z", now=NOW)
    assert method(data) == "REQUEST"
    (only,) = vevents(data)
    assert only == HEAD + [
        "SEQUENCE:4", "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000", "SUMMARY:Planning (moved)",
        "DESCRIPTION:Agenda", "DTSTART;TZID=Europe/Berlin:20250311T140000", "DTEND;TZID=Europe/Berlin:20250311T150000",
        "STATUS:CONFIRMED", "ORGANIZER:mailto:alice@example.org", BOB_PENDING, CAROL_ACCEPTED,
    ]
    # the same instance named by its wall time or an aware datetime
    assert request(weekly(4), [BOB], ORGANIZER, recurrence_id=datetime(2025, 3, 10, 9), now=NOW) == \
        request(weekly(4), [BOB], ORGANIZER, recurrence_id=datetime(2025, 3, 10, 8, tzinfo=UTC), now=NOW)


def test_cancel_for_a_deleted_event_raises_the_sequence():
    data = cancel(weekly(revision=3), [BOB, CAROL], ORGANIZER, now=NOW)
    assert method(data) == "CANCEL"
    (only,) = vevents(data)
    assert only == HEAD + [
        "SEQUENCE:4", "SUMMARY:Planning", "DESCRIPTION:Agenda",
        "DTSTART;TZID=Europe/Berlin:20250303T090000", "DTEND;TZID=Europe/Berlin:20250303T100000",
        "RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20250317T090000",
        "STATUS:CANCELLED", "ORGANIZER:mailto:alice@example.org",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org", CAROL_ACCEPTED,
    ]  # no VALARM in a CANCEL (RFC 5546 §3.2.5)


def test_cancel_for_a_cancelled_instance():
    data = cancel(weekly(revision=5), [BOB], ORGANIZER, recurrence_id=datetime(2025, 3, 17, 9), now=NOW)
    assert method(data) == "CANCEL"
    (only,) = vevents(data)
    assert only == HEAD + [
        "SEQUENCE:5", "RECURRENCE-ID;TZID=Europe/Berlin:20250317T090000", "SUMMARY:Planning", "DESCRIPTION:Agenda",
        "DTSTART;TZID=Europe/Berlin:20250317T090000", "DTEND;TZID=Europe/Berlin:20250317T100000",
        "STATUS:CANCELLED", "ORGANIZER:mailto:alice@example.org",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
    ]


def test_cancel_for_uninvited_attendees_has_no_status():
    data = cancel(weekly(revision=6), [BOB], ORGANIZER, uninvited=True, now=NOW)
    assert method(data) == "CANCEL"
    (only,) = vevents(data)
    assert only == HEAD + [
        "SEQUENCE:6", "SUMMARY:Planning", "DESCRIPTION:Agenda",
        "DTSTART;TZID=Europe/Berlin:20250303T090000", "DTEND;TZID=Europe/Berlin:20250303T100000",
        "ORGANIZER:mailto:alice@example.org",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
    ]


@pytest.mark.parametrize("status", [InviteStatus.ACCEPTED, InviteStatus.TENTATIVE, InviteStatus.DECLINED])
def test_reply_for_the_series(status):
    data = reply(weekly(revision=3), BOB, ORGANIZER, status, now=NOW)
    assert method(data) == "REPLY"
    (only,) = vevents(data)
    assert only == HEAD + [
        "SEQUENCE:3", "ORGANIZER:mailto:alice@example.org",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT={status.partstat}:mailto:bob@example.org",
        "SUMMARY:Planning", "DTSTART;TZID=Europe/Berlin:20250303T090000", "DTEND;TZID=Europe/Berlin:20250303T100000",
    ]
    assert not any(line.startswith("STATUS") for line in only)


def test_reply_for_one_instance_of_an_all_day_series():
    ev = Event(id=uuid.uuid4(), ical_uid="day@example.org", title="Offsite", revision=1,
               timing=Timing(date(2025, 5, 5), date(2025, 5, 6), None, RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=3"])))
    data = reply(ev, CAROL, "bob@example.org", "tentative", recurrence_id=date(2025, 5, 6), now=NOW)
    (only,) = vevents(data)
    assert only == ["UID:day@example.org", "DTSTAMP:20250201T100000Z", "SEQUENCE:1",
                    "ORGANIZER:mailto:bob@example.org",
                    "ATTENDEE;CN=Carol;ROLE=CHAIR;PARTSTAT=TENTATIVE:mailto:carol@example.org",
                    "RECURRENCE-ID;VALUE=DATE:20250506", "SUMMARY:Offsite",
                    "DTSTART;VALUE=DATE:20250506", "DTEND;VALUE=DATE:20250507"]
    assert b"VTIMEZONE" not in data


def test_explicit_sequence_wins():
    assert "SEQUENCE:9" in vevents(cancel(weekly(3), [BOB], ORGANIZER, sequence=9, now=NOW))[0]
    assert "SEQUENCE:9" in vevents(request(weekly(3), [BOB], ORGANIZER, sequence=9, now=NOW))[0]


def test_building_errors_are_typed():
    with pytest.raises(ItipError) as info:
        request(weekly(), [BOB], None, now=NOW)
    assert info.value.code == "organizer_required"
    with pytest.raises(ItipError) as info:
        request(weekly(), [], ORGANIZER, now=NOW)
    assert info.value.code == "no_attendees"
    with pytest.raises(ItipError) as info:
        request(weekly(), [BOB], ORGANIZER, recurrence_id=datetime(2025, 3, 17, 9), now=NOW)
    assert info.value.code == "instance_cancelled"
    with pytest.raises(InvalidInstanceId) as info:
        cancel(weekly(), [BOB], ORGANIZER, recurrence_id=datetime(2025, 3, 18, 9), now=NOW)
    assert info.value.code == "not_an_occurrence" and info.value.uid == UID
    with pytest.raises(ItipError) as info:
        reply(weekly(), BOB, ORGANIZER, InviteStatus.PENDING, now=NOW)
    assert info.value.code == "invalid_partstat"
    with pytest.raises(InvalidEvent) as info:
        request(Event.new("Someday"), [BOB], ORGANIZER, now=NOW)
    assert info.value.code == "time_independent"


# -- reading replies -------------------------------------------------------------------------------


def test_parse_our_own_replies():
    info = parse_reply(reply(weekly(3), BOB, ORGANIZER, InviteStatus.DECLINED, now=NOW))
    assert info == ReplyInfo(UID, None, "bob@example.org", "DECLINED", 3)
    assert info.status is InviteStatus.DECLINED and info.instance_id is None
    one = parse_reply(reply(weekly(3), BOB, ORGANIZER, "accepted", recurrence_id=datetime(2025, 3, 24, 9), now=NOW))
    assert one.recurrence_id == datetime(2025, 3, 24, 9, tzinfo=BERLIN)
    assert one.instance_id == "20250324T080000Z" and one.partstat == "ACCEPTED"


OUTLOOK_REPLY = b"""BEGIN:VCALENDAR\r
METHOD:REPLY\r
PRODID:Microsoft Exchange Server 2010\r
VERSION:2.0\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
ATTENDEE;PARTSTAT=TENTATIVE;CN=Bob:MAILTO:Bob@Example.org\r
COMMENT:See you\r
RECURRENCE-ID;TZID=W. Europe Standard Time:20250324T090000\r
SUMMARY;LANGUAGE=en-US:Tentative: Planning\r
DTSTART;TZID=W. Europe Standard Time:20250324T090000\r
UID:11111111-2222-3333-4444-555555555555\r
SEQUENCE:3\r
DTSTAMP:20250202T080000Z\r
ORGANIZER:mailto:alice@example.org\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_parse_an_outlook_reply():
    info = parse_reply(OUTLOOK_REPLY)
    assert (info.uid, info.attendee_email, info.partstat, info.sequence) == (UID, "bob@example.org", "TENTATIVE", 3)
    assert info.instance_id == "20250324T080000Z"


def _reply_with(*, method="REPLY", vevent=None) -> bytes:
    vevent = vevent if vevent is not None else [
        f"UID:{UID}", "DTSTAMP:20250202T080000Z", "SEQUENCE:3", "ORGANIZER:mailto:alice@example.org",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
    ]
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test"] + ([f"METHOD:{method}"] if method else [])
    return "\r\n".join(head + ["BEGIN:VEVENT", *vevent, "END:VEVENT", "END:VCALENDAR", ""]).encode()


BASE = [f"UID:{UID}", "DTSTAMP:20250202T080000Z", "SEQUENCE:3", "ORGANIZER:mailto:alice@example.org"]


@pytest.mark.parametrize("data, code, field", [
    (b"this is not a calendar", "itip_unreadable", None),
    (_reply_with(method="REQUEST"), "itip_not_reply", "METHOD"),
    (_reply_with(method=None), "itip_not_reply", "METHOD"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n", "itip_no_event", "VEVENT"),
    (_reply_with(vevent=BASE[1:] + ["ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org"]), "itip_missing_uid", "UID"),
    (_reply_with(vevent=BASE), "itip_attendee_count", "ATTENDEE"),
    (_reply_with(vevent=BASE + ["ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
                                "ATTENDEE;PARTSTAT=DECLINED:mailto:carol@example.org"]), "itip_attendee_count", "ATTENDEE"),
    (_reply_with(vevent=BASE + ["ATTENDEE;PARTSTAT=ACCEPTED:urn:uuid:1234"]), "itip_bad_attendee", "ATTENDEE"),
    (_reply_with(vevent=BASE + ["ATTENDEE:mailto:bob@example.org"]), "itip_bad_partstat", "PARTSTAT"),
    (_reply_with(vevent=BASE + ["ATTENDEE;PARTSTAT=DELEGATED:mailto:bob@example.org"]), "itip_bad_partstat", "PARTSTAT"),
    (_reply_with(vevent=[f"UID:{UID}", "SEQUENCE:three", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org"]),
     "itip_bad_sequence", "SEQUENCE"),
    (_reply_with(vevent=BASE + ["ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
                                "RECURRENCE-ID;TZID=Mars/Olympus:20250324T090000"]), "itip_bad_recurrence_id",
     "RECURRENCE-ID"),
])
def test_malformed_replies_are_typed_errors(data, code, field):
    with pytest.raises(MalformedReply) as info:
        parse_reply(data)
    assert info.value.code == code
    assert info.value.field == field
    if field not in (None, "METHOD", "VEVENT", "UID"):
        assert info.value.uid == UID


def test_several_instances_in_one_reply():
    att = "ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.org"
    data = _reply_with(vevent=BASE + [att, "RECURRENCE-ID:20250310T080000Z", "END:VEVENT", "BEGIN:VEVENT"] + BASE +
                       [att, "RECURRENCE-ID:20250324T080000Z"])
    assert [i.instance_id for i in parse_replies(data)] == ["20250310T080000Z", "20250324T080000Z"]
    with pytest.raises(MalformedReply) as info:
        parse_reply(data)
    assert info.value.code == "itip_multiple_events"


# -- applying replies ------------------------------------------------------------------------------


def test_check_reply_rules():
    ev = weekly(revision=3)
    info = ReplyInfo(UID, None, "bob@example.org", "ACCEPTED", 3)
    assert check_reply(info, ev, [BOB, CAROL]) is BOB
    cases = [
        (info, None, "unknown_event"),
        (ReplyInfo("other", None, "bob@example.org", "ACCEPTED", 3), ev, "unknown_event"),
        (ReplyInfo(UID, None, "bob@example.org", "ACCEPTED", 2), ev, "stale_sequence"),
        (ReplyInfo(UID, datetime(2025, 3, 4, 8, tzinfo=UTC), "bob@example.org", "ACCEPTED", 3), ev, "unknown_instance"),
        (ReplyInfo(UID, None, "mallory@example.org", "ACCEPTED", 3), ev, "unknown_attendee"),
    ]
    for bad, event, code in cases:
        with pytest.raises(ReplyRejected) as err:
            check_reply(bad, event, [BOB, CAROL])
        assert err.value.code == code
    assert check_reply(ReplyInfo(UID, None, "bob@example.org", "ACCEPTED", 7), ev, [BOB]) is BOB  # newer is fine


@pytest.fixture
def service_world():
    from opentalk_sched.service import Service
    from opentalk_sched.store import open_store

    store = open_store(":memory:")
    seen: list = []
    service = Service(store, notify=seen.append, itip=itip_for)
    alice = service.create_user("alice@example.org", display_name="Alice")
    bob = service.create_user("bob@example.org", display_name="Bob")
    yield service, alice, bob, seen
    store.close()


def _create(service, alice, bob):
    from opentalk_sched.service import CreateEvent, DateTimeTZ

    v = service.create_event(alice.id, CreateEvent(
        "Planning", is_all_day=False, starts_at=DateTimeTZ(datetime(2025, 3, 3, 8, tzinfo=UTC), "Europe/Berlin"),
        ends_at=DateTimeTZ(datetime(2025, 3, 3, 9, tzinfo=UTC), "Europe/Berlin"),
        recurrence_pattern=("RRULE:FREQ=WEEKLY;COUNT=4",)))
    service.invite_user(alice.id, v.id, bob.id)
    service.invite_email(alice.id, v.id, "guest@example.org")
    return service.get_event(alice.id, v.id)


def test_apply_a_reply_through_the_service(service_world):
    service, alice, bob, seen = service_world
    view = _create(service, alice, bob)
    stored = service.store.get_event(view.id)
    bob_att = next(a for a in service.attendees(stored) if a.email == "bob@example.org")
    data = reply(stored, bob_att, "alice@example.org", InviteStatus.TENTATIVE, now=NOW)
    info = apply_itip_reply(service, data, organizer=alice.id)
    assert info.status is InviteStatus.TENTATIVE
    assert service.get_event(bob.id, view.id).invite_status is InviteStatus.TENTATIVE
    # the service's own notification carries our REPLY payload
    assert seen[-1].change.value == "responded" and method(seen[-1].itip) == "REPLY"

    def rejected(data) -> str:
        with pytest.raises(ReplyRejected) as err:
            apply_itip_reply(service, data, organizer=alice.id)
        return err.value.code

    stale = data.replace(f"SEQUENCE:{stored.revision}".encode(), b"SEQUENCE:0")
    assert stored.revision > 0 and rejected(stale) == "stale_sequence"
    assert rejected(data.replace(stored.ical_uid.encode(), b"unknown-uid")) == "unknown_event"
    mallory = Attendee("mallory@example.org", InviteStatus.PENDING, InviteRole.GUEST)
    assert rejected(reply(stored, mallory, "alice@example.org", "accepted", now=NOW)) == "unknown_attendee"
    guest = Attendee("guest@example.org", InviteStatus.PENDING, InviteRole.GUEST)
    apply_itip_reply(service, reply(stored, guest, "alice@example.org", "accepted", now=NOW), organizer=alice.id)
    assert service.store.get_email_invite(view.id, "guest@example.org").status is InviteStatus.ACCEPTED
    assert seen[-1].change.value == "responded" and seen[-1].actor is None
    one = reply(stored, bob_att, "alice@example.org", "declined", recurrence_id=datetime(2025, 3, 10, 9), now=NOW)
    assert rejected(one) == "instance_reply_unsupported"
    none = reply(stored, bob_att, "alice@example.org", "declined", recurrence_id=datetime(2025, 3, 10, 9), now=NOW)
    assert rejected(none.replace(b"RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000",
                                 b"RECURRENCE-ID;TZID=Europe/Berlin:20250311T090000")) == "unknown_instance"


def test_service_notifications_carry_itip_payloads(service_world):
    from opentalk_sched.service import PatchEvent, PatchInstance

    service, alice, bob, seen = service_world
    view = _create(service, alice, bob)
    assert [n.change.value for n in seen] == ["created", "invited", "invited"]
    assert seen[0].itip is None  # nobody invited yet: no REQUEST
    assert method(seen[1].itip) == "REQUEST"
    service.patch_event(alice.id, view.id, PatchEvent(title="Planning v2"))
    patched = seen[-1]
    assert method(patched.itip) == "REQUEST"
    assert f"SEQUENCE:{patched.event.revision}" in vevents(patched.itip)[0]
    service.patch_instance(alice.id, view.id, "20250310T080000Z", PatchInstance(status="cancelled"))
    inst = seen[-1]
    assert method(inst.itip) == "CANCEL"
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000" in vevents(inst.itip)[0]
    service.uninvite_email(alice.id, view.id, "guest@example.org")
    un = seen[-1]
    assert method(un.itip) == "CANCEL"
    assert not any(line.startswith("STATUS") for line in vevents(un.itip)[0])
    assert [line for line in vevents(un.itip)[0] if line.startswith("ATTENDEE")] == [
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:guest@example.org"]
    last = service.get_event(alice.id, view.id).revision
    service.delete_event(alice.id, view.id)
    gone = seen[-1]
    assert method(gone.itip) == "CANCEL"
    assert f"SEQUENCE:{last + 1}" in vevents(gone.itip)[0] and "STATUS:CANCELLED" in vevents(gone.itip)[0]
