"""Reading ``--from``/``--to``/``--tz`` values of the command line.

A bound is a date (``2025-01-01``), a floating date-time (``2025-01-01T09:00``) or one
with an offset or ``Z``. Dates and floating bounds are read in ``--tz`` for zoned
events and as wall time for floating events (the engine's
:meth:`~opentalk_sched.core.Series.bound` does that).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, tzinfo

from ..core import SchedError, resolve_zone


def parse_bound(text: str) -> date | datetime:
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = date.fromisoformat(value)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2025-01-01) or date-time (2025-01-01T09:00[+01:00|Z])"
        ) from None
    if not 2 <= parsed.year <= 9998:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the years 0002-9998")
    return parsed


def parse_zone(text: str) -> tzinfo:
    try:
        return resolve_zone(text)
    except SchedError:
        raise argparse.ArgumentTypeError(f"unknown time zone {text!r}") from None


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=parse_bound, required=True, help="window start (inclusive)")
    parser.add_argument("--to", dest="end", type=parse_bound, required=True, help="window end (exclusive)")
    parser.add_argument("--tz", type=parse_zone, default=None, help="zone for dates and floating bounds (default UTC)")
