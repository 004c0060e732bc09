"""Four processes change the same events at once through the service on PostgreSQL:
nothing is lost and every revision counts every change.

Set-up (this process): a creator, three recurring events, and per worker one user
already invited (who will accept) and two users not yet invited. Then four worker
processes (``spawn``: each opens its own pool and cache, as separate API servers would)
start together and, in a shuffled order, each:

* invites its two users to every event (+1 revision each, SPEC §1),
* accepts its pre-invited user's invite to every event (no revision change),
* renames two instances of its own on every event (+1 each),
* renames the *same* first instance of every event, as every other worker does (+1).

Afterwards every invite, answer and renamed instance is there, the shared instance has
one of the workers' titles, and each event's revision is its revision after set-up plus
exactly the number of revision-raising changes (4 x (2 + 2 + 1) = 20). A lost update
(two writers reading the same revision and overrides) would show as a missing override
or invite, or a revision short of that.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import traceback
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("psycopg")

from opentalk_sched.core import InviteStatus  # noqa: E402
from opentalk_sched.service import CreateEvent, DateTimeTZ, PatchInstance, Service  # noqa: E402

from .store_backends import create_database  # noqa: E402

WORKERS = 4
EVENTS = 3
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
FIRST = datetime(2025, 3, 10, 9, tzinfo=BERLIN)  # Mondays 09:00 Berlin


def instance_id(week: int) -> str:
    return (FIRST + timedelta(weeks=week)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def own_weeks(worker: int) -> tuple[int, int]:
    return 1 + 2 * worker, 2 + 2 * worker


def worker(dsn: str, n: int, plan: dict, barrier, results) -> None:
    """One process: its own store and service, the shuffled operations of the module
    docstring; puts ("ok", n) or ("error", n, traceback) on ``results``."""
    try:
        from opentalk_sched.store.postgres import PostgresStore

        store = PostgresStore(dsn, min_size=1, max_size=2, migrate=False)
        service = Service(store)
        creator = plan["creator"]
        ops = []
        for ev in plan["events"]:
            for user in plan["new"][n]:
                ops.append(lambda ev=ev, user=user: service.invite_user(creator, ev, user))
            ops.append(lambda ev=ev: service.accept_invite(plan["invited"][n], ev))
            for week in own_weeks(n):
                ops.append(lambda ev=ev, week=week: service.patch_instance(
                    creator, ev, instance_id(week), PatchInstance(title=f"w{n}-{week}")))
            ops.append(lambda ev=ev: service.patch_instance(
                creator, ev, instance_id(0), PatchInstance(title=f"shared by w{n}")))
        random.Random(n).shuffle(ops)
        barrier.wait(timeout=60)
        for op in ops:
            op()
        store.close()
        results.put(("ok", n))
    except BaseException:
        results.put(("error", n, traceback.format_exc()))


def test_four_processes_inviting_accepting_and_patching_lose_nothing(postgres_dsn):
    from opentalk_sched.store.postgres import PostgresStore

    dsn = create_database(postgres_dsn, "opentalk_sched_concurrency")
    store = PostgresStore(dsn)
    service = Service(store)
    creator = service.create_user("creator@example.org")
    invited = [service.create_user(f"invited{n}@example.org") for n in range(WORKERS)]
    new = [[service.create_user(f"new{n}-{k}@example.org") for k in range(2)] for n in range(WORKERS)]
    events = []
    for e in range(EVENTS):
        ev = service.create_event(creator.id, CreateEvent(
            f"Series {e}", is_all_day=False, starts_at=DateTimeTZ(FIRST.astimezone(UTC), "Europe/Berlin"),
            ends_at=DateTimeTZ((FIRST + timedelta(hours=1)).astimezone(UTC), "Europe/Berlin"),
            recurrence_pattern=("RRULE:FREQ=WEEKLY;BYDAY=MO",)))
        for user in invited:
            service.invite_user(creator.id, ev.id, user.id)
        events.append(ev.id)
    start_revision = {ev: store.get_event(ev).revision for ev in events}
    plan = {"creator": creator.id, "events": events, "invited": [u.id for u in invited],
            "new": [[u.id for u in pair] for pair in new]}

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(dsn, n, plan, barrier, results)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    outcomes = []
    try:
        for _ in procs:
            outcomes.append(results.get(timeout=180))
    except queue.Empty:  # pragma: no cover - a worker hung or died
        pass
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():  # pragma: no cover
            p.kill()
    errors = [o[2] for o in outcomes if o[0] == "error"]
    assert errors == [] and sorted(o[1] for o in outcomes) == list(range(WORKERS)), errors or outcomes

    bumps = WORKERS * (2 + 2 + 1)  # invites + own instances + the shared instance
    for ev_id in events:
        ev = store.get_event(ev_id)
        assert ev.revision == start_revision[ev_id] + bumps, (ev.title, ev.revision, start_revision[ev_id])
        titles = {ov.recurrence_id: ov.title for ov in ev.overrides.values()}
        want = {(FIRST + timedelta(weeks=w)).replace(tzinfo=None): f"w{n}-{w}"
                for n in range(WORKERS) for w in own_weeks(n)}
        shared = titles.pop(FIRST.replace(tzinfo=None))
        assert titles == want
        assert shared in {f"shared by w{n}" for n in range(WORKERS)}
        statuses = {inv.invitee: inv.status for inv in store.user_invites(ev_id)}
        assert {u.id: statuses.get(u.id) for u in invited} == {u.id: InviteStatus.ACCEPTED for u in invited}
        assert {u.id: statuses.get(u.id) for pair in new for u in pair} == {
            u.id: InviteStatus.PENDING for pair in new for u in pair}
        assert len(statuses) == WORKERS * 3
    store.close()
