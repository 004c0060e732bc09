"""Import: an override keeps its own ATTENDEE / ORGANIZER lines only when they differ from
the master's. Identical copies (every exported override carries the series' attendees)
are not frozen onto the instance, so after an export → import cycle the series'
attendee changes still reach every instance; real per-instance answers are kept."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from opentalk_sched.core import Attendee, Event, InviteRole, InviteStatus, Override, RecurrenceSet, Timing
from opentalk_sched.ical.export import export_event
from opentalk_sched.ical.importer import read_calendar

BERLIN = ZoneInfo("Europe/Berlin")
ORG = "ORGANIZER;CN=Alice:mailto:alice@example.org"
BOB = "ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:bob@example.org"
CAROL = "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:carol@example.org"


def _file(*overrides: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", "UID:people@test",
             "DTSTAMP:20250101T000000Z", "DTSTART;TZID=Europe/Berlin:20250303T090000",
             "DTEND;TZID=Europe/Berlin:20250303T100000", "RRULE:FREQ=WEEKLY;COUNT=4", "SUMMARY:Sync", ORG, BOB, CAROL,
             "END:VEVENT"]
    for day, extra in zip((10, 17, 24), overrides):
        lines += ["BEGIN:VEVENT", "UID:people@test", "DTSTAMP:20250101T000000Z",
                  f"RECURRENCE-ID;TZID=Europe/Berlin:202503{day}T090000",
                  f"DTSTART;TZID=Europe/Berlin:202503{day}T110000", f"DTEND;TZID=Europe/Berlin:202503{day}T120000",
                  "SUMMARY:Sync (moved)", *extra, "END:VEVENT"]
    return ("\r\n".join(lines + ["END:VCALENDAR"]) + "\r\n").encode()


def test_identical_people_are_dropped_and_differences_kept():
    data = _file(
        [ORG, CAROL, BOB],  # the master's people, in another order: nothing to keep
        [ORG, BOB, CAROL.replace("NEEDS-ACTION", "DECLINED")],  # carol declined this one: keep the attendees
        ["ORGANIZER:mailto:someone.else@example.org", BOB, CAROL],  # another organizer: keep only that
    )
    (item,) = read_calendar(data).items
    ovs = item.event.overrides
    same = ovs[datetime(2025, 3, 10, 9)]
    assert [p for p in same.properties if p.startswith(("ATTENDEE", "ORGANIZER"))] == []
    answered = [p for p in ovs[datetime(2025, 3, 17, 9)].properties if p.startswith(("ATTENDEE", "ORGANIZER"))]
    assert [p.split(":")[-1] for p in answered] == ["bob@example.org", "carol@example.org"]
    assert "PARTSTAT=DECLINED" in answered[1]
    other = [p for p in ovs[datetime(2025, 3, 24, 9)].properties if p.startswith(("ATTENDEE", "ORGANIZER"))]
    assert other == ["ORGANIZER:mailto:someone.else@example.org"]


def test_the_series_attendees_reach_every_instance_after_a_round_trip():
    ev = Event.new("Sync", Timing(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), BERLIN,
                                  RecurrenceSet.from_lines(["RRULE:FREQ=WEEKLY;COUNT=4"])))
    ev.overrides = {datetime(2025, 3, 10, 9): Override(datetime(2025, 3, 10, 9), title="Moved",
                                                       start=datetime(2025, 3, 10, 11), end=datetime(2025, 3, 10, 12))}
    bob = Attendee("bob@example.org", InviteStatus.ACCEPTED, InviteRole.GUEST, name="Bob")
    data = export_event(ev, [bob], "mailto:alice@example.org")
    (item,) = read_calendar(data).items
    assert item.event.overrides[datetime(2025, 3, 10, 9)].properties == ()
    # a later change of the series' attendees is written on the override too
    dana = Attendee("dana@example.org", InviteStatus.PENDING, InviteRole.MODERATOR)
    again = export_event(item.event, [bob, dana], item.organizer).decode().replace("\r\n ", "")
    moved = again.split("RECURRENCE-ID")[1]
    assert "mailto:dana@example.org" in moved and "mailto:bob@example.org" in moved
