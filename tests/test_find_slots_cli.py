"""The ``freebusy`` and ``find-slots`` subcommands on a SQLite store and an .ics file."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from opentalk_sched.cli import main
from opentalk_sched.cli.find_slots import parse_length
from opentalk_sched.core import Event, InviteRole, InviteStatus, Timing
from opentalk_sched.store import SqliteStore, User, UserInvite

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cal.db"
    s = SqliteStore(path)
    alice = User(uuid.uuid4(), "alice@example.com", timezone="Europe/Berlin")
    bob = User(uuid.uuid4(), "bob@example.com", timezone="Europe/London")
    s.save_user(alice)
    s.save_user(bob)
    a = Event.new("Board", Timing(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 10), BERLIN), created_by=alice.id)
    b = Event.new("1:1", Timing(datetime(2025, 3, 10, 15), datetime(2025, 3, 10, 16), BERLIN), created_by=alice.id)
    s.save_event(a)
    s.save_event(b)
    s.save_user_invite(UserInvite(b.id, bob.id, InviteRole.USER, InviteStatus.TENTATIVE))
    s.close()
    return str(path)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_freebusy_json_from_store(db, capsys):
    code, out, _ = run(capsys, "freebusy", "--db", db, "--user", "alice@example.com", "--user", "bob@example.com",
                       "--from", "2025-03-10", "--to", "2025-03-11", "--json")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"user": "alice@example.com", "start": "2025-03-10T08:00:00Z", "end": "2025-03-10T09:00:00Z", "type": "busy"},
        {"user": "alice@example.com", "start": "2025-03-10T14:00:00Z", "end": "2025-03-10T15:00:00Z", "type": "busy"},
        {"user": "bob@example.com", "start": "2025-03-10T14:00:00Z", "end": "2025-03-10T15:00:00Z",
         "type": "busy_tentative"},
    ]


def test_freebusy_ics_and_table(db, capsys):
    code, out, _ = run(capsys, "freebusy", "--db", db, "--user", "bob@example.com", "--from", "2025-03-10",
                       "--to", "2025-03-11", "--ics")
    assert code == 0 and "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20250310T140000Z/20250310T150000Z" in out
    assert "1:1" not in out
    code, out, _ = run(capsys, "freebusy", "--db", db, "--user", "alice@example.com", "--from", "2025-03-10",
                       "--to", "2025-03-11", "--tz", "Europe/Berlin")
    assert "2025-03-10T09:00+01:00" in out and out.strip().endswith("2 busy period(s)")


def test_freebusy_from_an_ics_file_with_partstat(tmp_path, capsys):
    ics = tmp_path / "me.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250310T080000Z\r\nDTEND:20250310T090000Z\r\n"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250310T100000Z\r\nDTEND:20250310T110000Z\r\n"
        "ATTENDEE;PARTSTAT=TENTATIVE:mailto:me@example.com\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250310T120000Z\r\nDTEND:20250310T130000Z\r\n"
        "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    code, out, _ = run(capsys, "freebusy", str(ics), "--from", "2025-03-10", "--to", "2025-03-11", "--json")
    assert [json.loads(x)["type"] for x in out.splitlines()] == ["busy", "busy"]
    code, out, _ = run(capsys, "freebusy", str(ics), "--as", "me@example.com", "--from", "2025-03-10",
                       "--to", "2025-03-11", "--json")
    assert [(json.loads(x)["start"], json.loads(x)["type"]) for x in out.splitlines()] == [
        ("2025-03-10T10:00:00Z", "busy_tentative"),
    ]


def test_find_slots_json_and_table(db, capsys):
    code, out, _ = run(capsys, "find-slots", "--db", db, "--attendee", "alice@example.com",
                       "--optional", "bob@example.com", "--duration", "1h", "--step", "1h",
                       "--from", "2025-03-10", "--to", "2025-03-11", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    # alice works 08-16 UTC and is busy 08-09 and 14-15; bob (London) works 09-17 UTC
    assert [(r["start"][11:16], r["optional_free"]) for r in rows] == [
        ("09:00", ["bob@example.com"]), ("10:00", ["bob@example.com"]), ("11:00", ["bob@example.com"]),
        ("12:00", ["bob@example.com"]), ("13:00", ["bob@example.com"]), ("15:00", ["bob@example.com"]),
    ]
    code, out, _ = run(capsys, "find-slots", "--db", db, "--attendee", "alice@example.com", "--attendee",
                       "bob@example.com", "--duration", "30m", "--from", "2025-03-10", "--to", "2025-03-11",
                       "--hours", 'bob@example.com=mon 13:00-14:00', "--order", "start")
    assert out.splitlines() == [
        "start                 end",
        "2025-03-10T13:00:00Z  2025-03-10T13:30:00Z",
        "2025-03-10T13:15:00Z  2025-03-10T13:45:00Z",
        "2025-03-10T13:30:00Z  2025-03-10T14:00:00Z",
        "3 slot(s)",
    ]


def test_cli_errors_exit_2_with_one_line(db, capsys):
    code, _, err = run(capsys, "find-slots", "--db", db, "--attendee", "ghost@example.com", "--duration", "1h",
                       "--from", "2025-03-10", "--to", "2025-03-11")
    assert code == 2 and "unknown_user" in err and "ghost@example.com" in err
    code, _, err = run(capsys, "find-slots", "--db", db, "--attendee", "alice@example.com", "--duration", "25h",
                       "--from", "2025-03-10", "--to", "2025-03-11")
    assert code == 2 and "longer_than_window" in err
    code, _, err = run(capsys, "freebusy", "--db", db, "--user", "alice@example.com", "--from", "2025-01-01",
                       "--to", "2026-03-01")
    assert code == 2 and "window_too_long" in err


def test_parse_length():
    assert parse_length("90") == timedelta(minutes=90)
    assert parse_length("1h30m") == timedelta(minutes=90)
    assert parse_length("PT45M") == timedelta(minutes=45)
    assert parse_length("2d") == timedelta(days=2)


def test_find_slots_table_has_a_header_with_the_optional_column(db, capsys):
    code, out, _ = run(capsys, "find-slots", "--db", db, "--attendee", "alice@example.com", "--optional",
                       "bob@example.com", "--duration", "1h", "--step", "1h", "--from", "2025-03-10",
                       "--to", "2025-03-11", "--order", "start", "--limit", "2")
    assert code == 0
    assert out.splitlines() == [
        "start                 end                   optional free",
        "2025-03-10T09:00:00Z  2025-03-10T10:00:00Z  1/1: bob@example.com",
        "2025-03-10T10:00:00Z  2025-03-10T11:00:00Z  1/1: bob@example.com",
        "2 slot(s)",
    ]


def test_find_slots_limit_is_the_apis_default_and_range(db, capsys):
    from opentalk_sched.scheduling import SLOTS_DEFAULT, SLOTS_MAX

    args = ("find-slots", "--db", db, "--attendee", "bob@example.com", "--duration", "15m", "--no-working-hours",
            "--from", "2025-03-10", "--to", "2025-03-12", "--json")
    code, out, _ = run(capsys, *args)  # 192 quarter hours, less bob's 14:00-15:00
    assert code == 0 and len(out.splitlines()) == SLOTS_DEFAULT == 50
    code, out, _ = run(capsys, *args, "--limit", str(SLOTS_MAX))
    assert code == 0 and len(out.splitlines()) == 192 - 4
    for bad in ("0", str(SLOTS_MAX + 1)):
        code, out, err = run(capsys, *args, "--limit", bad)
        assert (code, out) == (2, "") and "out_of_range" in err and "limit" in err


def test_help_names_any_store_url(capsys):
    for command in ("freebusy", "find-slots"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "(SQLite)" not in text and "the SQLite store" not in text
        assert "an SQLite file or a postgresql:// URL" in text, command
    with pytest.raises(SystemExit):
        main(["find-slots", "--help"])
    assert "1 to 500 (default 50)" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("fmt", ["--json", "--ics", None])
def test_a_reader_that_goes_away_is_not_an_error(db, fmt):
    """``freebusy --json | head``: no "Broken pipe" message, exit status 0, also with
    Python's usual block-buffered stdout (the flush happens inside the command)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    for users in (1, 40):  # a few lines (flushed at the end) and more than a pipe buffer holds
        argv = [sys.executable, "-m", "opentalk_sched", "freebusy", "--db", db, "--from", "2025-03-10",
                "--to", "2025-03-11", *(["--user", "alice@example.com"] * users), *([fmt] if fmt else [])]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        proc.stdout.close()  # the reader is gone before anything is written
        err = proc.stderr.read()
        proc.stderr.close()
        assert (proc.wait(), err) == (0, b""), (users, fmt)


def test_the_documented_two_user_sequence_works_from_a_fresh_store(tmp_path, examples_dir, capsys):
    """docs/scheduling.md (and the README lines proposed for it): an email attendee is no
    user, so find-slots needs bob to exist; importing a calendar as bob makes him one and
    turns alice's email invites to him into his invites."""
    db = str(tmp_path / "cal.db")
    assert main(["import", str(examples_dir / "team.ics"), "--db", db, "--as", "alice@example.com"]) == 0
    slots = ["find-slots", "--db", db, "--attendee", "alice@example.com", "--attendee", "bob@example.com",
             "--duration", "45m", "--from", "2026-03-09", "--to", "2026-03-23"]
    code, _, err = run(capsys, *slots)
    assert code == 2 and "unknown_user" in err and "bob@example.com" in err
    assert main(["import", str(examples_dir / "outlook.ics"), "--db", db, "--as", "bob@example.com"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, *slots)
    rows = out.splitlines()
    assert code == 0 and rows[0] == "start                 end" and rows[-1] == "50 slot(s)"
    # Monday 9 March: both busy 09:00-10:00 UTC (Team weekly, bob's invite now a user invite)
    assert rows[1] == "2026-03-09T10:00:00Z  2026-03-09T10:45:00Z"
