"""Importing calendars into the store (service and CLI), and ``instances --db``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opentalk_sched.cli import main
from opentalk_sched.core import InviteRole, InviteStatus
from opentalk_sched.ical.importer import read_calendar
from opentalk_sched.service import Service, ValidationFailed
from opentalk_sched.store import SqliteStore

from .conftest import CASES_DIR, ROOT

EXAMPLES = ROOT / "examples"

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:series@example.com
DTSTAMP:20250101T000000Z
SEQUENCE:{seq}
DTSTART;TZID=Europe/Berlin:20250310T090000
DTEND;TZID=Europe/Berlin:20250310T100000
RRULE:FREQ=WEEKLY;BYDAY=MO
SUMMARY:{title}
ORGANIZER:mailto:alice@example.com
ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:Bob@example.com
ATTENDEE;PARTSTAT=TENTATIVE:mailto:guest@example.org
{extra}ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
END:VEVENT
BEGIN:VEVENT
UID:series@example.com
DTSTAMP:20250101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20250317T090000
DTSTART;TZID=Europe/Berlin:20250317T090000
DTEND;TZID=Europe/Berlin:20250317T100000
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
"""


def ics(title="Weekly", seq=0, extra=""):
    return ICS.format(title=title, seq=seq, extra=extra).replace("\n", "\r\n")


@pytest.fixture
def service():
    store = SqliteStore(":memory:")
    yield Service(store)
    store.close()


def test_import_creates_events_with_invites(service):
    alice = service.create_user("alice@example.com")
    bob = service.create_user("bob@example.com")
    report = service.import_series(alice.id, read_calendar(ics()).items)
    assert len(report.created) == 1 and not report.updated
    ev = service.store.get_event(report.created[0])
    assert ev.created_by == alice.id and ev.ical_uid == "series@example.com" and ev.room is not None
    assert len(ev.overrides) == 1
    bob_invite = service.store.get_user_invite(ev.id, bob.id)
    assert (bob_invite.role, bob_invite.status) == (InviteRole.MODERATOR, InviteStatus.ACCEPTED)
    [guest] = service.store.email_invites(ev.id)
    assert (guest.email, guest.role, guest.status) == ("guest@example.org", InviteRole.GUEST, InviteStatus.TENTATIVE)
    assert service.store.get_user_invite(ev.id, alice.id) is None  # the importer is the creator


def test_reimport_updates_never_duplicates(service):
    alice = service.create_user("alice@example.com")
    first = service.import_series(alice.id, read_calendar(ics()).items)
    again = service.import_series(alice.id, read_calendar(ics()).items)
    assert again.unchanged == first.created and service.store.count_events() == 1
    ev = service.store.get_event(first.created[0])
    changed = service.import_series(alice.id, read_calendar(
        ics("Renamed", seq=5, extra="ATTENDEE;PARTSTAT=DECLINED:mailto:new@example.org\r\n")).items)
    assert changed.updated == first.created and service.store.count_events() == 1
    after = service.store.get_event(ev.id)
    assert after.title == "Renamed" and after.revision == 5 and after.room == ev.room
    assert {i.email: i.status for i in service.store.email_invites(ev.id)} == {
        "bob@example.com": InviteStatus.ACCEPTED, "guest@example.org": InviteStatus.TENTATIVE,
        "new@example.org": InviteStatus.DECLINED}
    service.import_series(alice.id, read_calendar(ics("Renamed", seq=5)).items)  # the attendee left the file
    assert sorted(i.email for i in service.store.email_invites(ev.id)) == ["bob@example.com", "guest@example.org"]


def test_two_users_importing_one_uid_get_their_own_events(service):
    alice = service.create_user("alice@example.com")
    carol = service.create_user("carol@example.com")
    a = service.import_series(alice.id, read_calendar(ics()).items).created[0]
    c = service.import_series(carol.id, read_calendar(ics()).items).created[0]
    assert a != c and service.store.count_events() == 2


