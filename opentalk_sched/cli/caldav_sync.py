"""``opentalk-sched caldav-sync``: push a user's events from a store to a CalDAV calendar.

    opentalk-sched caldav-sync --db cal.db --user alice@example.com \\
        --url http://127.0.0.1:5232/ --username alice --password-file ~/.caldav-pass \\
        [--calendar Work] [--policy report|ours|theirs] [--dry-run] [--diff]

Prints one summary line (created / updated / deleted / unchanged / adopted / conflicts
/ errors), then one line per conflict (kind, event id, resource, what the policy did;
``--diff`` adds a diff server copy → ours) and per refused resource. A progress line is
shown on stderr when it is a terminal. Exit status: 0 when everything is in sync, 1
when a conflict is left open or a resource was refused, 2 for errors that stop the run
(bad arguments, unknown user, server unreachable after retries, credentials refused).
See docs/caldav.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core import SchedError
from .freebusy import add_store_arguments, open_db
from .output import Progress


def register(sub) -> None:
    p = sub.add_parser("caldav-sync", help="push a user's events to a CalDAV calendar (RFC 4791)")
    add_store_arguments(p)
    p.add_argument("--user", required=True, metavar="EMAIL|ID", help="whose events to push")
    p.add_argument("--url", required=True, help="CalDAV server, principal or calendar collection URL")
    p.add_argument("--username", help="CalDAV user name (Basic/Digest auth)")
    p.add_argument("--password-file", type=Path, help="file holding the CalDAV password (first line)")
    p.add_argument("--calendar", metavar="NAME",
                   help="calendar display name or path segment, created when missing "
                        "(default: --url is the calendar collection itself)")
    p.add_argument("--policy", choices=("report", "ours", "theirs"), default="report",
                   help="what to do when the server copy changed too (default: report)")
    p.add_argument("--dry-run", action="store_true", help="write nothing; say what would be done")
    p.add_argument("--diff", action="store_true", help="show a diff for every conflict")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request (default 30)")
    p.set_defaults(func=run)


def read_password(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchedError(f"cannot read the password file: {exc.strerror}", code="password_file",
                         field="password-file", value=str(path)) from exc
    lines = text.splitlines()
    return lines[0] if lines else ""


def run(args: argparse.Namespace, out=None) -> int:
    from ..caldav import sync_to_caldav

    out = out or sys.stdout
    password = read_password(args.password_file)
    if args.username is None and password is not None:
        raise SchedError("--password-file needs --username", code="missing_username", field="username")
    credentials = (args.username, password or "") if args.username is not None else None
    store = open_db(args)
    try:
        report = sync_to_caldav(
            store, args.user, args.url, credentials, args.calendar, args.policy, args.dry_run,
            Progress("caldav-sync", minimum=100), timeout=args.timeout,
        )
    finally:
        store.close()
    prefix = "dry run: " if report.dry_run else ""
    out.write(f"{prefix}{report.summary()}\n")
    for c in report.conflicts:
        out.write(f"conflict {c.kind} {c.event_id} {c.href}: {c.resolution}\n")
        if args.diff:
            for line in c.diff():
                out.write(f"    {line}\n")
    for e in report.errors:
        out.write(f"refused {e.event_id} {e.href}: {e.message}\n")
    return 0 if report.ok else 1
