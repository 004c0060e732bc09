"""A/B: the W3 queries of an older revision and of the working tree, in one process.

    python -m benchmarks.ab REV [--rounds 80]

This machine's speed drifts by 10–20 % over minutes, more than most single changes
gain, so two benchmark runs a few minutes apart cannot tell a 5 % change from noise.
This tool exports ``opentalk_sched/`` at git revision ``REV`` (``git archive``) into a
temporary folder under another package name, loads both packages side by side, parses
the W3 calendar with each, and alternates their queries (A then B, B then A, ...) so
a slow phase of the machine hits both alike. It prints the minimum, 10th percentile
and median of each, in milliseconds, for:

* ``warm``: the second and later ``Timeline.overlapping`` of March 2027;
* ``in memory``: ``Timeline(events)`` built and queried (compile + query).

Both must return the same number of instances, or the tool stops. Nothing is written
outside the temporary folder.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import calendar_gen, workloads

ROOT = Path(__file__).resolve().parent.parent
OLD = "opentalk_sched_ab_old"


def export(rev: str, folder: Path) -> None:
    """``opentalk_sched/`` of ``rev`` → ``folder/OLD`` (absolute imports renamed)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "opentalk_sched"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    (folder / "opentalk_sched").rename(folder / OLD)
    for path in (folder / OLD).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "opentalk_sched" in text:
            path.write_text(text.replace("opentalk_sched", OLD), encoding="utf-8")


def _stats(samples: list[float]) -> str:
    s = sorted(samples)
    return f"min {s[0] * 1e3:6.2f}  p10 {s[len(s) // 10] * 1e3:6.2f}  p50 {s[len(s) // 2] * 1e3:6.2f} ms"


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def compare(rev: str, rounds: int) -> None:
    data = workloads.w3_calendar(workloads.Config()).read_bytes()
    window = calendar_gen.W3_WINDOW
    with tempfile.TemporaryDirectory() as tmp:
        export(rev, Path(tmp))
        sys.path.insert(0, tmp)
        engines = {}
        for label, package in ((f"A {rev}", OLD), ("B working tree", "opentalk_sched")):
            core = importlib.import_module(f"{package}.core")
            found = importlib.import_module(f"{package}.ical.importer").read_calendar(data)
            events = getattr(found, "events", found)
            timeline = core.Timeline(events)
            count = len(timeline.overlapping(*window))
            engines[label] = (core.Timeline, events, timeline, count)
        counts = {label: e[3] for label, e in engines.items()}
        if len(set(counts.values())) != 1:
            raise SystemExit(f"the engines disagree on the instance count: {counts}")
        warm = {label: [] for label in engines}
        fresh = {label: [] for label in engines}
        labels = list(engines)
        for n in range(rounds):
            for label in (labels if n % 2 else labels[::-1]):
                build, events, timeline, _ = engines[label]
                warm[label].append(_timed(lambda: timeline.overlapping(*window)))
                if n % 4 == 0:  # (the heavier job, less often)
                    fresh[label].append(_timed(lambda: build(events).overlapping(*window)))
    print(f"W3, March 2027, {counts[labels[0]]} instances, {rounds} alternating rounds")
    for label in labels:
        print(f"  warm       {label:<24} {_stats(warm[label])}")
    for label in labels:
        print(f"  in memory  {label:<24} {_stats(fresh[label])}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the git revision to compare the working tree with (A)")
    parser.add_argument("--rounds", type=int, default=80)
    args = parser.parse_args(argv)
    compare(args.rev, args.rounds)


if __name__ == "__main__":
    main()
