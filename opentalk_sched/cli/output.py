"""How instances are printed: one JSON object per line, or an aligned table.

JSON fields: ``uid``, ``event_id``, ``instance_id``, ``start``, ``end`` (ISO 8601: a date
for all-day instances, no offset for floating times, with the offset otherwise),
``title``, ``status``.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, tzinfo
from typing import IO, Iterable

from ..core import Instance


def iso(value: date | datetime, tz: tzinfo | None = None) -> str:
    """ISO 8601 text; aware datetimes are shown in ``tz`` when given."""
    if isinstance(value, datetime) and value.tzinfo is not None and tz is not None:
        value = value.astimezone(tz)
    return value.isoformat()


def instance_record(inst: Instance, tz: tzinfo | None = None) -> dict:
    return {
        "uid": inst.uid,
        "event_id": str(inst.event.id),
        "instance_id": inst.instance_id,
        "start": iso(inst.start, tz),
        "end": iso(inst.end, tz),
        "title": inst.title,
        "status": inst.status.value,
    }


def write_instances(instances: Iterable[Instance], as_json: bool, tz: tzinfo | None = None, out: IO[str] | None = None) -> int:
    """Print instances; returns how many were printed."""
    out = out or sys.stdout
    n = 0
    if as_json:
        for inst in instances:
            out.write(json.dumps(instance_record(inst, tz), ensure_ascii=False) + "\n")
            n += 1
        return n
    rows = [instance_record(i, tz) for i in instances]
    headers = ("start", "end", "title", "status", "instance_id")
    widths = [max([len(h)] + [len(str(r[h])) for r in rows]) for h in headers]
    widths[2] = min(widths[2], 40)
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
    for r in rows:
        cells = [str(r[h]) for h in headers]
        cells[2] = cells[2] if len(cells[2]) <= 40 else cells[2][:39] + "…"
        out.write("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() + "\n")
    out.write(f"{len(rows)} instance(s)\n")
    return len(rows)


class Progress:
    """A one-line progress display on stderr for long imports (only on a terminal)."""

    def __init__(self, label: str, stream: IO[str] | None = None, minimum: int = 500) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.minimum = minimum
        self.enabled = self.stream.isatty()
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.minimum:
            return
        pct = done * 100 // max(total, 1)
        if pct != self._last or done == total:
            self._last = pct
            end = "\n" if done == total else ""
            self.stream.write(f"\r{self.label}: {done}/{total} ({pct}%){end}")
            self.stream.flush()
