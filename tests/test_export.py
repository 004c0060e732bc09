"""iCalendar export (opentalk_sched.ical.export): what one series becomes, property by property."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from opentalk_sched.core import (
    Attendee, Event, InvalidEvent, InviteRole, InviteStatus, Observance, Override, OverrideKind, RecurrenceSet, Room,
    Series, Timing, VTimezone,
)
from opentalk_sched.ical.export import ExportResult, export_calendar, export_event
from opentalk_sched.ical.importer import read_calendar

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def weekly(**kw) -> Event:
    timing = Timing(
        datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), BERLIN,
        RecurrenceSet.from_lines(["RRULE:FREQ=WEEKLY;COUNT=10"]),
    )
    return Event.new("Weekly", timing, id=uuid.UUID(int=1), **kw)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def vevents(data: bytes) -> list:
    return parse(data).walk("VEVENT")


def lines(data: bytes) -> list[str]:
    """Unfolded content lines."""
    return data.decode().replace("\r\n ", "").split("\r\n")


def test_master_properties():
    ev = weekly(
        description="Agenda, first line\nsecond", revision=4,
        created_at=datetime(2024, 12, 1, 8, tzinfo=UTC), updated_at=datetime(2024, 12, 2, 8, tzinfo=UTC),
    )
    data = export_event(ev, now=NOW)
    (master,) = vevents(data)
    assert str(master["UID"]) == str(uuid.UUID(int=1))
    assert master["DTSTAMP"].to_ical() == b"20250102T030405Z"
    assert master["CREATED"].to_ical() == b"20241201T080000Z"
    assert master["LAST-MODIFIED"].to_ical() == b"20241202T080000Z"
    assert int(master["SEQUENCE"]) == 4
    assert str(master["SUMMARY"]) == "Weekly"
    assert str(master["DESCRIPTION"]) == "Agenda, first line\nsecond"
    assert "DTSTART;TZID=Europe/Berlin:20250303T090000" in lines(data)
    assert "DTEND;TZID=Europe/Berlin:20250303T100000" in lines(data)
    assert "RRULE:FREQ=WEEKLY;COUNT=10" in lines(data)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in data.decode().split("\r\n"))
    tzids = [str(tz["TZID"]) for tz in parse(data).walk("VTIMEZONE")]
    assert tzids == ["Europe/Berlin"]


def test_floating_utc_and_all_day_forms():
    floating = Event.new("F", Timing(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10)))
    assert "DTSTART:20250303T090000" in lines(export_event(floating, now=NOW))
    assert b"VTIMEZONE" not in export_event(floating, now=NOW)
    utc = Event.new("U", Timing(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), ZoneInfo("UTC")))
    assert "DTSTART:20250303T090000Z" in lines(export_event(utc, now=NOW))
    assert b"VTIMEZONE" not in export_event(utc, now=NOW)
    all_day = Event.new("A", Timing(date(2025, 3, 3), date(2025, 3, 5)))
    data = export_event(all_day, now=NOW)
    assert "DTSTART;VALUE=DATE:20250303" in lines(data)
    assert "DTEND;VALUE=DATE:20250305" in lines(data)


def test_nominal_duration_is_written_as_duration():
    t = Timing(datetime(2024, 3, 30, 12), datetime(2024, 3, 31, 12), BERLIN, nominal=timedelta(days=1))
    data = export_event(Event.new("Hackathon", t), now=NOW)
    assert "DURATION:P1D" in lines(data)
    assert not any(line.startswith("DTEND") for line in lines(data))


def test_zero_length_event_has_no_dtend():
    t = Timing(datetime(2024, 1, 5, 10), datetime(2024, 1, 5, 10), ZoneInfo("UTC"))
    data = export_event(Event.new("Point", t), now=NOW)
    assert not any(line.startswith(("DTEND", "DURATION")) for line in lines(data))


def test_overrides_cancelled_moved_and_this_and_future():
    ev = weekly(revision=2)
    ev.overrides = {
        datetime(2025, 3, 10, 9): Override(
            datetime(2025, 3, 10, 9), title="Moved", start=datetime(2025, 3, 10, 14), end=datetime(2025, 3, 10, 15),
            sequence=5,
        ),
        datetime(2025, 3, 17, 9): Override(datetime(2025, 3, 17, 9), kind=OverrideKind.CANCELLED),
        datetime(2025, 3, 24, 9): Override(datetime(2025, 3, 24, 9), description="from now on", this_and_future=True),
    }
    data = export_event(ev, now=NOW)
    ls = lines(data)
    assert "EXDATE;TZID=Europe/Berlin:20250317T090000" in ls
    master, moved, cancelled, future = vevents(data)
    assert "RECURRENCE-ID" not in master
    # a cancelled instance: the EXDATE and a STATUS:CANCELLED override (SPEC §3 round trip)
    assert cancelled["RECURRENCE-ID"].to_ical() == b"20250317T090000"
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 2
    assert moved["RECURRENCE-ID"].to_ical() == b"20250310T090000"
    assert moved["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert str(moved["SUMMARY"]) == "Moved"
    assert int(moved["SEQUENCE"]) == 5  # the override's own SEQUENCE is higher than the revision
    assert moved["DTSTART"].to_ical() == b"20250310T140000"
    assert future["RECURRENCE-ID"].params["RANGE"] == "THISANDFUTURE"
    assert int(future["SEQUENCE"]) == 2
    assert str(future["DESCRIPTION"]) == "from now on"
    assert "RECURRENCE-ID;TZID=Europe/Berlin;RANGE=THISANDFUTURE:20250324T090000" in ls


def test_all_day_and_floating_recurrence_ids():
    ad = Event.new("A", Timing(date(2025, 3, 3), date(2025, 3, 4), None, RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=3"])))
    ad.overrides = {date(2025, 3, 4): Override(date(2025, 3, 4), title="x")}
    assert "RECURRENCE-ID;VALUE=DATE:20250304" in lines(export_event(ad, now=NOW))
    fl = Event.new("F", Timing(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), None,
                               RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=3"])))
    fl.overrides = {datetime(2025, 3, 4, 9): Override(datetime(2025, 3, 4, 9), title="x")}
    assert "RECURRENCE-ID:20250304T090000" in lines(export_event(fl, now=NOW))


def test_override_that_is_no_occurrence_is_not_written():
    ev = weekly()
    ev.overrides = {datetime(2025, 3, 11, 9): Override(datetime(2025, 3, 11, 9), title="orphan")}
    assert len(vevents(export_event(ev, now=NOW))) == 1


def test_attendees_organizer_and_room():
    room = Room(uuid.UUID(int=7), password="secret")
    ev = weekly(room=room, properties=("LOCATION:Old place", "ORGANIZER:mailto:old@example.org"))
    attendees = [
        Attendee("bob@example.org", InviteStatus.PENDING, InviteRole.GUEST),
        Attendee("carol@example.org", InviteStatus.ACCEPTED, InviteRole.MODERATOR, name="Carol, C."),
        Attendee("dan@example.org", InviteStatus.TENTATIVE, InviteRole.USER, user_id=uuid.uuid4()),
        Attendee("erin@example.org", InviteStatus.DECLINED, InviteRole.USER),
    ]
    data = export_event(ev, attendees, "mailto:Alice@example.org", room_url="https://meet.example/room/{room_id}", now=NOW)
    (master,) = vevents(data)
    # an ORGANIZER kept from import names the real organizer and wins (SPEC §3)
    assert str(master["ORGANIZER"]) == "mailto:old@example.org"
    assert data.count(b"ORGANIZER") == 1
    atts = {str(a)[7:]: a.params for a in master["ATTENDEE"]}
    assert {k: (p["PARTSTAT"], p["ROLE"]) for k, p in atts.items()} == {
        "bob@example.org": ("NEEDS-ACTION", "REQ-PARTICIPANT"),
        "carol@example.org": ("ACCEPTED", "CHAIR"),
        "dan@example.org": ("TENTATIVE", "REQ-PARTICIPANT"),
        "erin@example.org": ("DECLINED", "REQ-PARTICIPANT"),
    }
    assert atts["carol@example.org"]["CN"] == "Carol, C."
    url = f"https://meet.example/room/{room.id}"
    assert str(master["URL"]) == url and str(master["LOCATION"]) == url  # generated wins over kept
    assert b"secret" not in data and b"Old place" not in data and b"Alice@example.org" not in data
    assert "RSVP" not in atts["bob@example.org"]  # RSVP is for iTIP REQUEST only


def test_kept_properties_are_emitted_verbatim():
    alarm = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=START:-PT15M\r\nDESCRIPTION:Soon\r\nEND:VALARM"
    kept = (
        "LOCATION:Room 4\\, 2nd floor",
        "CATEGORIES:Work,Team",
        "TRANSP:TRANSPARENT",
        'X-CUSTOM;X-PARAM="a:b;c":raw\\nvalue\\;kept',
        alarm,
        "X-LONG:" + "y" * 120,
    )
    ev = weekly(properties=kept)
    ev.overrides = {datetime(2025, 3, 10, 9): Override(
        datetime(2025, 3, 10, 9), title="o", properties=("X-OVERRIDE:yes", "ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.org"),
    )}
    data = export_event(ev, [Attendee("bob@example.org", InviteStatus.ACCEPTED, InviteRole.GUEST)], now=NOW)
    ls = lines(data)
    for line in ("LOCATION:Room 4\\, 2nd floor", "CATEGORIES:Work,Team", "TRANSP:TRANSPARENT",
                 'X-CUSTOM;X-PARAM="a:b;c":raw\\nvalue\\;kept', "X-LONG:" + "y" * 120, "X-OVERRIDE:yes"):
        assert line in ls
    start = ls.index("BEGIN:VALARM")
    assert ls[start:start + 5] == alarm.split("\r\n")
    master, override = vevents(data)
    assert [str(a.params["PARTSTAT"]) for a in [master["ATTENDEE"]]] == ["ACCEPTED"]
    # the override keeps its own per-instance answer instead of the series' one
    assert str(override["ATTENDEE"].params["PARTSTAT"]) == "DECLINED"
    assert len(master.walk("VALARM")) == 1 and not override.walk("VALARM")


def test_kept_property_that_is_not_a_content_line_is_a_typed_error():
    ev = weekly(properties=("BEGIN:VALARM\r\nACTION:DISPLAY",))
    with pytest.raises(InvalidEvent) as info:
        export_event(ev, now=NOW)
    assert info.value.code == "invalid_property"
    result = export_calendar([ev], now=NOW)
    assert result.exported == [] and result.errors[0].uid == ev.ical_uid


def test_rdate_exdate_and_until_are_written_as_other_readers_expect():
    t = Timing(
        datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), BERLIN,
        RecurrenceSet.from_lines([
            "RRULE:FREQ=DAILY;UNTIL=20250310T090000",  # floating UNTIL: read in the series' zone
            "RDATE:20250320T090000",  # naive: the series' zone
            "EXDATE:20250305T090000",
            "EXDATE;TZID=America/New_York:20250306T030000",
        ]),
    )
    data = export_event(Event.new("R", t), now=NOW)
    ls = lines(data)
    assert "RRULE:FREQ=DAILY;UNTIL=20250310T080000Z" in ls
    assert "RDATE;TZID=Europe/Berlin:20250320T090000" in ls
    assert "EXDATE;TZID=Europe/Berlin:20250305T090000" in ls
    assert "EXDATE;TZID=America/New_York:20250306T030000" in ls
    assert sorted(str(tz["TZID"]) for tz in parse(data).walk("VTIMEZONE")) == ["America/New_York", "Europe/Berlin"]


def test_rule_parts_taken_from_dtstart_are_written_out():
    yearly = Event.new("B", Timing(date(2020, 7, 16), date(2020, 7, 17), None,
                                   RecurrenceSet.from_lines(["FREQ=YEARLY;BYMONTHDAY=16"])))
    assert "RRULE:FREQ=YEARLY;BYMONTHDAY=16;BYMONTH=7" in lines(export_event(yearly, now=NOW))
    weekno = Event.new("W", Timing(datetime(2025, 1, 8, 9), datetime(2025, 1, 8, 10), BERLIN,
                                   RecurrenceSet.from_lines(["FREQ=YEARLY;BYWEEKNO=2;COUNT=3"])))
    assert "RRULE:FREQ=YEARLY;COUNT=3;BYWEEKNO=2;BYDAY=WE" in lines(export_event(weekno, now=NOW))
    dated = Event.new("D", Timing(date(2024, 10, 18), date(2024, 10, 19), None,
                                  RecurrenceSet.from_lines(["FREQ=DAILY;BYMINUTE=1,2;INTERVAL=2;COUNT=3"])))
    assert "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=3" in lines(export_event(dated, now=NOW))


def test_custom_vtimezone_is_reemitted_from_its_observances():
    tz = VTimezone("Custom Zone", [
        Observance("STANDARD", datetime(1601, 1, 1, 3), 7200, 3600, "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", (), "CST"),
        Observance("DAYLIGHT", datetime(1601, 1, 1, 2), 3600, 7200, "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", (), "CDT"),
    ])
    ev = Event.new("C", Timing(datetime(2025, 3, 3, 9), datetime(2025, 3, 3, 10), tz))
    data = export_event(ev, now=NOW)
    ls = lines(data)
    assert "DTSTART;TZID=Custom Zone:20250303T090000" in ls
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in ls and "DTSTART:16010101T030000" in ls
    (back,) = read_calendar(data).events
    assert back.timing.tz == tz


def test_time_independent_events_are_skipped_and_reported():
    ti = Event.new("Someday", None)
    with pytest.raises(InvalidEvent) as info:
        export_event(ti, now=NOW)
    assert info.value.code == "time_independent"
    timed = weekly()
    result = export_calendar([ti, (timed, [Attendee("x@example.org", InviteStatus.ACCEPTED, InviteRole.GUEST)], None)], now=NOW)
    assert isinstance(result, ExportResult)
    assert result.skipped == [ti.id]
    assert result.exported == [timed.id]
    assert result.errors == []
    assert [str(e["SUMMARY"]) for e in vevents(result.data)] == ["Weekly"]


def test_calendar_shares_one_vtimezone_per_tzid_covering_every_series():
    early = Event.new("Early", Timing(datetime(2001, 5, 1, 9), datetime(2001, 5, 1, 10), BERLIN))
    late = weekly()
    result = export_calendar([late, early], now=NOW, name="Team")
    cal = parse(result.data)
    assert str(cal["X-WR-CALNAME"]) == "Team"
    (vtz,) = cal.walk("VTIMEZONE")
    assert min(sub.decoded("DTSTART") for sub in vtz.subcomponents).year <= 2001
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Weekly", "Early"]


def test_export_reimports_to_the_same_instances():
    ev = weekly()
    ev.overrides = {datetime(2025, 3, 10, 9): Override(datetime(2025, 3, 10, 9), start=datetime(2025, 3, 11, 9),
                                                       end=datetime(2025, 3, 11, 11), title="moved")}
    (back,) = read_calendar(export_event(ev, now=NOW)).events
    window = (date(2025, 3, 1), date(2025, 6, 1))
    assert [(i.instance_id, i.start, i.end, i.title) for i in Series(back).overlapping(*window)] == [
        (i.instance_id, i.start, i.end, i.title) for i in Series(ev).overlapping(*window)
    ]


def test_overrides_carry_the_masters_organizer():
    """A series with an ORGANIZER kept from import: its overrides (moved, cancelled) carry
    that same ORGANIZER, not the store's creator (RFC 6638 §3.2.4.1: equal in all
    components); without a kept one every component carries the given organizer."""
    kept = 'ORGANIZER;CN="Alice Example":mailto:alice@example.com'
    ev = weekly(properties=(kept, "ORGANIZER:mailto:second@example.com"))
    ev.overrides = {
        datetime(2025, 3, 10, 9): Override(datetime(2025, 3, 10, 9), title="Moved", start=datetime(2025, 3, 11, 9),
                                           end=datetime(2025, 3, 11, 10)),
        datetime(2025, 3, 17, 9): Override(datetime(2025, 3, 17, 9), kind=OverrideKind.CANCELLED),
        datetime(2025, 3, 24, 9): Override(datetime(2025, 3, 24, 9), title="Other",
                                           properties=("ORGANIZER:mailto:someone.else@example.com",)),
    }
    creator = Attendee("alice@example.com", InviteStatus.ACCEPTED, InviteRole.USER, name="alice@example.com")
    data = export_event(ev, (), creator, now=NOW)
    comps = data.decode().replace("\r\n ", "").split("BEGIN:VEVENT")[1:]
    assert len(comps) == 4
    for comp in comps:
        organizers = [line for line in comp.split("\r\n") if line.startswith("ORGANIZER")]
        assert organizers[0] == kept, comp
    assert data.count(b"CN=alice@example.com") == 0 and b"someone.else" not in data

    plain = weekly()
    plain.overrides = dict(list(ev.overrides.items())[:2])
    data = export_event(plain, (), "mailto:bob@example.org", now=NOW)
    assert [str(c["ORGANIZER"]) for c in vevents(data)] == ["mailto:bob@example.org"] * 3


def test_attendee_names_and_parameters_come_from_the_lines_kept_at_import():
    """The store keeps no names for email invitees: the master's ATTENDEE lines kept from
    import are the templates of the lines written. CN and other parameters stay, PARTSTAT
    and ROLE follow the attendees given; lines of people no longer invited are not written."""
    kept = (
        "ATTENDEE;CUTYPE=INDIVIDUAL;CN=Bob Example;X-NUM-GUESTS=0;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
        "ATTENDEE;CN=Carol Example;ROLE=OPT-PARTICIPANT:mailto:Carol@Example.org",
        "ATTENDEE;CN=Gone Person;PARTSTAT=ACCEPTED:mailto:gone@example.org",
        "LOCATION:Room 4",
    )
    ev = weekly(properties=kept)
    attendees = [  # as the store gives them: users first, email invites without a name
        Attendee("new@example.org", InviteStatus.PENDING, InviteRole.GUEST),
        Attendee("carol@example.org", InviteStatus.TENTATIVE, InviteRole.GUEST, user_id=uuid.uuid4(),
                 name="carol@example.org"),
        Attendee("bob@example.org", InviteStatus.ACCEPTED, InviteRole.MODERATOR),
    ]
    data = export_event(ev, attendees, "mailto:alice@example.org", now=NOW)
    master_lines = lines(data)[lines(data).index("BEGIN:VEVENT"):]
    written = [line for line in master_lines if line.startswith("ATTENDEE")]
    assert written == [  # in the file's order, then the new invitee
        'ATTENDEE;CUTYPE=INDIVIDUAL;CN="Bob Example";X-NUM-GUESTS=0;PARTSTAT=ACCEPTED;ROLE=CHAIR:'
        "mailto:bob@example.org",
        'ATTENDEE;CN="Carol Example";ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:carol@example.org',
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:new@example.org",
    ]
    # they stand where the kept lines stood (before LOCATION), so a re-import keeps the order
    assert master_lines.index(written[-1]) < master_lines.index("LOCATION:Room 4")
    assert b"gone@example.org" not in data
    # a real name given for an attendee beats the kept one; without kept lines nothing changes
    renamed = export_event(ev, [Attendee("bob@example.org", InviteStatus.ACCEPTED, InviteRole.GUEST, name="Robert")],
                           now=NOW)
    assert "CN=Robert" in renamed.decode() and b"Bob Example" not in renamed
    (plain,) = vevents(export_event(weekly(), [Attendee("bob@example.org", InviteStatus.ACCEPTED, InviteRole.GUEST)],
                                    now=NOW))
    assert dict(plain["ATTENDEE"].params) == {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED"}


def test_the_creators_own_kept_attendee_line_is_written():
    """A user who imported a meeting they were invited to is its creator in the store,
    never an invitee: their kept ATTENDEE line is written anyway, with the creator's
    status (accepted), on the master and on overrides; not twice, and not in messages
    written without the kept properties (an uninvite CANCEL)."""
    from opentalk_sched.ical.itip import cancel, request

    kept = (
        'ORGANIZER;CN="Erin Example":mailto:erin@example.com',
        "ATTENDEE;CN=Alice Example;CUTYPE=INDIVIDUAL:mailto:alice@example.com",
        "ATTENDEE;CN=Bob Example:mailto:bob@example.com",
    )
    ev = weekly(properties=kept)
    ev.overrides = {datetime(2025, 3, 10, 9): Override(datetime(2025, 3, 10, 9), title="Moved",
                                                       start=datetime(2025, 3, 11, 9), end=datetime(2025, 3, 11, 10))}
    bob = Attendee("bob@example.com", InviteStatus.DECLINED, InviteRole.GUEST)
    creator = Attendee("alice@example.com", InviteStatus.ACCEPTED, InviteRole.USER, name="alice@example.com")
    data = export_event(ev, [bob], creator, now=NOW)
    comps = data.decode().replace("\r\n ", "").split("BEGIN:VEVENT")[1:]
    for comp in comps:
        assert [line for line in comp.split("\r\n") if line.startswith(("ORGANIZER", "ATTENDEE"))] == [
            'ORGANIZER;CN="Erin Example":mailto:erin@example.com',
            'ATTENDEE;CN="Alice Example";CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED:mailto:alice@example.com',
            'ATTENDEE;CN="Bob Example";PARTSTAT=DECLINED:mailto:bob@example.com',
        ]
    assert len(comps) == 2
    # given as an attendee too (export of the file itself): one line, the attendee's answer
    tentative = Attendee("alice@example.com", InviteStatus.TENTATIVE, InviteRole.GUEST, name="Alice Example")
    again = export_event(ev, [tentative, bob], "mailto:erin@example.com", now=NOW).decode().replace("\r\n ", "")
    assert again.count("mailto:alice@example.com") == 2 and "PARTSTAT=TENTATIVE:mailto:alice" in again
    # someone else's export, or no organizer: no line for alice
    assert b"alice" not in export_event(ev, [bob], "mailto:zoe@example.com", now=NOW)
    assert b"alice" not in export_event(ev, [bob], now=NOW)
    # iTIP: a REQUEST carries the kept properties (alice included); an uninvite CANCEL does not
    assert b"mailto:alice@example.com" in request(ev, [bob], creator, now=NOW).replace(b"\r\n ", b"")
    uninvite = lines(cancel(ev, [bob], creator, uninvited=True, now=NOW))
    assert [line.rsplit(":", 1)[-1] for line in uninvite if line.startswith("ATTENDEE")] == ["bob@example.com"]
