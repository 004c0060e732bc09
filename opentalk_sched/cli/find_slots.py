"""``opentalk-sched find-slots``: times when every required attendee is free.

    opentalk-sched find-slots --db cal.db --attendee alice@example.com --attendee bob@example.com \\
        [--optional carol@example.com] --duration 45m --from 2025-03-10 --to 2025-03-24 \\
        [--step 15m] [--limit 50] [--order rank|start] [--tz Europe/Berlin] [--json]
        [--hours alice@example.com="mon-fri 08:00-12:00"] [--no-working-hours]
        [--tentative-free]

``--db`` is the event store: an SQLite file or a ``postgresql://`` URL (default
``$OPENTALK_SCHED_DB``). Attendees are users of the store (UUID or email). A slot is inside each required
attendee's working hours (their saved setting, default Mon-Fri 09:00-17:00 in their
zone) and outside their busy time (BUSY and BUSY-TENTATIVE, unless
``--tentative-free``). Candidate starts are ``--from + k * --step``. With optional
attendees, slots where more of them are free come first (``--order start`` for time
order). Durations: ``30m``, ``1h``, ``1h30m``, ``90`` (minutes) or ISO ``PT1H30M``.
``--limit`` is 1 to 500, default 50, as the API's ``limit``
(:data:`opentalk_sched.scheduling.SLOTS_DEFAULT` / ``SLOTS_MAX``); every rule is
:func:`opentalk_sched.scheduling.find_slots`'s.

Output: a table in ``--tz`` (default UTC) with a header line (``start``, ``end`` and,
with optional attendees, ``optional free``) and a count, or one JSON object per line
with ``start``, ``end`` (UTC) and ``optional_free`` (emails).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta

from ..core import parse_duration
from ..core.freebusy import WorkingHours, check_window
from ..scheduling import SLOTS_DEFAULT, SLOTS_MAX
from .bounds import add_window_arguments
from .freebusy import _show, _z, add_store_arguments, open_db, resolve_user, stdout, write_table

_SHORT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


def parse_length(text: str) -> timedelta:
    """``30m`` / ``1h`` / ``1h30m`` / ``2d`` / ``90`` (minutes) / ``PT1H30M`` → ``timedelta``."""
    value = text.strip().lower()
    if value.isdigit():
        return timedelta(minutes=int(value))
    m = _SHORT.match(value)
    if m and value:
        return timedelta(days=int(m.group(1) or 0), hours=int(m.group(2) or 0), minutes=int(m.group(3) or 0))
    try:
        return parse_duration(value.upper())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a length (30m, 1h30m, 90, PT1H)") from None


def _hours_arg(text: str) -> tuple[str, str]:
    who, sep, spec = text.partition("=")
    if not sep or not who.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected USER=\"mon-fri 09:00-17:00\"")
    return who.strip(), spec.strip()


def register(sub) -> None:
    p = sub.add_parser("find-slots", help="find times when every required attendee is free")
    add_store_arguments(p)
    p.add_argument("--attendee", action="append", default=[], metavar="ID|EMAIL", help="required (repeatable)")
    p.add_argument("--optional", action="append", default=[], metavar="ID|EMAIL", help="optional (repeatable)")
    p.add_argument("--duration", type=parse_length, required=True, help="meeting length (30m, 1h, PT45M)")
    p.add_argument("--step", type=parse_length, default=timedelta(minutes=15), help="grid of starts (default 15m)")
    add_window_arguments(p)
    p.add_argument("--limit", type=int, default=SLOTS_DEFAULT,
                   help=f"at most this many slots, 1 to {SLOTS_MAX} (default {SLOTS_DEFAULT})")
    p.add_argument("--order", choices=("rank", "start"), default="rank", help="rank: most optional free first")
    p.add_argument("--hours", action="append", type=_hours_arg, default=[], metavar='USER="SPEC"',
                   help='working hours for one user for this search, e.g. bob@x.org="mon-thu 08:00-14:00"')
    p.add_argument("--no-working-hours", action="store_true", help="ignore everybody's working hours")
    p.add_argument("--tentative-free", action="store_true", help="BUSY-TENTATIVE time does not block a slot")
    p.add_argument("--json", action="store_true", help="one JSON object per slot")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..scheduling import find_slots, get_working_hours

    if not args.attendee:
        print("opentalk-sched find-slots: give at least one --attendee", file=sys.stderr)
        return 2
    check_window(args.start, args.end, args.tz)  # before opening anything
    store = open_db(args)
    try:
        required = [resolve_user(store, a, "attendees") for a in args.attendee]
        optional = [resolve_user(store, a, "optional_attendees") for a in args.optional]
        everyone = {u.id: u for u in required + optional}
        overrides: dict = {}
        if args.no_working_hours:
            overrides = {uid: None for uid in everyone}
        for who, spec in args.hours:
            u = resolve_user(store, who, "hours")
            tz = get_working_hours(store, u.id, u).tz
            overrides[u.id] = WorkingHours.parse(spec, tz)
        slots = find_slots(
            store, [u.id for u in required], args.duration, args.start, args.end,
            optional=[u.id for u in optional], working_hours=overrides, step=args.step, tz=args.tz,
            tentative_is_busy=not args.tentative_free, order=args.order, limit=args.limit,
        )
    finally:
        store.close()
    email = {uid: u.email for uid, u in everyone.items()}
    with stdout() as out:
        if args.json:
            for s in slots:
                out.write(json.dumps({"start": _z(s.start), "end": _z(s.end),
                                      "optional_free": [email[o] for o in s.optional_free]}) + "\n")
            return 0
        headers: tuple[str, ...] = ("start", "end")
        rows = []
        for s in slots:
            row = (_show(s.start, args.tz), _show(s.end, args.tz))
            if optional:
                free = f"{len(s.optional_free)}/{len(optional)}"
                if s.optional_free:
                    free += ": " + ", ".join(email[o] for o in s.optional_free)
                row += (free,)
            rows.append(row)
        if optional:
            headers += ("optional free",)
        write_table(headers, rows, out)
        out.write(f"{len(slots)} slot(s)\n")
    return 0


__all__ = ["register", "run", "parse_length"]
