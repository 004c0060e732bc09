"""Where the time goes: profile our engine on W1, W2 and W3 in memory.

    python -m benchmarks.profiling W1 W2 W3 [--top 20] [--pyinstrument]

For each workload this runs our engine's timed call many times under cProfile and
prints two lists: functions by *cumulative* share of the profiled time (the call and
everything below it) and by *self* share (time spent in the function's own lines).
``--pyinstrument`` prints pyinstrument's call tree instead (``pip install pyinstrument``
for your own use; it is not a project dependency).

Workloads profiled (see :mod:`benchmarks.workloads`):

* ``W1``: ``Series(event).overlapping`` for 2024 on the weekly event, 500 times;
* ``W2``: the same for the 2040 week of the daily event, 3000 times;
* ``W3``: ``Timeline(events).overlapping`` for March 2027 on the parsed calendar
  (compile + query), 2 times; ``W3warm``: the query on a built Timeline, 3 times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
from typing import Callable

from . import calendar_gen, workloads


def _jobs() -> dict[str, tuple[Callable[[], object], int]]:
    from opentalk_sched.core import Series, Timeline

    def w1():
        ev = calendar_gen.to_core_event(workloads.W1_SPEC)
        lo, hi = workloads.W1_WINDOW
        return lambda: Series(ev).overlapping(lo, hi)

    def w2():
        ev = calendar_gen.to_core_event(workloads.W2_SPEC)
        lo, hi = workloads.w2_window(workloads.W2_YEAR)
        return lambda: Series(ev).overlapping(lo, hi)

    def w3_events():
        path = workloads.w3_calendar(workloads.Config())
        return workloads.parse_ours(path.read_bytes())

    def w3():
        events = w3_events()
        return lambda: Timeline(events).overlapping(*calendar_gen.W3_WINDOW)

    def w3warm():
        tl = Timeline(w3_events())
        tl.overlapping(*calendar_gen.W3_WINDOW)
        return lambda: tl.overlapping(*calendar_gen.W3_WINDOW)

    return {"W1": (w1, 500), "W2": (w2, 3000), "W3": (w3, 2), "W3WARM": (w3warm, 3)}


def _name(func: tuple) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    parts = filename.replace(os.sep, "/").split("/")
    if "opentalk_sched" in parts:
        short = "/".join(parts[parts.index("opentalk_sched"):])
    elif "site-packages" in parts:
        short = "/".join(parts[parts.index("site-packages") + 1:])
    else:
        short = "/".join(parts[-2:])
    return f"{short}:{line} {name}"


def profile(fn: Callable[[], object], loops: int, top: int) -> str:
    """cProfile ``loops`` calls of ``fn``; the two top-``top`` lists as text."""
    fn()  # warm-up outside the profile
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(loops):
        fn()
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    total = stats.total_tt or 1e-12
    rows = stats.stats  # func -> (cc, nc, tt, ct, callers)
    out = [f"profiled {loops} call(s): {total:.3f} s, {total / loops * 1e3:.3f} ms per call"]
    for title, key in (("cumulative", 3), ("self", 2)):
        out.append(f"\n  top by {title} share:")
        ranked = sorted(rows.items(), key=lambda kv: kv[1][key], reverse=True)
        shown = 0
        for func, data in ranked:
            if func[2] in ("<lambda>", "<built-in method builtins.exec>") or func[0] == __file__:
                continue
            out.append(f"  {data[key] / total:6.1%}  {data[1]:>9} calls  {_name(func)}")
            shown += 1
            if shown >= top:
                break
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="profile our engine on W1, W2, W3")
    ap.add_argument("workloads", nargs="*", default=["W1", "W2", "W3", "W3warm"])
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--pyinstrument", action="store_true", help="print pyinstrument's tree (if installed)")
    args = ap.parse_args(argv)
    jobs = _jobs()
    for name in args.workloads:
        make, loops = jobs[name.upper()]
        fn = make()
        print(f"\n=== {name.upper()} ===")
        if args.pyinstrument:
            from pyinstrument import Profiler

            fn()
            p = Profiler(interval=0.0002)
            p.start()
            for _ in range(loops):
                fn()
            p.stop()
            print(p.output_text(unicode=True, color=False, show_all=False))
        else:
            print(profile(fn, loops, args.top))


if __name__ == "__main__":
    main()
