"""The CalDAV push against real servers on 127.0.0.1: Radicale and Xandikos.

Each scenario runs on both servers (one server process per module and kind, one
calendar per test): first push, no-op push (zero writes, counted by our client and in
the server's own log), update, moved and cancelled instances, deletions, conflicts made
by a second client under each policy, a crash half-way and a clean re-run, retries,
sync-token fallbacks, dry run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
import pytest
from niquests import Response
from niquests.exceptions import ConnectionError as HTTPConnectionError
from niquests.structures import CaseInsensitiveDict

from opentalk_sched.caldav import CalDAVUnavailable, RetryPolicy, StoreSource
from opentalk_sched.caldav.remote import WRITE_METHODS
from opentalk_sched.core import InviteStatus, Series, UTC
from opentalk_sched.ical.importer import read_calendar

from .caldav_helpers import Crash, OtherDevice, World, hook_session, summaries
from .caldav_servers import SERVERS


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request):
    with SERVERS[request.param]() as srv:
        yield srv


@pytest.fixture
def world(tmp_path, server):
    w = World.new(tmp_path, server)
    yield w
    w.store.close()


def writes_seen(server) -> int:
    return sum(n for m, n in server.requests_seen().items() if m in WRITE_METHODS)


def instances(data: bytes) -> list[tuple]:
    """(instance id, UTC start, UTC end, title, status) of a resource, re-imported and expanded."""
    out = []
    for event in read_calendar(data).events:
        for inst in Series(event).overlapping(datetime(2000, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC),
                                              include_cancelled=True):
            out.append((inst.instance_id, inst.start.astimezone(UTC), inst.end.astimezone(UTC), inst.title,
                        inst.status.value))
    return out


# -- first push, no-op ------------------------------------------------------------------------


def test_first_push_then_noop_push_writes_nothing(world, server):
    single = world.add("Kickoff")
    weekly = world.add("Weekly", rrule="FREQ=WEEKLY;COUNT=6")
    world.override(weekly, 2, shift=timedelta(hours=3))
    world.override(weekly, 4, cancel=True)
    all_day = world.add("Offsite", all_day=True)
    declined = world.add("Bob's review", owner=world.bob)
    world.invite(declined, world.alice, InviteStatus.DECLINED)
    world.add("Someday", timed=False)              # time-independent: nothing to push
    world.add("Bob alone", owner=world.bob)        # not alice's: not pushed

    report = world.push()
    assert sorted(report.created) == sorted(str(e.id) for e in (single, weekly, all_day, declined))
    assert report.conflicts == [] and report.errors == []
    assert report.listing == "sync-collection"

    device = OtherDevice(server, world.collection_url)
    remote = device.resources()
    assert sorted(remote) == sorted(f"{e.id}.ics" for e in (single, weekly, all_day, declined))
    # the series is one resource: master + the moved instance, the cancelled one as EXDATE
    # plus a STATUS:CANCELLED override (SPEC §3: the round trip keeps its status)
    weekly_cal = icalendar.Calendar.from_ical(remote[f"{weekly.id}.ics"])
    assert len(weekly_cal.walk("VEVENT")) == 3 and weekly_cal.walk("VEVENT")[0].get("EXDATE") is not None
    assert [str(c.get("STATUS")) for c in weekly_cal.walk("VEVENT")[1:]] == ["None", "CANCELLED"]
    assert [i[4] for i in instances(remote[f"{weekly.id}.ics"])].count("ok") == 5
    # a declined invitation is pushed, with alice's PARTSTAT=DECLINED
    vevent = icalendar.Calendar.from_ical(remote[f"{declined.id}.ics"]).walk("VEVENT")[0]
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    alice = [a for a in attendees if str(a).lower() == "mailto:alice@example.com"]
    assert alice and alice[0].params["PARTSTAT"] == "DECLINED"

    before = writes_seen(server)
    again = world.push()
    assert again.writes == 0 and writes_seen(server) == before
    assert again.unchanged == 4 and not again.created and not again.updated and not again.deleted
    assert dict(again.requests) == {"REPORT": 1}   # collection remembered, one sync-collection


def test_store_source_lists_declined_and_skips_time_independent(world):
    mine = world.add("Mine")
    other = world.add("Declined", owner=world.bob)
    world.invite(other, world.alice, InviteStatus.DECLINED)
    world.add("No dates", timed=False)
    source = StoreSource(world.store, "alice@example.com")
    items = list(source.items())
    assert sorted(i.event_id for i in items) == sorted([str(mine.id), str(other.id)])
    assert source.skipped == 1
    assert all(i.data.startswith(b"BEGIN:VCALENDAR") and i.href_name == f"{i.event_id}.ics" for i in items)


# -- update, move, cancel, delete -----------------------------------------------------------


def test_update_move_cancel_delete(world, server):
    single = world.add("Kickoff")
    daily = world.add("Daily", rrule="FREQ=DAILY;COUNT=10")
    gone_there = world.add("Gone there")
    world.push()
    device = OtherDevice(server, world.collection_url)
    before = instances(device.get(f"{daily.id}.ics"))
    assert len(before) == 10

    world.change(single, title="Kickoff (room 2)")
    report = world.push()
    assert report.updated == [str(single.id)] and report.unchanged == 2
    assert summaries(device.get(f"{single.id}.ics")) == ["Kickoff (room 2)"]

    world.override(daily, 3, shift=timedelta(hours=2))
    report = world.push()
    assert report.updated == [str(daily.id)]
    moved = instances(device.get(f"{daily.id}.ics"))
    assert [m[0] for m in moved] == [b[0] for b in before]           # same instance ids
    assert moved[3][1] == before[3][1] + timedelta(hours=2)           # the 4th moved by 2 h
    assert [m[1] for i, m in enumerate(moved) if i != 3] == [b[1] for i, b in enumerate(before) if i != 3]

    world.override(daily, 5, cancel=True)
    report = world.push()
    assert report.updated == [str(daily.id)]
    after = instances(device.get(f"{daily.id}.ics"))             # EXDATE: the 6th is gone
    assert [a[0] for a in after if a[4] == "ok"] == [m[0] for i, m in enumerate(moved) if i != 5]
    assert [a[0] for a in after if a[4] == "cancelled"] == [moved[5][0]]  # read back as cancelled

    world.store.delete_event(single.id)
    world.store.delete_event(gone_there.id)
    assert device.delete(f"{gone_there.id}.ics") in (200, 204)   # already deleted on the server: 404 = done
    report = world.push()
    assert sorted(report.deleted) == sorted([str(single.id), str(gone_there.id)])
    assert report.conflicts == [] and report.errors == []
    assert device.get(f"{single.id}.ics") is None
    assert sorted(device.resources()) == [f"{daily.id}.ics"]

    before_writes = writes_seen(server)
    assert world.push().writes == 0 and writes_seen(server) == before_writes


# -- conflicts ----------------------------------------------------------------------------


def test_conflict_both_changed_report_then_ours_then_theirs(world, server):
    ev = world.add("Planning")
    world.push()
    device = OtherDevice(server, world.collection_url)
    name = f"{ev.id}.ics"

    device.edit(name, "Planning (phone)")
    ev = world.change(ev, title="Planning (here)")
    report = world.push()                                   # policy report: leave both
    assert report.writes == 0
    [c] = report.conflicts
    assert (c.kind, c.resolution, c.event_id) == ("both_changed", "left", str(ev.id))
    assert summaries(c.ours) == ["Planning (here)"] and summaries(c.theirs) == ["Planning (phone)"]
    assert any("Planning (here)" in line for line in c.diff())
    assert summaries(device.get(name)) == ["Planning (phone)"]
    again = world.push()                                    # still open, still reported, still no write
    assert [x.kind for x in again.conflicts] == ["both_changed"] and again.writes == 0

    report = world.push("ours")
    [c] = report.conflicts
    assert c.resolution == "ours" and report.requests["PUT"] == 1
    assert summaries(device.get(name)) == ["Planning (here)"]
    quiet = world.push()
    assert quiet.conflicts == [] and quiet.writes == 0 and quiet.unchanged == 1

    device.edit(name, "Planning (moved by phone)")           # only the server copy changes
    report = world.push("theirs")
    [c] = report.conflicts
    assert (c.kind, c.resolution) == ("remote_changed", "theirs") and report.writes == 0
    assert summaries(device.get(name)) == ["Planning (moved by phone)"]
    quiet = world.push()
    assert quiet.conflicts == [] and quiet.writes == 0 and quiet.unchanged == 1


def test_conflict_found_by_412_is_never_overwritten(world, server):
    ev = world.add("Retro")
    world.push()
    device = OtherDevice(server, world.collection_url)
    name = f"{ev.id}.ics"
    world.change(ev, title="Retro (here)")
    remote = world.remote()
    raced = []

    def rival_edits_first(send, method, url):    # the phone saves just before our PUT lands
        if method == "PUT" and url.endswith(name) and not raced:
            raced.append(1)
            device.edit(name, "Retro (phone)")
        return send()

    hook_session(remote, rival_edits_first)
    report = world.push(remote=remote)
    [c] = report.conflicts
    assert (c.kind, c.resolution) == ("both_changed", "left")
    assert report.requests["PUT"] == 1                       # the one that got 412
    assert summaries(device.get(name)) == ["Retro (phone)"]
    assert summaries(c.theirs) == ["Retro (phone)"] and summaries(c.ours) == ["Retro (here)"]


def test_deleted_here_changed_there_and_deleted_there(world, server):
    a = world.add("A")
    b = world.add("B")
    world.push()
    device = OtherDevice(server, world.collection_url)

    device.edit(f"{a.id}.ics", "A (phone)")
    world.store.delete_event(a.id)
    report = world.push()
    [c] = report.conflicts
    assert (c.kind, c.resolution, c.ours) == ("deleted_here_changed_there", "left", None)
    assert device.get(f"{a.id}.ics") is not None and report.writes == 0
    report = world.push("ours")
    assert report.deleted == [str(a.id)] and device.get(f"{a.id}.ics") is None

    assert device.delete(f"{b.id}.ics") in (200, 204)
    report = world.push()
    [c] = report.conflicts
    assert (c.kind, c.theirs) == ("remote_deleted", None) and report.writes == 0
    report = world.push("ours")
    assert report.conflicts[0].resolution == "ours"
    assert summaries(device.get(f"{b.id}.ics")) == ["B"]
    assert world.push().writes == 0


def test_remote_deletion_accepted_with_theirs_until_changed_here(world, server):
    ev = world.add("C")
    world.push()
    device = OtherDevice(server, world.collection_url)
    device.delete(f"{ev.id}.ics")
    report = world.push("theirs")
    assert report.conflicts[0].resolution == "theirs" and device.get(f"{ev.id}.ics") is None
    quiet = world.push()
    assert quiet.writes == 0 and quiet.conflicts == [] and quiet.unchanged == 1
    world.change(ev, title="C again")
    report = world.push()
    assert report.created == [str(ev.id)] and summaries(device.get(f"{ev.id}.ics")) == ["C again"]


def test_uid_already_on_the_server_is_adopted_when_equal(world, server):
    same = world.add("Same")
    other = world.add("Different")
    remote = world.remote()
    url = remote.open()                                   # creates the calendar
    device = OtherDevice(server, url)
    items = {i.event_id: i.data for i in StoreSource(world.store, world.alice).items()}
    assert device.put("legacy-same.ics", items[str(same.id)]) == 201
    changed = items[str(other.id)].replace(b"SUMMARY:Different", b"SUMMARY:Different elsewhere")
    assert device.put("legacy-other.ics", changed) == 201

    report = world.push()
    assert report.adopted == [str(same.id)] and report.created == []
    [c] = report.conflicts
    assert (c.kind, c.event_id, c.href.rsplit("/", 1)[-1]) == ("uid_taken", str(other.id), "legacy-other.ics")
    assert sorted(device.resources()) == ["legacy-other.ics", "legacy-same.ics"]   # nothing duplicated

    world.change(same, title="Same, renamed")
    report = world.push()
    assert report.updated == [str(same.id)]
    assert summaries(device.get("legacy-same.ics")) == ["Same, renamed"]
    report = world.push("ours")
    assert report.conflicts[0].resolution == "ours"
    assert summaries(device.get("legacy-other.ics")) == ["Different"]
    assert world.push().writes == 0


# -- robustness ---------------------------------------------------------------------------


def test_crash_half_way_then_clean_rerun(world, server):
    events = [world.add(f"E{n}", start=datetime(2025, 3, 10, 9) + timedelta(days=n)) for n in range(20)]
    remote = world.remote()
    puts = []

    def crash_after_tenth_put(send, method, url):
        response = send()
        if method == "PUT":
            puts.append(url)
            if len(puts) == 10:
                raise Crash()                     # the server has it; our state does not
        return response

    hook_session(remote, crash_after_tenth_put)
    with pytest.raises(Crash):
        world.push(remote=remote)
    report = world.push()
    assert len(report.created) == 10 and len(report.adopted) == 1 and not report.conflicts
    device = OtherDevice(server, world.collection_url)
    resources = device.resources()
    assert sorted(resources) == sorted(f"{e.id}.ics" for e in events)
    uids = [str(icalendar.Calendar.from_ical(d).walk("VEVENT")[0]["UID"]) for d in resources.values()]
    assert len(set(uids)) == 20

    for e in events:                              # now crash half-way through updates
        world.change(e, title=e.title + "*")
    remote, puts[:] = world.remote(), []
    hook_session(remote, lambda send, m, u: crash_after_tenth_put(send, m, u))
    with pytest.raises(Crash):
        world.push(remote=remote)
    report = world.push()
    assert len(report.updated) == 10 and len(report.adopted) == 1 and not report.conflicts
    assert all(summaries(d)[0].endswith("*") for d in device.resources().values())
    assert world.push().writes == 0


def _fake(status: int, retry_after: str | None = None) -> Response:
    r = Response()
    r.status_code = status
    r.headers = CaseInsensitiveDict({"Content-Length": "0", **({"Retry-After": retry_after} if retry_after else {})})
    r._content = b""
    r.reason = "fake"
    return r


def test_retries_with_backoff_on_connection_errors_5xx_and_429(world, server):
    for n in range(3):
        world.add(f"R{n}", start=datetime(2025, 3, 10, 9) + timedelta(days=n))
    slept = []
    remote = world.remote(retry=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, sleep=slept.append))
    failures = {"PUT": [HTTPConnectionError("reset by peer"), _fake(503), _fake(500)], "REPORT": [_fake(429, "0")]}

    def flaky(send, method, url):
        queue = failures.get(method)
        if queue:
            failure = queue.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        return send()

    hook_session(remote, flaky)
    report = world.push(remote=remote)
    assert len(report.created) == 3 and report.errors == []
    # one wait per injected failure: Retry-After: 0 for the 429, then 0.01 doubling for the PUT
    assert slept == [0.0, 0.01, 0.02, 0.04]
    assert world.push().writes == 0


def test_retries_are_bounded(world, server):
    world.add("Never")
    remote = world.remote(retry=RetryPolicy(attempts=3, base_delay=0, sleep=lambda s: None))
    tries = []

    def always_down(send, method, url):
        tries.append(method)
        return _fake(502)

    hook_session(remote, always_down)
    with pytest.raises(CalDAVUnavailable) as info:
        world.push(remote=remote)
    assert info.value.code == "caldav_unavailable" and len(tries) == 3


def test_expired_sync_token_and_servers_without_sync_collection(world, server):
    ev = world.add("Token")
    world.push()
    target = world.state.target("alice@example.com", server.url, world.calendar)
    world.state.save_target(target.replace(sync_token=target.sync_token + "-expired"))
    report = world.push()
    assert report.writes == 0 and report.unchanged == 1 and report.listing == "sync-collection"

    remote = world.remote()
    remote.sync_supported = False                   # as if the server had no RFC 6578
    report = world.push(remote=remote)
    assert report.listing == "propfind" and report.writes == 0 and report.unchanged == 1
    OtherDevice(server, world.collection_url).edit(f"{ev.id}.ics", "Token (phone)")
    remote = world.remote()
    remote.sync_supported = False
    report = world.push(remote=remote)
    assert [c.kind for c in report.conflicts] == ["remote_changed"]


def test_dry_run_writes_nothing_anywhere(world, server):
    world.add("Dry")
    before = writes_seen(server)
    report = world.push(dry_run=True)
    assert report.dry_run and len(report.created) == 1 and report.writes == 0
    assert writes_seen(server) == before
    assert world.state.items(world.state.target("alice@example.com", server.url, world.calendar).id) == {}
    assert len(world.push().created) == 1


def test_an_event_that_cannot_be_exported_is_reported_and_its_copy_kept(world, server):
    from opentalk_sched.core import SchedError
    from opentalk_sched.ical.export import export_event

    keep = world.add("Keep")
    world.push()
    broken = {str(keep.id)}

    def exporter(event, attendees, organizer):
        if str(event.id) in broken:
            raise SchedError("cannot compute this series", code="broken_series", uid=event.ical_uid)
        return export_event(event, attendees, organizer)

    world.change(keep, title="Keep (changed)")
    source = StoreSource(world.store, world.alice, exporter)
    report = world.push(source=source)
    assert [(e.event_id, e.status) for e in report.errors] == [(str(keep.id), 0)]
    assert "broken_series" in report.errors[0].message
    assert report.deleted == [] and report.writes == 0
    assert summaries(OtherDevice(server, world.collection_url).get(f"{keep.id}.ics")) == ["Keep"]
