"""Run the benchmark suite and write benchmarks/results/latest.md (and latest.json).

    python -m benchmarks.run                 # full run (a few minutes)
    python -m benchmarks.run --quick         # CI mode: fewer repetitions, 3-point sweep (< 1 min)
    python -m benchmarks.run --only W1,W2    # a subset
    python -m benchmarks.run --write-docs    # also rewrite docs/performance.md and docs/w2-sweep.svg
    python benchmarks/run.py --quick         # the same, as a script

The table is printed when the run ends. Every workload runs our engine,
recurring-ical-events and dateutil side by side in the same process, so the ratios
compare like with like on a shared, noisy machine; medians of several runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import report, workloads  # noqa: E402
from benchmarks.workloads import Config  # noqa: E402

ALL = ("W1", "W2", "W3", "W4", "W5", "W6")


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("opentalk-sched", "recurring-ical-events", "python-dateutil", "icalendar"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def run(cfg: Config, only: tuple[str, ...] = ALL, log=print) -> dict:
    """Run the selected workloads; the results dict that :mod:`benchmarks.report` reads."""
    t0 = time.perf_counter()
    rows, sweep = [], []
    path = None

    def step(name):
        log(f"[{time.perf_counter() - t0:6.1f}s] {name} ...")

    if "W1" in only:
        step("W1 weekly event, one year")
        rows += workloads.w1(cfg)
    if "W2" in only:
        step(f"W2 daily since 1990, sweep {cfg.sweep_years[0]}–{cfg.sweep_years[-1]}")
        w2_rows, sweep = workloads.w2(cfg)
        rows += w2_rows
    if {"W3", "W4", "W5", "W6"} & set(only):
        step(f"W3 calendar ({cfg.events} events)")
        path = workloads.w3_calendar(cfg)
    if "W3" in only:
        step("W3 one month of the calendar")
        rows += workloads.w3(cfg, path)
    if "W4" in only:
        step("W4 import into the store")
        rows += workloads.w4(cfg, path)
    if "W5" in only:
        step("W5 peak memory (child processes)")
        rows += workloads.w5(cfg, path)
    if "W6" in only:
        step("W6 HTTP calendar view")
        rows += workloads.w6(cfg, path)
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if cfg.quick else "full",
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "versions": _versions(),
        "duration_s": round(time.perf_counter() - t0, 1),
    }
    return {"meta": meta, "rows": [r.to_json() for r in rows], "sweep": sweep}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="opentalk-sched benchmarks (W1–W6)")
    ap.add_argument("--quick", action="store_true", help="CI mode: fewer repetitions, smaller sweep")
    ap.add_argument("--only", default=",".join(ALL), help="comma list of workloads, e.g. W1,W2")
    ap.add_argument("--write-docs", action="store_true",
                    help="rewrite the table in docs/performance.md and docs/w2-sweep.svg")
    ap.add_argument("--results-dir", type=Path, default=workloads.RESULTS)
    args = ap.parse_args(argv)
    only = tuple(w.strip().upper() for w in args.only.split(",") if w.strip())
    unknown = set(only) - set(ALL)
    if unknown:
        ap.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    cfg = Config.quick_mode() if args.quick else Config.full()
    results = run(cfg, only, log=lambda m: print(m, file=sys.stderr, flush=True))
    md = report.save(results, args.results_dir)
    print(report.render(results))
    print(f"written: {md}", file=sys.stderr)
    if args.write_docs:
        report.update_docs(results)
        print(f"updated: {report.DOC} and {report.SVG}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
