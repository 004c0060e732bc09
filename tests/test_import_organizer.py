"""SPEC §3: the ORGANIZER of an imported series is kept and written back on export,
also after the series went through the store with another user as its creator."""

import icalendar

from opentalk_sched.ical.export import export_event
from opentalk_sched.ical.importer import read_calendar


def test_imported_organizer_wins_over_the_importing_user(examples_dir):
    item = next(i for i in read_calendar((examples_dir / "team.ics").read_bytes()).items
                if i.event.ical_uid == "team-weekly@example.com")
    data = export_event(item.event, item.attendees, organizer="mailto:importer@example.org")
    masters = [c for c in icalendar.Calendar.from_ical(data).walk("VEVENT") if c.get("RECURRENCE-ID") is None]
    organizers = masters[0].get("ORGANIZER")
    assert not isinstance(organizers, list)
    assert str(organizers).lower() == "mailto:alice@example.com"
    assert organizers.params.get("CN") == "Alice Example"


def test_without_a_kept_organizer_ours_is_written(examples_dir):
    item = next(i for i in read_calendar((examples_dir / "team.ics").read_bytes()).items
                if i.event.ical_uid == "retro-monthly@example.com")
    data = export_event(item.event, (), organizer="mailto:importer@example.org")
    master = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(master.get("ORGANIZER")).lower() == "mailto:importer@example.org"
