"""``opentalk-sched export --db cal.db --user alice@example.com [-o out.ics]``.

Writes one user's calendar from an event store as one iCalendar file: every event the
user created or is invited to, whatever the answer (a declined one carries
``PARTSTAT=DECLINED`` on the user's ATTENDEE line), the same file
``GET /v1/users/me/calendar.ics`` serves (:mod:`opentalk_sched.service.feeds`,
:func:`opentalk_sched.ical.export.export_calendar`). Without ``-o``, or with ``-o -``,
the file goes to stdout. Time-independent events have no dates and are reported on
stderr as skipped; so are series the engine cannot write (exit status 1 then, the
rest is written). ``--db`` is an SQLite file or a ``postgresql://`` URL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..ical.export import export_calendar
from ..service import Service
from ..store import open_store, parse_store_url


def register(sub) -> None:
    p = sub.add_parser("export", help="write a user's calendar from an event store as an .ics file")
    p.add_argument("--db", required=True, help="the event store: an SQLite file or a postgresql:// URL")
    p.add_argument("--user", required=True, metavar="EMAIL", help="whose calendar (created or invited)")
    p.add_argument("-o", "--output", default="-", metavar="FILE", help="the .ics file to write (default: stdout)")
    p.set_defaults(func=run)


def open_existing(db: str):
    """Open the store at ``db``; ``FileNotFoundError`` when an SQLite file does not exist
    (an export never creates a store)."""
    backend, target = parse_store_url(db)
    if backend == "sqlite" and target != ":memory:" and not Path(target).is_file():
        raise FileNotFoundError(f"no event store at {db}")
    return open_store(db)


def run(args: argparse.Namespace) -> int:
    store = open_existing(args.db)
    try:
        service = Service(store)
        user = service.find_user_by_email(args.user)
        if user is None:
            print(f"opentalk-sched export: no user {args.user} in {args.db}", file=sys.stderr)
            return 2
        feed = service.calendar_feed(user.id)
    finally:
        store.close()
    result = export_calendar(feed.items, now=feed.stamp, name=feed.name)
    if args.output == "-":
        sys.stdout.buffer.write(result.data)
        sys.stdout.buffer.flush()
        target = "stdout"
    else:
        Path(args.output).write_bytes(result.data)
        target = args.output
    by_id = {item.event.id: item.event for item in feed.items}
    for event_id in result.skipped:
        ev = by_id[event_id]
        print(f"skipped {ev.ical_uid} ({ev.title!r}): time-independent, no dates to export", file=sys.stderr)
    for err in result.errors:
        print(f"not exported {err.uid}: {err}", file=sys.stderr)
    print(
        f"exported {len(result.exported)} events of {user.email} to {target}"
        f" ({len(result.skipped)} skipped, {len(result.errors)} failed)", file=sys.stderr,
    )
    return 1 if result.errors else 0
