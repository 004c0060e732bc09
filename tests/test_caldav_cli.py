"""``opentalk-sched caldav-sync`` end to end: a store file, a password file, a real server."""

from __future__ import annotations

import pytest

from opentalk_sched.caldav import SyncState
from opentalk_sched.cli import main

from .caldav_helpers import OtherDevice, World
from .caldav_servers import SERVERS


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request):
    with SERVERS[request.param]() as srv:
        yield srv


def test_cli_push_summary_noop_and_conflict_exit_status(tmp_path, server, capsys):
    world = World.new(tmp_path, server, calendar="From CLI")
    first = world.add("One")
    world.add("Two", rrule="FREQ=DAILY;COUNT=3")
    world.store.close()
    args = ["caldav-sync", "--db", str(tmp_path / "cal.db"), "--user", "alice@example.com", "--url", server.url,
            "--calendar", "From CLI"]
    if server.credentials:
        (tmp_path / "pw").write_text(server.credentials[1] + "\n")
        args += ["--username", server.credentials[0], "--password-file", str(tmp_path / "pw")]

    assert main(args + ["--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "dry run: created 2, updated 0, deleted 0, unchanged 0, adopted 0, conflicts 0, errors 0"]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        "created 2, updated 0, deleted 0, unchanged 0, adopted 0, conflicts 0, errors 0"]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        "created 0, updated 0, deleted 0, unchanged 2, adopted 0, conflicts 0, errors 0"]

    target = SyncState(tmp_path / "cal.db").target("alice@example.com", server.url, "From CLI")
    device = OtherDevice(server, target.collection_url)
    device.edit(f"{first.id}.ics", "One (phone)")
    assert main(args + ["--diff"]) == 1                     # a conflict left open
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("conflicts 1, errors 0")
    assert out[1].startswith(f"conflict remote_changed {first.id} ") and out[1].endswith(": left")
    assert any("SUMMARY:One (phone)" in line for line in out[2:])
    assert main(args + ["--policy", "ours"]) == 0
    capsys.readouterr()
    assert "SUMMARY:One\r\n" in device.get(f"{first.id}.ics").decode()


def test_cli_errors_are_one_line_and_status_2(tmp_path, server, capsys):
    world = World.new(tmp_path, server)
    world.store.close()
    base = ["caldav-sync", "--db", str(tmp_path / "cal.db"), "--url", server.url, "--calendar", "x"]
    assert main(base + ["--user", "nobody@example.com"]) == 2
    assert "unknown_user" in capsys.readouterr().err
    assert main(base + ["--user", "alice@example.com", "--username", "alice",
                        "--password-file", str(tmp_path / "missing")]) == 2
    assert "password_file" in capsys.readouterr().err
    if server.credentials:
        (tmp_path / "pw").write_text("wrong\n")
        assert main(base + ["--user", "alice@example.com", "--username", "alice",
                            "--password-file", str(tmp_path / "pw")]) == 2
        assert "caldav_unauthorized" in capsys.readouterr().err
