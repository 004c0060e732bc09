"""The command line turns every failure into one line on stderr and exit status 2."""

from opentalk_sched.cli import main


def test_unwritable_database_is_a_one_line_error(capsys, examples_dir):
    code = main(["import", str(examples_dir / "team.ics"), "--db", "/nonexistent/dir/x.db", "--as", "a@example.com"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("opentalk-sched import: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_window_beyond_the_calendar_is_a_usage_error(capsys, examples_dir):
    import pytest

    with pytest.raises(SystemExit) as info:
        main(["instances", str(examples_dir / "google.ics"), "--from", "9999-12-25", "--to", "9999-12-31"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "outside the years" in err and "Traceback" not in err


def test_broken_file_names_the_series(capsys, tmp_path):
    bad = tmp_path / "bad.ics"
    bad.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@example.com\r\n"
                   "DTSTART:20240101T090000Z\r\nRRULE:FREQ=FORTNIGHTLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    code = main(["instances", str(bad), "--from", "2024-01-01", "--to", "2024-02-01"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown_freq" in err and "x@example.com" in err and "FORTNIGHTLY" in err
