"""Export of the W3 calendar (10,000 events) from the SQLite store: what
``opentalk-sched export`` and ``GET /v1/users/me/calendar.ics`` do for its owner.

    python -m benchmarks.export_w3 [W3.ics] [--repeat 5] [--db existing.db]

Rows (medians, wall and CPU time of this process):

* **feed**: ``Service.calendar_feed`` on a new store object: every event of the owner
  (list query in pages of 500, events with recurrence and exceptions, invites and people
  in bulk) and the feed's version digest: what a 304 costs when this process wrote that
  version before (:mod:`opentalk_sched.api.feeds` remembers its ETag);
* **write**: :func:`~opentalk_sched.ical.export.export_calendar` of that feed (VTIMEZONEs,
  masters, overrides) to bytes;
* **total**: both, plus the SHA-256 ETag, as one request or one CLI run does (also a
  304 for a version this process has not written yet: the ETag is a hash of the bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/export_w3.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.store_w3 import OWNER, _ics, _timed, build_store  # noqa: E402
from opentalk_sched.ical.export import export_calendar  # noqa: E402
from opentalk_sched.service import Service  # noqa: E402
from opentalk_sched.store import SqliteStore  # noqa: E402


def export_w3(ics_path=None, repeat: int = 5, db_path=None, **_) -> dict:
    """``{row: {"seconds", "cpu_seconds", "note"}}`` for feed / write / total."""
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(db_path) if db_path else Path(tmp) / "w3.db"
        if not db.exists():
            build_store(_ics(ics_path), db)

        def feed():
            s = SqliteStore(db)
            try:
                svc = Service(s)
                return svc.calendar_feed(svc.find_user_by_email(OWNER).id)
            finally:
                s.close()

        wall, cpu, f = _timed(feed, repeat)
        rows["feed"] = {"seconds": wall, "cpu_seconds": cpu, "note": f"{len(f.items)} events collected"}
        wall, cpu, result = _timed(lambda: export_calendar(f.items, now=f.stamp, name=f.name), repeat)
        rows["write"] = {"seconds": wall, "cpu_seconds": cpu,
                         "note": f"{len(result.exported)} exported, {len(result.skipped)} skipped, "
                                 f"{len(result.errors)} errors, {len(result.data) / 1e6:.1f} MB"}

        def total():
            got = feed()
            data = export_calendar(got.items, now=got.stamp, name=got.name).data
            return hashlib.sha256(data).hexdigest()

        wall, cpu, _tag = _timed(total, repeat)
        rows["total"] = {"seconds": wall, "cpu_seconds": cpu, "note": "new store, feed, export, ETag"}
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("ics", nargs="?", help="the W3 calendar (generated when missing)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--db", help="an existing store built from the W3 calendar")
    args = p.parse_args(argv)
    for name, row in export_w3(args.ics, args.repeat, args.db).items():
        print(f"{name:6s} wall {row['seconds']:7.3f} s  CPU {row['cpu_seconds']:7.3f} s  {row['note']}")


if __name__ == "__main__":
    main()