def test_import_of_an_engine_rejected_series(service):
    from dataclasses import replace

    from opentalk_sched.core import Event, RecurrenceSet, Timing
    from opentalk_sched.ical.importer import Imported
    from datetime import date

    alice = service.create_user("alice@example.com")
    bad = Event.new("hourly all-day", Timing(date(2025, 1, 1), date(2025, 1, 2), None,
                                              RecurrenceSet.from_lines(["FREQ=HOURLY"])), ical_uid="bad@example.com")
    good = read_calendar(ics()).items
    with pytest.raises(ValidationFailed) as info:
        service.import_series(alice.id, [*good, Imported(bad)])
    assert info.value.uid == "bad@example.com" and service.store.count_events() == 0
    report = service.import_series(alice.id, [*good, Imported(replace(bad))], skip_invalid=True)
    assert len(report.created) == 1 and [e.uid for e in report.skipped] == ["bad@example.com"]


# -- CLI ---------------------------------------------------------------------------------------------


def test_cli_import_and_instances_from_the_store(tmp_path, capsys):
    db = tmp_path / "cal.db"
    for name in ("team.ics", "google.ics", "outlook.ics"):
        assert main(["import", str(EXAMPLES / name), "--db", str(db), "--as", "alice@example.com"]) == 0
    out = capsys.readouterr().out
    assert "created" in out
    assert main(["import", str(EXAMPLES / "team.ics"), "--db", str(db), "--as", "alice@example.com"]) == 0
    assert " 0 created" in capsys.readouterr().out
    window = ["--from", "2026-01-01", "--to", "2026-04-01", "--json"]
    files = []
    for name in ("team.ics", "google.ics", "outlook.ics"):
        assert main(["instances", str(EXAMPLES / name), *window]) == 0
        files += [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["instances", "--db", str(db), *window]) == 0
    stored = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    key = lambda r: (r["start"], r["uid"], r["instance_id"])  # noqa: E731
    strip = lambda r: {k: v for k, v in r.items() if k != "event_id"}  # noqa: E731
    assert stored and [strip(r) for r in sorted(stored, key=key)] == [strip(r) for r in sorted(files, key=key)]
    # and in the order the engine gives for the three files together
    from opentalk_sched.cli.bounds import parse_bound
    from opentalk_sched.core import Timeline

    events = [e for n in ("team.ics", "google.ics", "outlook.ics")
              for e in read_calendar((EXAMPLES / n).read_bytes()).events]
    engine = Timeline(events).overlapping(parse_bound("2026-01-01"), parse_bound("2026-04-01"))
    assert [(r["uid"], r["instance_id"]) for r in stored] == [(i.uid, i.instance_id) for i in engine]


def test_cli_instances_table_form_and_errors(tmp_path, capsys):
    db = tmp_path / "cal.db"
    main(["import", str(EXAMPLES / "team.ics"), "--db", str(db), "--as", "alice@example.com"])
    capsys.readouterr()
    assert main(["instances", "--db", str(db), "--from", "2026-03-01", "--to", "2026-03-15", "--tz",
                 "Europe/Berlin"]) == 0
    out = capsys.readouterr().out
    assert "Team weekly (moved to Friday)" in out and out.strip().endswith("instance(s)")
    assert main(["instances", "--db", str(tmp_path / "missing.db"), "--from", "2026-01-01", "--to", "2026-02-01"]) == 2
    assert not (tmp_path / "missing.db").exists()
    assert main(["instances", str(EXAMPLES / "team.ics"), "--db", str(db), "--from", "2026-01-01",
                 "--to", "2026-02-01"]) == 2


def test_cli_import_skip_invalid(tmp_path, capsys):
    bad = (CASES_DIR / "31-invalid-rrule-freq.ics").read_text()
    good = (EXAMPLES / "team.ics").read_text()
    mixed = tmp_path / "mixed.ics"
    body = bad.split("BEGIN:VEVENT", 1)[1].rsplit("END:VCALENDAR", 1)[0]
    mixed.write_text(good.replace("END:VCALENDAR", "BEGIN:VEVENT" + body + "END:VCALENDAR"))
    db = tmp_path / "cal.db"
    assert main(["import", str(mixed), "--db", str(db), "--as", "a@example.com"]) == 2
    assert SqliteStore(db).count_events() == 0
    assert main(["import", str(mixed), "--db", str(db), "--as", "a@example.com", "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "1 skipped" in captured.out
    assert SqliteStore(db).count_events() == len(read_calendar(good).items)


def test_examples_dir_exists():
    assert Path(EXAMPLES / "team.ics").is_file()
