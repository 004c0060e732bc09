"""CLI: ``opentalk-sched export`` (a user's calendar from a store as one .ics) and
``opentalk-sched itip-reply`` (incoming REPLY messages).

The example calendars are imported into a temporary store, exported, and the exported
file is expanded by a third party (icalendar + recurring-ical-events) to the instances the
engine computes from the stored events, over a year."""

from __future__ import annotations

from datetime import datetime, timezone

import icalendar
import pytest

from opentalk_sched.cli import main
from opentalk_sched.core import InviteStatus
from opentalk_sched.ical.importer import read_calendar
from opentalk_sched.ical.itip import reply
from opentalk_sched.service import CreateEvent, DateTimeTZ, Service
from opentalk_sched.store import SqliteStore

from .test_roundtrip import assert_same_instances, engine_instances, snapshot, third_party_instances

UTC = timezone.utc
ALICE = "alice@example.com"
LO, HI = datetime(2026, 1, 1), datetime(2027, 1, 1)


@pytest.fixture
def db(tmp_path, examples_dir):
    path = tmp_path / "cal.db"
    for ics in sorted(examples_dir.glob("*.ics")):
        assert main(["import", str(ics), "--db", str(path), "--as", ALICE]) == 0
    return path


def _stored_events(path):
    store = SqliteStore(path)
    try:
        svc = Service(store)
        return [i.event for i in svc.calendar_feed(svc.find_user_by_email(ALICE).id).items]
    finally:
        store.close()


def test_export_of_the_examples_expands_to_the_engines_instances(db, tmp_path, capsys, examples_dir):
    out = tmp_path / "out.ics"
    assert main(["export", "--db", str(db), "--user", ALICE, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    data = out.read_bytes()
    events = _stored_events(db)
    assert len(events) == 11 and f"exported 11 events of {ALICE} to {out} (0 skipped, 0 failed)" in err
    mine = engine_instances(events, LO, HI)
    theirs = third_party_instances(data, LO, HI)
    assert len(mine) > 100
    assert_same_instances(theirs, mine)
    # and our own importer reads the export back to the same instances and statuses
    originals = [e for f in sorted(examples_dir.glob("*.ics")) for e in read_calendar(f.read_bytes()).events]
    assert snapshot(read_calendar(data).events, LO, HI) == snapshot(originals, LO, HI)


def test_export_to_stdout_and_skipped_time_independent_events(db, tmp_path, capsysbinary):
    store = SqliteStore(db)
    try:
        svc = Service(store)
        alice = svc.find_user_by_email(ALICE)
        someday = svc.create_event(alice.id, CreateEvent("Someday", is_time_independent=True))
        uid = store.get_event(someday.id).ical_uid
    finally:
        store.close()
    out = tmp_path / "out.ics"
    assert main(["export", "--db", str(db), "--user", ALICE, "-o", str(out)]) == 0
    err = capsysbinary.readouterr().err.decode()
    assert f"skipped {uid} ('Someday'): time-independent, no dates to export" in err
    assert "(1 skipped, 0 failed)" in err
    assert main(["export", "--db", str(db), "--user", ALICE, "-o", "-"]) == 0
    dash = capsysbinary.readouterr().out
    assert main(["export", "--db", str(db), "--user", ALICE]) == 0
    plain = capsysbinary.readouterr().out
    assert dash == plain == out.read_bytes()  # DTSTAMP is the last change: same state, same bytes
    assert dash.startswith(b"BEGIN:VCALENDAR\r\n") and b"Someday" not in dash


def test_export_errors(tmp_path, db, capsys):
    missing = tmp_path / "missing.db"
    assert main(["export", "--db", str(missing), "--user", ALICE]) == 2
    assert not missing.exists()
    assert main(["export", "--db", str(db), "--user", "nobody@example.com"]) == 2
    assert "no user nobody@example.com" in capsys.readouterr().err


def test_itip_reply_applies_answers_of_users_and_email_guests(tmp_path, capsys):
    path = tmp_path / "cal.db"
    store = SqliteStore(path)
    try:
        svc = Service(store)
        alice = svc.create_user("alice@example.org")
        bob = svc.create_user("bob@example.org")
        view = svc.create_event(alice.id, CreateEvent(
            "Planning", is_all_day=False, starts_at=DateTimeTZ(datetime(2025, 3, 3, 8, tzinfo=UTC), "Europe/Berlin"),
            ends_at=DateTimeTZ(datetime(2025, 3, 3, 9, tzinfo=UTC), "Europe/Berlin"),
            recurrence_pattern=("RRULE:FREQ=WEEKLY;COUNT=4",)))
        svc.invite_user(alice.id, view.id, bob.id)
        svc.invite_email(alice.id, view.id, "guest@example.org")
        event = store.get_event(view.id)
        people = {a.email: a for a in svc.attendees(event)}
    finally:
        store.close()
    guest = tmp_path / "guest.ics"
    guest.write_bytes(reply(event, people["guest@example.org"], "alice@example.org", "accepted"))
    bobs = tmp_path / "bob.ics"
    bobs.write_bytes(reply(event, people["bob@example.org"], "alice@example.org", "tentative"))
    assert main(["itip-reply", "--db", str(path), str(guest), str(bobs)]) == 0
    out = capsys.readouterr().out
    assert f"{guest}: guest@example.org accepted {event.ical_uid}" in out
    assert f"{bobs}: bob@example.org tentative {event.ical_uid}" in out
    stale = tmp_path / "stale.ics"
    stale.write_bytes(reply(event, people["bob@example.org"], "alice@example.org", "declined", sequence=0))
    assert main(["itip-reply", "--db", str(path), "--organizer", "alice@example.org", str(stale)]) == 2
    assert "rejected: stale_sequence" in capsys.readouterr().err
    junk = tmp_path / "junk.ics"
    junk.write_bytes(b"not a calendar")
    assert main(["itip-reply", "--db", str(path), str(junk)]) == 2
    assert "rejected: itip_unreadable" in capsys.readouterr().err
    store = SqliteStore(path)
    try:
        assert store.get_email_invite(event.id, "guest@example.org").status is InviteStatus.ACCEPTED
        assert store.get_user_invite(event.id, bob.id).status is InviteStatus.TENTATIVE
    finally:
        store.close()


def test_export_of_team_ics_gives_every_component_of_a_series_the_masters_organizer(db, tmp_path):
    out = tmp_path / "out.ics"
    assert main(["export", "--db", str(db), "--user", ALICE, "-o", str(out)]) == 0
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    weekly = [c for c in cal.walk("VEVENT") if str(c["UID"]) == "team-weekly@example.com"]
    assert len(weekly) == 3  # the master, the moved and the cancelled instance
    assert [(str(c["ORGANIZER"]), str(c["ORGANIZER"].params.get("CN"))) for c in weekly] == \
        [("mailto:alice@example.com", "Alice Example")] * 3
