"""``opentalk-sched instances FILE.ics --from A --to B [--tz Z] [--json]``.

Prints every instance overlapping [A, B) in start order (RFC 4791 §9.9 overlap), from
an .ics file. ``--skip-invalid`` reports broken series on stderr and goes on.
``--db cal.db`` reads the events from an event store instead (same output); ``--db``
also takes a store URL (``sqlite:///cal.db``, ``postgresql://app@db/calendar``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core import Timeline
from ..ical.importer import read_calendar
from .bounds import add_window_arguments
from .output import Progress, write_instances


def register(sub) -> None:
    p = sub.add_parser("instances", help="print the instances of a calendar in a window")
    p.add_argument("file", nargs="?", type=Path, help="an .ics file")
    add_window_arguments(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--skip-invalid", action="store_true", help="skip broken series (reported on stderr)")
    p.add_argument("--include-cancelled", action="store_true", help="also print cancelled instances")
    p.add_argument("--db", help="read the events from this event store instead of FILE"
                                " (an SQLite file or a postgresql:// URL)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "db", None) is not None:
        from .store_window import instances_from_store

        if args.file is not None:
            print("opentalk-sched instances: give an .ics FILE or --db, not both", file=sys.stderr)
            return 2
        found = instances_from_store(args.db, args.start, args.end, args.tz, args.include_cancelled)
        write_instances(found, args.json, args.tz if not args.json else None)
        return 0
    if args.file is None:
        print("opentalk-sched instances: give an .ics FILE", file=sys.stderr)
        return 2
    result = read_calendar(args.file.read_bytes(), skip_invalid=args.skip_invalid, progress=Progress("reading"))
    for err in result.errors:
        print(f"skipped {err.uid}: {err}", file=sys.stderr)
    timeline = Timeline(result.events)
    found = timeline.overlapping(args.start, args.end, args.tz, include_cancelled=args.include_cancelled)
    write_instances(found, args.json, args.tz if not args.json else None)
    return 0
