"""Smoke test of the benchmark harness: the quick W1/W2 functions run and every engine
returns the expected number of instances (counts, never times)."""

from __future__ import annotations

from datetime import datetime, timezone

from benchmarks import calendar_gen, report
from benchmarks.workloads import W1_EXPECTED, W2_EXPECTED, Config, w1, w2


def test_w1_counts_match_for_all_engines():
    rows = w1(Config.smoke())
    assert W1_EXPECTED == 157
    for row in rows:
        assert (row.ours.count, row.rie.count, row.dateutil.count) == (157, 157, 157)
        assert row.ours.value > 0


def test_w2_counts_match_for_all_engines_and_every_swept_year():
    cfg = Config.smoke()
    rows, sweep = w2(cfg)
    assert W2_EXPECTED == 7
    assert [p["year"] for p in sweep] == [2000, 2070]
    for p in sweep:
        assert p["counts"] == {"ours": 7, "ours_warm": 7, "rie": 7, "dateutil": 7}
    timed = [r for r in rows if r.ours.unit == "s"]
    assert [(r.ours.count, r.rie.count, r.dateutil.count) for r in timed] == [(7, 7, 7), (7, 7, 7)]
    flat = [r for r in rows if r.ours.unit == "x"]
    assert len(flat) == 1 and flat[0].ours.value > 0


def test_generator_is_deterministic_and_has_the_promised_mix():
    a = calendar_gen.generate(500, seed=3)
    assert calendar_gen.to_ics(a) == calendar_gen.to_ics(calendar_gen.generate(500, seed=3))
    recurring = [s for s in a if s.rrule]
    assert 100 <= len(recurring) <= 200  # ~30 %
    assert {s.zone for s in a} == {"Europe/Berlin", "America/New_York", "UTC", None}
    assert any("COUNT=" in s.rrule for s in recurring) and any("UNTIL=" in s.rrule for s in recurring)
    assert any(s.exdates for s in recurring) and any(s.overrides for s in recurring)


def test_generated_calendar_gives_the_same_instances_in_our_engine_and_dateutil():
    from opentalk_sched.core import Timeline

    specs = calendar_gen.generate(300, seed=11)
    lo, hi = datetime(2027, 3, 1, tzinfo=timezone.utc), datetime(2027, 4, 1, tzinfo=timezone.utc)
    ours = sorted(i.start_utc for i in Timeline([calendar_gen.to_core_event(s) for s in specs]).overlapping(lo, hi))
    du = sorted(s.astimezone(timezone.utc) for spec in specs for s, _ in calendar_gen.to_dateutil(spec).overlapping(lo, hi))
    assert len(ours) > 50
    assert ours == du


def test_report_renders_the_rows_and_a_svg():
    rows, sweep = w2(Config.smoke())
    md = report.render({"meta": {"mode": "smoke"}, "rows": [r.to_json() for r in rows], "sweep": sweep})
    assert "| W2 |" in md and "| 2070 |" in md
    svg = report.render_svg(sweep)
    assert svg.startswith("<svg") and svg.count("<polyline") == 4


def test_store_hook_results_are_read_in_every_documented_shape():
    from benchmarks.workloads import _hook_cells

    cells = _hook_cells({"cold": {"seconds": 1.5, "instances": 10917}, "warm": 0.25})
    assert [(v, c.value, c.count) for v, c, _ in cells] == [("cold", 1.5, 10917), ("warm", 0.25, None)]
    cells = _hook_cells([{"variant": "import", "median": 2.0, "events": 10000, "note": "WAL"}])
    assert [(v, c.value, c.count, n) for v, c, n in cells] == [("import", 2.0, 10000, "WAL")]
    assert _hook_cells(0.125)[0][1].value == 0.125


def test_ab_exports_a_revision_as_a_second_package(tmp_path):
    """benchmarks.ab loads an older revision beside the working tree: the export must
    import under its own name and expand like the working tree does."""
    import importlib
    import sys

    from benchmarks import ab, workloads
    from opentalk_sched.core import Series

    ab.export("HEAD", tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        old = importlib.import_module(f"{ab.OLD}.core")
        ev = calendar_gen.to_core_event(workloads.W1_SPEC)
        lo, hi = workloads.W1_WINDOW
        old_ev = old.Event.new(ev.title, old.Timing(ev.timing.start, ev.timing.end, ev.timing.tz,
                                                     old.RecurrenceSet.from_lines(["FREQ=WEEKLY;BYDAY=MO,WE,FR"])))
        got = [i.instance_id for i in old.Series(old_ev).overlapping(lo, hi)]
        assert old.Series.__module__ == f"{ab.OLD}.core.series"
        assert got == [i.instance_id for i in Series(ev).overlapping(lo, hi)] and len(got) == 157
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(ab.OLD)]:
            del sys.modules[name]
