"""W3 from the store: the one-month instances query over a 10,000-event calendar kept in
the SQLite store (and W4: importing that calendar into the store).

Run on its own (generates the W3 calendar with :mod:`benchmarks.calendar_gen` when no
file is given)::

    python -m benchmarks.store_w3 [W3.ics] [--repeat 7]

or through ``python -m benchmarks.run``, which calls :func:`w3_store` and
:func:`w4_import` (the hooks ``benchmarks.workloads`` looks for).

What is timed (medians of several runs):

* **cold**: a new :class:`~opentalk_sched.store.SqliteStore` on the file (empty
  in-memory caches; the file itself is in the OS cache), then every instance of the
  window: the span-index query, loading and compiling the candidate series, and their
  expansion (what ``instances --db`` does);
* **warm**: the same query again on that store (series and month lists cached);
* **calendar view first query / cold / warm**: ``Service.list_instances`` for the
  calendar's owner, first page of 100 instance resources (the HTTP layer's work without
  HTTP): on a new store with the persisted month index emptied (the first query of that
  month ever), on a new store with the index present (a restarted process), and again on
  the same store;
* **import**: reading the file and ``Service.import_series`` into a new store.

Each row reports the median wall time and the median CPU time of the process (the
machine may be shared; wall time then includes other processes' turns).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/store_w3.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def _timed(fn, repeat: int, warmup: int = 1, before=None):
    """(median wall seconds, median CPU seconds, last result) over ``repeat`` calls;
    ``before`` runs untimed before each call. CPU time is reported because the machine
    may be shared: wall time then also counts other processes' turns."""
    for _ in range(warmup):
        if before:
            before()
        fn()
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        if before:
            before()
        gc.collect()
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return statistics.median(walls), statistics.median(cpus), result


def w3_store(ics_path=None, start=None, end=None, repeat: int = 7, quick: bool = False, db_path=None, **_) -> dict:
    """The W3 rows: ``{variant: {"seconds", "instances", "note"}}`` (seconds per query)."""
    lo, hi = start or DEFAULT_WINDOW[0], end or DEFAULT_WINDOW[1]
    repeat = max(1, repeat if not quick else min(repeat, 3))
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(db_path) if db_path else Path(tmp) / "w3.db"
        if not db.exists():
            build_store(_ics(ics_path), db)
        window = f"{lo:%Y-%m-%d}..{hi:%Y-%m-%d}"

        def row(name, timed, note):
            wall, cpu, n = timed
            rows[name] = {"seconds": wall, "instances": n, "cpu_seconds": cpu,
                          "note": f"{note}; CPU {cpu * 1000:.1f} ms; {window}"}

        def drop_index():
            s = SqliteStore(db)
            s.db.execute("DELETE FROM month_index")
            s.close()

        def fresh(fn):
            def run():
                s = SqliteStore(db)
                try:
                    return fn(s)
                finally:
                    s.close()
            return run

        def all_instances(s):
            return window_instances(s, lo, hi)

        def first_page(s):
            svc = Service(s)
            return _calendar_page(svc, svc.find_user_by_email(OWNER).id, lo, hi)

        row("cold", _timed(fresh(all_instances), repeat),
            "every instance of the month, new store object (empty in-memory caches)")
        store = SqliteStore(db)
        row("warm", _timed(lambda: all_instances(store), repeat), "every instance of the month, same store again")
        row("calendar view first query", _timed(fresh(first_page), repeat, before=drop_index),
            "Service.list_instances, first page of 100, new store, no month index yet")
        row("calendar view cold", _timed(fresh(first_page), repeat),
            "Service.list_instances, first page of 100, new store (month index present)")
        service = Service(store)
        owner = service.find_user_by_email(OWNER).id
        row("calendar view warm", _timed(lambda: _calendar_page(service, owner, lo, hi), repeat),
            "Service.list_instances, first page of 100, same store again")
        store.close()
    return rows


def w4_import(ics_path=None, repeat: int = 3, quick: bool = False, **_) -> dict:
    """W4: importing the calendar into a new SQLite store (parse + store), seconds."""
    path = _ics(ics_path)
    runs = 1 if quick else max(1, min(repeat, 3))

    def once():
        with tempfile.TemporaryDirectory() as tmp:
            return build_store(path, Path(tmp) / "w4.db")[0]

    wall, cpu, n = _timed(once, runs, warmup=0)
    return {"seconds": wall, "events": n, "cpu_seconds": cpu,
            "note": f"read_calendar + Service.import_series, one transaction; CPU {cpu:.1f} s"}


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
