"""``opentalk-sched check FILE.ics``: validate a calendar and report every problem.

Each broken series is one line ``UID: code: message``; the exit status is 1 when any
series is broken, 0 otherwise (with a one-line summary).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..ical.importer import read_calendar
from .output import Progress


def register(sub) -> None:
    p = sub.add_parser("check", help="validate an .ics file and report every problem")
    p.add_argument("file", type=Path)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = read_calendar(args.file.read_bytes(), skip_invalid=True, progress=Progress("checking"))
    for err in result.errors:
        print(str(err), file=sys.stderr)
    n_ok, n_bad = len(result.items), len(result.errors)
    if n_bad:
        print(f"{args.file}: {n_bad} broken series, {n_ok} ok", file=sys.stderr)
        return 1
    print(f"{args.file}: ok, {n_ok} series")
    return 0
