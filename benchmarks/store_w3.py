"""W3 from the store: the one-month instances query over a 10,000-event calendar kept in
the SQLite store (and W4: importing that calendar into the store).

Run on its own (generates the W3 calendar with :mod:`benchmarks.calendar_gen` when no
file is given)::

    python -m benchmarks.store_w3 [W3.ics] [--repeat 7]

or through ``python -m benchmarks.run``, which calls :func:`w3_store` and
:func:`w4_import` (the hooks ``benchmarks.workloads`` looks for).

What is timed (medians, :func:`benchmarks.timing.measure`):

* **store, cold**: a new :class:`~opentalk_sched.store.SqliteStore` on the file (empty
  compiled-series cache; the file itself is in the OS cache), then every instance of
  the window: the span-index query, loading and compiling the candidate series, and
  their expansion;
* **store, warm**: the same query again on that store (series and month lists cached);
* **calendar view, cold / warm**: ``Service.list_instances`` for the calendar's owner,
  first page of 100 instance resources (the HTTP layer's work without HTTP);
* **import**: ``opentalk-sched import`` of the file into a new store (parse + write).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/store_w3.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import measure  # noqa: E402
from opentalk_sched.ical.importer import read_calendar  # noqa: E402
from opentalk_sched.service import CalendarQuery, Service  # noqa: E402
from opentalk_sched.store import SqliteStore  # noqa: E402

UTC = timezone.utc
OWNER = "owner@example.com"
DEFAULT_WINDOW = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))


def build_store(ics_path: Path, db_path: Path) -> tuple[int, int]:
    """Import the calendar into a new store at ``db_path``; (events stored, skipped)."""
    result = read_calendar(Path(ics_path).read_bytes(), skip_invalid=True)
    store = SqliteStore(db_path)
    try:
        service = Service(store)
        owner = service.get_or_create_user_by_email(OWNER)
        report = service.import_series(owner.id, result.items, skipped=result.errors, skip_invalid=True)
        store.optimize()
        return len(report.created) + len(report.updated) + len(report.unchanged), len(report.skipped)
    finally:
        store.close()


def window_instances(store: SqliteStore, lo: datetime, hi: datetime) -> int:
    """Every instance in [lo, hi) from the store (what ``instances --db`` prints)."""
    n = 0
    for hit in store.window(lo, hi):
        n += len(hit.compiled.overlapping(lo, hi))
    return n


def _calendar_page(service: Service, owner, lo, hi) -> int:
    return len(service.list_instances(owner, CalendarQuery(lo, hi, per_page=100)).items)


def w3_store(ics_path=None, start=None, end=None, repeat: int = 7, quick: bool = False, db_path=None, **_) -> dict:
    """The W3 rows: ``{variant: {"seconds", "instances", "note"}}`` (seconds per query)."""
    lo, hi = start or DEFAULT_WINDOW[0], end or DEFAULT_WINDOW[1]
    repeat = max(1, repeat if not quick else min(repeat, 3))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(db_path) if db_path else Path(tmp) / "w3.db"
        if not db.exists():
            build_store(_ics(ics_path), db)

        def cold():
            store = SqliteStore(db)
            try:
                return window_instances(store, lo, hi)
            finally:
                store.close()

        c = measure(cold, repeat=repeat, min_sample=0, warmup=1)
        store = SqliteStore(db)
        w = measure(lambda: window_instances(store, lo, hi), repeat=repeat, min_sample=0.05)

        def view_cold():
            s = SqliteStore(db)
            try:
                svc = Service(s)
                return _calendar_page(svc, svc.find_user_by_email(OWNER).id, lo, hi)
            finally:
                s.close()

        vc = measure(view_cold, repeat=repeat, min_sample=0, warmup=0)
        service = Service(store)
        owner = service.find_user_by_email(OWNER).id
        vw = measure(lambda: _calendar_page(service, owner, lo, hi), repeat=repeat, min_sample=0.05)
        store.close()
    note = f"{lo:%Y-%m-%d}..{hi:%Y-%m-%d}"
    return {
        "cold": {"seconds": c.median, "instances": c.result, "note": f"new store object, all instances, {note}"},
        "warm": {"seconds": w.median, "instances": w.result, "note": f"same store again, all instances, {note}"},
        "calendar view cold": {"seconds": vc.median, "instances": vc.result,
                               "note": "Service.list_instances, first page of 100, new store"},
        "calendar view warm": {"seconds": vw.median, "instances": vw.result,
                               "note": "Service.list_instances, first page of 100"},
    }


def w4_import(ics_path=None, repeat: int = 3, quick: bool = False, **_) -> dict:
    """W4: importing the calendar into a new SQLite store (parse + store), seconds."""
    path = _ics(ics_path)
    runs = 1 if quick else max(1, min(repeat, 3))

    def once():
        with tempfile.TemporaryDirectory() as tmp:
            return build_store(path, Path(tmp) / "w4.db")[0]

    m = measure(once, repeat=runs, min_sample=0, warmup=0)
    return {"seconds": m.median, "events": m.result, "note": "read_calendar + Service.import_series, one transaction"}


def _ics(ics_path) -> Path:
    if ics_path is not None:
        return Path(ics_path)
    from benchmarks import calendar_gen

    out = Path(tempfile.gettempdir()) / "opentalk-sched-w3.ics"
    if not out.exists():
        out.write_bytes(calendar_gen.to_ics(calendar_gen.generate()))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("ics", nargs="?", type=Path, help="the W3 calendar (generated when omitted)")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--no-import", action="store_true", help="skip W4")
    args = p.parse_args(argv)
    path = _ics(args.ics)
    rows = w3_store(path, repeat=args.repeat)
    if not args.no_import:
        rows["import (W4)"] = w4_import(path)
    for variant, r in rows.items():
        count = r.get("instances", r.get("events"))
        print(f"{variant:<22} {r['seconds'] * 1000:9.1f} ms  {count:>6}  {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
