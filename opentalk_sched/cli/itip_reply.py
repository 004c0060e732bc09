"""``opentalk-sched itip-reply --db cal.db FILE.ics [FILE.ics ...] [--organizer EMAIL]``.

Applies incoming iTIP REPLY messages (RFC 5546 §3.2.3: an attendee accepts, tentatively
accepts or declines), e.g. from a mail gateway that saved the ``text/calendar`` part.
``-`` reads one message from stdin. Each message is applied by
:func:`opentalk_sched.ical.itip.apply_itip_reply`: the event is found by its UID, among
the events of the organizer (``--organizer``, else the message's ORGANIZER when that is
a user of the store, else any event with the UID), SEQUENCE must not be older than the
event's revision, and the answering address must be invited (a registered user or an
email guest). Prints one line per message; a message that does not apply is reported
on stderr with its code (``stale_sequence``, ``unknown_attendee``, ``unknown_event``,
``unknown_instance``, ``instance_reply_unsupported``, ``itip_*`` for unreadable ones)
and the exit status is 2.
"""

from __future__ import annotations

import argparse
import sys

import icalendar

from ..core.errors import SchedError
from ..ical.itip import apply_itip_reply, itip_for
from ..service import Service
from .export import open_existing


def register(sub) -> None:
    p = sub.add_parser("itip-reply", help="apply incoming iTIP REPLY messages to an event store")
    p.add_argument("files", nargs="+", metavar="FILE", help="REPLY messages (.ics); - reads stdin")
    p.add_argument("--db", required=True, help="the event store: an SQLite file or a postgresql:// URL")
    p.add_argument("--organizer", default=None, metavar="EMAIL",
                   help="only events of this user (default: the message's ORGANIZER, when it is a user)")
    p.set_defaults(func=run)


def organizer_email(data: bytes) -> str | None:
    """The ORGANIZER address of a message's first VEVENT (lowercased, no ``mailto:``)."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception:
        return None
    for comp in cal.walk("VEVENT"):
        value = comp.get("ORGANIZER")
        if value is not None:
            text = str(value).strip()
            return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower() or None
    return None


def run(args: argparse.Namespace) -> int:
    store = open_existing(args.db)
    failed = 0
    try:
        service = Service(store, itip=itip_for)
        fixed = None
        if args.organizer is not None:
            user = service.find_user_by_email(args.organizer)
            if user is None:
                print(f"opentalk-sched itip-reply: no user {args.organizer} in {args.db}", file=sys.stderr)
                return 2
            fixed = user.id
        for name in args.files:
            data = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()
            organizer = fixed
            if organizer is None:
                email = organizer_email(data)
                user = service.find_user_by_email(email) if email else None
                organizer = user.id if user is not None else None
            try:
                info = apply_itip_reply(service, data, organizer=organizer)
            except SchedError as err:
                failed += 1
                print(f"{name}: rejected: {err}", file=sys.stderr)
                continue
            print(f"{name}: {info.attendee_email} {info.status.value} {info.uid}")
    finally:
        store.close()
    return 2 if failed else 0
