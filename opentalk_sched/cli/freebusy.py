"""``opentalk-sched freebusy``: busy time of users in a store, or of an .ics file.

    opentalk-sched freebusy --db cal.db --user alice@example.com [--user ID ...] \\
        --from 2025-03-10 --to 2025-03-17 [--tz Europe/Berlin] [--json | --ics]
    opentalk-sched freebusy calendar.ics --from 2025-03-10 --to 2025-03-17 [--as me@example.com] [--ics]

From a store (``--db``: an SQLite file or a ``postgresql://`` URL, default
``$OPENTALK_SCHED_DB``), a user's busy time is every event
they created or accepted (BUSY), are tentative or still pending for (BUSY-TENTATIVE);
see docs/scheduling.md. From a file, every event of the file is the owner's: BUSY,
unless ``--as EMAIL`` names an ATTENDEE whose PARTSTAT says otherwise. Either way
cancelled instances and TRANSP:TRANSPARENT events are free.

Output: a table in ``--tz`` (default UTC); ``--json``: one object per line
``{"user", "start", "end", "type"}`` (UTC, ``type`` = ``busy`` | ``busy_tentative``);
``--ics``: a VCALENDAR with one VFREEBUSY per user (RFC 5545 §3.6.4). Output is
flushed inside the command, so ``| head`` ends it quietly (:func:`stdout`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Iterator, TextIO

from ..core import SchedError
from ..core.freebusy import BusyPeriod, Commitment, busy_periods, check_window, fbtype_for
from .bounds import add_window_arguments


def register(sub) -> None:
    p = sub.add_parser("freebusy", help="busy time of users (from a store) or of an .ics file")
    p.add_argument("file", nargs="?", type=Path, help="an .ics file (instead of --db)")
    add_store_arguments(p)
    p.add_argument("--user", action="append", default=[], metavar="ID|EMAIL", help="a user of the store (repeatable)")
    p.add_argument("--as", dest="as_email", metavar="EMAIL", help="file mode: read this ATTENDEE's PARTSTAT")
    add_window_arguments(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per busy period")
    fmt.add_argument("--ics", action="store_true", help="a VCALENDAR with VFREEBUSY components")
    p.set_defaults(func=run)


def add_store_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=os.environ.get("OPENTALK_SCHED_DB"), metavar="FILE|URL",
                   help="the event store: an SQLite file or a postgresql:// URL (default: $OPENTALK_SCHED_DB)")


def open_db(args) -> "object":
    """The store named by ``--db`` (any store URL :func:`~opentalk_sched.store.open_store`
    reads); a missing SQLite file is an error (``no_store``), never created."""
    from ..store import open_store, parse_store_url

    if not args.db:
        raise SchedError("give --db FILE|URL (or set OPENTALK_SCHED_DB)", code="no_store", field="db")
    backend, target = parse_store_url(args.db)  # a postgresql:// URL is opened as it is
    if backend == "sqlite" and not Path(target).exists():
        raise SchedError(f"no store at {args.db}", code="no_store", field="db", value=args.db)
    return open_store(args.db)


def resolve_user(store, text: str, field: str = "user"):
    """A user by UUID or email; raises :class:`~opentalk_sched.scheduling.UnknownUser`."""
    from ..scheduling import UnknownUser

    user = None
    try:
        user = store.get_user(uuid.UUID(text))
    except ValueError:
        user = store.find_user_by_email(text.strip().lower())
    if user is None:
        raise UnknownUser(f"no user {text!r}", field=field, value=text)
    return user


def run(args: argparse.Namespace) -> int:
    if args.file is not None and args.user:
        print("opentalk-sched freebusy: give an .ics FILE or --user (with --db), not both", file=sys.stderr)
        return 2
    lo, hi = check_window(args.start, args.end, args.tz)
    start, end = _aware(lo), _aware(hi)
    if args.file is not None:
        people = [(args.as_email, _file_busy(args.file, args.as_email, start, end, args.tz))]
    else:
        if not args.user:
            print("opentalk-sched freebusy: give an .ics FILE, or --db and at least one --user", file=sys.stderr)
            return 2
        from ..scheduling import freebusy

        store = open_db(args)
        try:
            users = [resolve_user(store, u) for u in args.user]
            busy = freebusy(store, [u.id for u in users], start, end)
            people = [(u.email, busy[u.id]) for u in users]
        finally:
            store.close()
    write_freebusy(people, start, end, args)
    return 0


def _aware(key: datetime) -> datetime:
    from ..core import UTC

    return key.replace(tzinfo=UTC)


def _file_busy(path: Path, as_email: str | None, start: datetime, end: datetime, tz: tzinfo | None) -> list[BusyPeriod]:
    from ..ical.importer import read_calendar

    result = read_calendar(path.read_bytes(), skip_invalid=True)
    for err in result.errors:
        print(f"skipped {err.uid}: {err}", file=sys.stderr)
    me = as_email.strip().lower() if as_email else None
    commitments = []
    for item in result.items:
        status = None
        if me is not None:
            for att in item.attendees:
                if att.email == me:
                    status = att.status
                    break
        commitments.append(Commitment(item.event, fbtype_for(status)))
    return busy_periods(commitments, start, end, tz)


def write_freebusy(people: list[tuple[str | None, list[BusyPeriod]]], start: datetime, end: datetime, args) -> None:
    """Write ``people``'s busy periods to stdout as ``args`` asks (table, ``--json``,
    ``--ics``), through :func:`stdout`."""
    with stdout() as out:
        if args.ics:
            from ..ical.freebusy import freebusy_calendar

            out.write(freebusy_calendar(people, start, end).decode())
        elif args.json:
            for who, periods in people:
                for p in periods:
                    out.write(json.dumps({
                        "user": who, "start": _z(p.start), "end": _z(p.end), "type": p.fbtype.wire,
                    }) + "\n")
        else:
            tz = args.tz
            rows = [(who or "-", _show(p.start, tz), _show(p.end, tz), p.fbtype.value)
                    for who, periods in people for p in periods]
            write_table(("user", "start", "end", "type"), rows, out)
            out.write(f"{len(rows)} busy period(s)\n")


def write_table(headers: tuple[str, ...], rows: list[tuple[str, ...]], out) -> None:
    """A header line and one line per row, columns padded to their widest cell."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")


@contextmanager
def stdout() -> Iterator[TextIO]:
    """``sys.stdout``, flushed when the block ends. A reader that went away (``| head``)
    raises ``BrokenPipeError`` inside the command, where :func:`opentalk_sched.cli.main`
    ends quietly, instead of at interpreter exit ("Exception ignored ... Broken pipe",
    status 120); the descriptor is then pointed at /dev/null so the exit-time flush of
    what is still buffered has nowhere to fail."""
    out = sys.stdout
    try:
        yield out
        out.flush()
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file (captured in tests)
            pass
        raise


def _z(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _show(value: datetime, tz: tzinfo | None) -> str:
    return value.astimezone(tz).isoformat(timespec="minutes") if tz is not None else _z(value)
