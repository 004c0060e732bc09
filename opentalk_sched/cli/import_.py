"""``opentalk-sched import FILE.ics --db cal.db --as alice@example.com [--skip-invalid]``.

Stores a calendar file in an event store (``--db``: an SQLite file, created when
missing, or any store URL :func:`~opentalk_sched.store.open_store` reads, such as
``postgresql://app@db/calendar``): every
series becomes an event created by the ``--as`` user (created when unknown), its
ATTENDEEs become invites with their PARTSTAT. Importing the same file again updates the
events with the same UIDs instead of duplicating them. ``--skip-invalid`` reports broken
series on stderr and stores the rest; without it a broken series stops the import and
nothing is stored. Progress is shown on a terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..ical.importer import read_calendar
from ..service import Service
from ..store import open_store, parse_store_url
from .output import Progress


def register(sub) -> None:
    p = sub.add_parser("import", help="store a calendar file in an event store")
    p.add_argument("file", type=Path, help="an .ics file")
    p.add_argument("--db", required=True,
                   help="the event store: an SQLite file (created when missing) or a postgresql:// URL")
    p.add_argument("--as", dest="user", required=True, metavar="EMAIL", help="the importing user (the creator)")
    p.add_argument("--skip-invalid", action="store_true", help="skip broken series (reported on stderr)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data = args.file.read_bytes()
    result = read_calendar(data, skip_invalid=args.skip_invalid, progress=Progress("reading"))
    store = open_store(args.db)
    try:
        service = Service(store)
        user = service.get_or_create_user_by_email(args.user)
        report = service.import_series(
            user.id, result.items, skipped=result.errors, skip_invalid=args.skip_invalid,
            progress=Progress("storing"),
        )
        store.optimize()
    finally:
        store.close()
    for err in report.skipped:
        print(f"skipped {getattr(err, 'uid', None)}: {err}", file=sys.stderr)
    print(
        f"{args.file.name}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped (as {user.email}, into {shown(args.db)})"
    )
    return 0


def shown(url: str) -> str:
    """A store location for messages: a PostgreSQL URL with its password as ``***``."""
    backend, target = parse_store_url(url)
    if backend != "postgres":
        return str(url)
    from ..store.postgres import redact

    return redact(target)
