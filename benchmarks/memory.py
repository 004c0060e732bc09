"""W5, the child process: peak memory of W3 in memory for one engine.

    python -m benchmarks.memory ours|rie|dateutil W3.ics [--mode rss|tracemalloc]

Prints one JSON line ``{"engine", "mode", "mib", "instances"}``. The child imports
everything and reads the file first; that is the baseline. Then it does the whole W3
in-memory job (parse the .ics, compile, query March 2027) and keeps the results alive:

* ``rss``: the peak resident set size above the baseline's resident size, in MiB. The
  kernel's high-water mark is reset after the baseline (``/proc/self/clear_refs``, Linux
  ≥ 4.0) so import-time peaks do not count; without it, ``ru_maxrss`` is used.
* ``tracemalloc``: the peak of Python allocations traced from the baseline, in MiB
  (slower; counts Python objects only, not allocator slack).

dateutil has no .ics reader, so its input is the generator's spec list, made before
the baseline.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import tracemalloc
from pathlib import Path

MIB = 1024 * 1024


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _job(engine: str, data: bytes, specs):
    from .calendar_gen import W3_WINDOW, to_dateutil

    lo, hi = W3_WINDOW
    if engine == "ours":
        from opentalk_sched.core import Timeline

        from .workloads import parse_ours

        events = parse_ours(data, specs)
        tl = Timeline(events)
        return (events, tl), tl.overlapping(lo, hi)
    if engine == "rie":
        import icalendar
        import recurring_ical_events

        cal = icalendar.Calendar.from_ical(data)
        q = recurring_ical_events.of(cal)
        return (cal, q), q.between(lo, hi)
    if engine == "dateutil":
        du = [to_dateutil(s) for s in specs]
        return du, [p for d in du for p in d.overlapping(lo, hi)]
    raise SystemExit(f"unknown engine {engine!r}")


def run(engine: str, path: Path, mode: str) -> dict:
    # import everything the job needs before the baseline
    import icalendar  # noqa: F401
    import recurring_ical_events  # noqa: F401
    from dateutil import rrule  # noqa: F401

    import opentalk_sched.core  # noqa: F401

    from . import calendar_gen, workloads

    workloads.importer()
    data = path.read_bytes()
    specs = calendar_gen.generate() if engine == "dateutil" or workloads.importer() is None else None
    gc.collect()
    if mode == "tracemalloc":
        tracemalloc.start()
        keep = _job(engine, data, specs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        mib = peak / MIB
    else:
        base_kib = _status_kib("VmRSS")
        reset = base_kib is not None and _reset_peak()
        before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        keep = _job(engine, data, specs)
        if reset:
            mib = (_status_kib("VmHWM") - base_kib) / 1024
        else:  # ru_maxrss is KiB on Linux: a peak that imports may already have set
            mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_max) / 1024
    return {"engine": engine, "mode": mode, "mib": round(mib, 2), "instances": len(keep[1])}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="W5 child: peak memory of W3 in memory for one engine")
    ap.add_argument("engine", choices=("ours", "rie", "dateutil"))
    ap.add_argument("path", type=Path)
    ap.add_argument("--mode", choices=("rss", "tracemalloc"), default="rss")
    args = ap.parse_args(argv)
    print(json.dumps(run(args.engine, args.path, args.mode)))


if __name__ == "__main__":
    main()
