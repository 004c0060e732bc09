"""The workloads W1–W6: each runs our engine, recurring-ical-events ("rie") and
python-dateutil on the same input and returns table :class:`Row` objects.

* W1: one weekly event (MO,WE,FR 09:00–10:00 Europe/Berlin from 2024-01-01), the year 2024.
* W2: a daily event from 1990-01-01 09:00 Europe/Berlin, no end; one week in 2040, and
  a sweep of the same week (March 5–12) every 5 years from 2000 to 2070.
* W3: the 10,000-event calendar of :mod:`benchmarks.calendar_gen`, March 2027 (UTC):
  cold (parse .ics + first query), in memory (events parsed, Timeline built + queried),
  warm (second query on the same object), and the SQLite store rows from the store
  author's ``benchmarks/store_w3.py`` when it exists.
* W4: importing the W3 file into the store (``store_w3.py`` / ``store_w4.py``).
* W5: peak memory of W3 in memory, measured in a child process (:mod:`benchmarks.memory`).
* W6: GET /v1/events/instances for that month, one page of 100, over HTTP, when
  ``opentalk_sched.api.create_app`` exists.

Windows are [start, end) with overlap semantics (RFC 4791 §9.9): an occurrence counts
when ``start < window_end and end > window_start``. Times are medians of several runs
(:func:`benchmarks.timing.measure`) in seconds; ``count`` is the number of instances an
engine returned, so a ratio is only a fair one when the counts agree.

    >>> w1(Config.smoke())[0].ours.count
    157
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from . import calendar_gen
from .calendar_gen import W3_WINDOW, EventSpec, to_core_event, to_dateutil, to_ics
from .timing import Measurement, measure, measure_interleaved

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BERLIN = ZoneInfo("Europe/Berlin")

W1_SPEC = EventSpec("w1@bench", "Weekly", datetime(2024, 1, 1, 9), datetime(2024, 1, 1, 10), "Europe/Berlin",
                    "FREQ=WEEKLY;BYDAY=MO,WE,FR")
W1_WINDOW = (datetime(2024, 1, 1, tzinfo=BERLIN), datetime(2025, 1, 1, tzinfo=BERLIN))
W1_EXPECTED = 157  # Mondays, Wednesdays and Fridays of 2024

W2_SPEC = EventSpec("w2@bench", "Daily", datetime(1990, 1, 1, 9), datetime(1990, 1, 1, 10), "Europe/Berlin",
                    "FREQ=DAILY")
W2_EXPECTED = 7  # one per day of a one-week window
W2_YEAR = 2040
SWEEP_YEARS = tuple(range(2000, 2071, 5))
QUICK_SWEEP_YEARS = (2000, 2040, 2070)

SKIPPED = "skipped (--quick)"
TARGETS = {  # seconds (time rows) or MiB (memory rows); shown next to the numbers
    "W1": 1e-3,
    "W2": 0.2e-3,
    "W2 flat": 2.0,
    "W3": 50e-3,
    "W3 store cold": 150e-3,
    "per_instance": 2e-6,
    "W5": 60.0,
}


def w2_window(year: int) -> tuple[datetime, datetime]:
    """The one-week W2 window of ``year``: March 5 00:00 to March 12 00:00, Berlin."""
    start = datetime(year, 3, 5, tzinfo=BERLIN)
    return start, start + timedelta(days=7)


# ---------------------------------------------------------------------------------
# configuration and rows


@dataclass(frozen=True, slots=True)
class Config:
    """How hard to measure. ``repeat``: samples of a fast call (each at least
    ``min_sample`` s); ``heavy_repeat``: runs of a call that takes seconds (after
    ``heavy_warmup`` unmeasured ones); ``slow_extras``: what takes many seconds beyond
    the targets of our in-memory engine (dateutil's W3 warm, the other engines' W5
    children, the store hooks of W3/W4, W6)."""

    repeat: int = 7
    min_sample: float = 0.02
    heavy_repeat: int = 3
    heavy_warmup: int = 1
    sweep_years: tuple[int, ...] = SWEEP_YEARS
    events: int = calendar_gen.DEFAULT_EVENTS
    tracemalloc: bool = True
    slow_extras: bool = True
    quick: bool = False

    @classmethod
    def full(cls) -> "Config":
        return cls()

    @classmethod
    def quick_mode(cls) -> "Config":
        """CI mode: fewer repetitions, a 3-point sweep, no tracemalloc pass, no slow extras."""
        return cls(repeat=3, min_sample=0.005, heavy_repeat=1, heavy_warmup=0, sweep_years=QUICK_SWEEP_YEARS,
                   tracemalloc=False, slow_extras=False, quick=True)

    @classmethod
    def smoke(cls) -> "Config":
        """One call per number: for tests that check counts, not times."""
        return cls(repeat=1, min_sample=0, heavy_repeat=1, heavy_warmup=0, sweep_years=(2000, 2070),
                   tracemalloc=False, slow_extras=False, quick=True)


@dataclass(slots=True)
class Cell:
    """One engine's number: ``value`` in seconds (``unit="s"``) or MiB; ``count`` the
    instances it returned; ``note`` replaces the number when there is none."""

    value: float | None = None
    count: int | None = None
    unit: str = "s"
    note: str = ""

    @classmethod
    def of(cls, m: Measurement, count: int | None = None) -> "Cell":
        return cls(m.median, count if count is not None else _count(m.result))

    @classmethod
    def na(cls, note: str = "—") -> "Cell":
        return cls(note=note)


@dataclass(slots=True)
class Row:
    """One table row: the workload id, what is measured, the three engines, the target
    (same unit as the cells; ``None`` = none) and a free-form note."""

    workload: str
    variant: str
    ours: Cell
    rie: Cell = field(default_factory=Cell.na)
    dateutil: Cell = field(default_factory=Cell.na)
    target: float | None = None
    per_instance_target: float | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        """Whether ours meets the target (and the per-instance target when set)."""
        if self.ours.value is None or (self.target is None and self.per_instance_target is None):
            return None
        ok = self.target is None or self.ours.value <= self.target
        if self.per_instance_target is not None and self.ours.count:
            ok = ok and self.ours.value / self.ours.count <= self.per_instance_target
        return ok

    def to_json(self) -> dict:
        d = asdict(self)
        d["met"] = self.met
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Row":
        d = dict(d)
        d.pop("met", None)
        for k in ("ours", "rie", "dateutil"):
            d[k] = Cell(**d[k])
        return cls(**d)


def _count(result: Any) -> int | None:
    if isinstance(result, int):
        return result
    try:
        return len(result)
    except TypeError:
        return None


# ---------------------------------------------------------------------------------
# the three engines on one event


def _rie_calendar(spec_or_data):
    import icalendar

    data = spec_or_data if isinstance(spec_or_data, bytes) else to_ics([spec_or_data])
    return icalendar.Calendar.from_ical(data)


def _rie_between(cal, lo, hi) -> list:
    import recurring_ical_events

    return recurring_ical_events.of(cal).between(lo, hi)


def single_event_calls(spec: EventSpec, lo: datetime, hi: datetime) -> dict[str, Callable[[], list]]:
    """The timed calls of the three engines on one event over [lo, hi). ``ours`` compiles
    the series and queries it (``Series(event).overlapping``); ``ours_warm`` queries an
    already compiled series; ``rie`` runs ``of(calendar).between`` on a parsed calendar;
    ``dateutil`` builds the ``rruleset`` from the rule text and asks ``between``."""
    from opentalk_sched.core import Series

    event = to_core_event(spec)
    series = Series(event)
    cal = _rie_calendar(spec)
    return {
        "ours": lambda: Series(event).overlapping(lo, hi),
        "ours_warm": lambda: series.overlapping(lo, hi),
        "rie": lambda: _rie_between(cal, lo, hi),
        "dateutil": lambda: to_dateutil(spec).overlapping(lo, hi),
    }


def single_event(spec: EventSpec, lo: datetime, hi: datetime, cfg: Config) -> dict[str, Measurement]:
    """Time :func:`single_event_calls`, interleaved."""
    return measure_interleaved(single_event_calls(spec, lo, hi), repeat=cfg.repeat, min_sample=cfg.min_sample)


def _single_rows(workload: str, what: str, m: dict[str, Measurement], target: float | None) -> list[Row]:
    return [
        Row(workload, f"{what}: compile + query", Cell.of(m["ours"]), Cell.of(m["rie"]), Cell.of(m["dateutil"]),
            target=target),
        Row(workload, f"{what}: query on a compiled series", Cell.of(m["ours_warm"]), Cell.of(m["rie"]),
            Cell.of(m["dateutil"]), per_instance_target=TARGETS["per_instance"] if workload == "W1" else None,
            note="rie and dateutil: same numbers as the row above"),
    ]


def w1(cfg: Config) -> list[Row]:
    """W1: one weekly event (MO,WE,FR), the year 2024 in Berlin; 157 instances."""
    m = single_event(W1_SPEC, *W1_WINDOW, cfg)
    return _single_rows("W1", "weekly MO,WE,FR, year 2024", m, TARGETS["W1"])


def w2(cfg: Config) -> tuple[list[Row], list[dict]]:
    """W2: a daily event from 1990, one week in 2040, plus the sweep over ``cfg.sweep_years``
    (all years and engines measured round-robin, so load bursts do not bend the curve).

    Returns the rows and the sweep points ``{"year", "ours", "ours_warm", "rie",
    "dateutil"}`` (median seconds) with ``best`` (the best sample of each) and ``counts``."""
    m = single_event(W2_SPEC, *w2_window(W2_YEAR), cfg)
    rows = _single_rows("W2", f"daily since 1990, one week in {W2_YEAR}", m, TARGETS["W2"])
    calls = {(year, engine): fn for year in cfg.sweep_years
             for engine, fn in single_event_calls(W2_SPEC, *w2_window(year)).items()}
    measured = measure_interleaved(calls, repeat=cfg.repeat, min_sample=cfg.min_sample)
    sweep = []
    for year in cfg.sweep_years:
        p = {engine: m for (y, engine), m in measured.items() if y == year}
        sweep.append({
            "year": year,
            **{k: v.median for k, v in p.items()},
            "best": {k: v.best for k, v in p.items()},
            "counts": {k: _count(v.result) for k, v in p.items()},
        })
    if sweep:
        # medians of round-robin samples: a load burst hits every year alike (the best
        # sample per year, in the sweep table, is the luckiest one and too noisy for this)
        base = sweep[0]
        flat = {k: max(s[k] for s in sweep) / base[k] for k in ("ours", "rie", "dateutil")}
        rows.append(Row(
            "W2", f"sweep {sweep[0]['year']}–{sweep[-1]['year']}: slowest window / {sweep[0]['year']} window",
            Cell(flat["ours"], unit="x"), Cell(flat["rie"], unit="x"), Cell(flat["dateutil"], unit="x"),
            target=TARGETS["W2 flat"], note="compile + query, medians; see the sweep table",
        ))
    return rows, sweep


# ---------------------------------------------------------------------------------
# W3: the 10,000-event calendar


def w3_calendar(cfg: Config) -> Path:
    """Write (or reuse) the W3 .ics file in benchmarks/results/ and return its path."""
    name = "w3-calendar.ics" if cfg.events == calendar_gen.DEFAULT_EVENTS else f"w3-calendar-{cfg.events}.ics"
    return calendar_gen.write(RESULTS / name, cfg.events)


def importer():
    """``opentalk_sched.ical.importer.read_calendar`` or ``None`` while it does not exist."""
    try:
        from opentalk_sched.ical.importer import read_calendar
    except ImportError:
        return None
    return read_calendar


def parse_ours(data: bytes, specs: list[EventSpec] | None = None) -> list:
    """The W3 events in our model: through the importer, or built from the specs when
    there is no importer yet."""
    read_calendar = importer()
    if read_calendar is None:
        return [to_core_event(s) for s in (specs or calendar_gen.generate())]
    return [item.event for item in read_calendar(data).items]


def _materialise(instances) -> int:
    """Read what a calendar view shows of every instance (start, end, id, title)."""
    for i in instances:
        i.start, i.end, i.instance_id, i.title
    return len(instances)


def w3(cfg: Config, path: Path) -> list[Row]:
    """W3 (a): cold, in memory, warm, materialised; (b) the store rows (hook)."""
    import recurring_ical_events

    from opentalk_sched.core import Timeline

    lo, hi = W3_WINDOW
    data = path.read_bytes()
    specs = calendar_gen.generate(cfg.events)
    has_importer = importer() is not None
    rows = []
    cold = dict(repeat=cfg.heavy_repeat, min_sample=0, warmup=0)
    heavy = dict(repeat=cfg.heavy_repeat, min_sample=0, warmup=cfg.heavy_warmup)
    # our in-memory calls take milliseconds: as many samples as a fast call gets
    ours = dict(repeat=max(cfg.repeat, cfg.heavy_repeat), min_sample=0, warmup=1)

    # cold: parse the file, then the first query; the last run's parsed objects are kept
    def ours_cold_run():
        events = parse_ours(data, specs)
        return events, Timeline(events).overlapping(lo, hi)

    def rie_cold_run():
        cal = _rie_calendar(data)
        return cal, recurring_ical_events.of(cal).between(lo, hi)

    # Each engine is measured before the other's objects are built: a heap holding
    # recurring-ical-events' half a million objects slows any allocating code by ~15%.
    if has_importer:
        m = measure(ours_cold_run, **cold)
        ours_cold, events = Cell.of(m, len(m.result[1])), m.result[0]
    else:
        ours_cold, events = Cell.na("not available (no importer)"), parse_ours(data, specs)
    # in memory: events parsed once; a fresh Timeline (compile + query) per run
    ours_mem = measure(lambda: Timeline(events).overlapping(lo, hi), **ours)
    # warm: the second query on the same object
    tl = Timeline(events)
    tl.overlapping(lo, hi)
    ours_warm = measure(lambda: tl.overlapping(lo, hi), **ours)
    ours_read = measure(lambda: _materialise(tl.overlapping(lo, hi)), **ours)
    del tl

    m = measure(rie_cold_run, **cold)
    rie_cold, cal = Cell.of(m, len(m.result[1])), m.result[0]
    rie_mem = measure(lambda: recurring_ical_events.of(cal).between(lo, hi), **heavy)
    q = recurring_ical_events.of(cal)
    q.between(lo, hi)
    rie_warm = measure(lambda: q.between(lo, hi), **heavy)
    del q, cal

    du_mem = measure(lambda: [p for s in specs for p in to_dateutil(s).overlapping(lo, hi)], **heavy)
    du_events = [to_dateutil(s) for s in specs]
    du_warm = (Cell.of(measure(lambda: [p for d in du_events for p in d.overlapping(lo, hi)], **heavy))
               if cfg.slow_extras else Cell.na(SKIPPED))

    rows.append(Row("W3", "cold: parse .ics + first query", ours_cold, rie_cold,
                    Cell.na("— (no .ics reader)"), note="one run each" if cfg.heavy_repeat == 1 else ""))
    rows.append(Row("W3", "in memory: Timeline(events).overlapping (compile + query)", Cell.of(ours_mem),
                    Cell.of(rie_mem), Cell.of(du_mem), target=TARGETS["W3"],
                    note="" if has_importer else "events built from the generator (no importer yet)"))
    rows.append(Row(
        "W3", "warm: second query on the same timeline / query object",
        Cell.of(ours_warm), Cell.of(rie_warm), du_warm,
        per_instance_target=TARGETS["per_instance"],
        note="the cost per returned instance: the series are compiled, the window is not",
    ))
    rows.append(Row(
        "W3", "warm + read start, end, instance_id, title of each instance", Cell.of(ours_read),
        note="ours only: rie and dateutil return finished values",
    ))
    rows.extend(store_rows("W3", "store_w3", ("w3_store", "run_w3", "bench_w3", "benchmark_w3", "w3"), cfg, path))
    return rows


# ---------------------------------------------------------------------------------
# hooks: the store (benchmarks/store_w3.py) and the HTTP API


def _hook(module: str, names: tuple[str, ...]) -> tuple[Callable | None, str]:
    """The first function named in ``names`` of ``benchmarks.<module>``; (None, reason)."""
    if not (Path(__file__).parent / f"{module}.py").exists():
        return None, "not available"
    try:
        mod = importlib.import_module(f"benchmarks.{module}")
    except Exception as exc:  # the hook is someone else's code: report, never crash the run
        return None, f"error importing {module}.py: {type(exc).__name__}: {exc}"
    for name in names:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn, ""
    return None, f"not available ({module}.py has none of {', '.join(names)})"


def _call(fn: Callable, **offered) -> Any:
    """Call ``fn`` with the offered keyword arguments its signature accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn()
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return fn(**offered)
    return fn(**{k: v for k, v in offered.items() if k in params})


def _hook_cells(result: Any) -> list[tuple[str, Cell, str]]:
    """A hook's result → (variant, cell, note) triples. Accepted: seconds as a number; a
    Measurement; a dict ``{"variant"?, "seconds" | "median", "instances" | "count" |
    "events"?, "note"?}``; a list of those; a dict of variant → one of those."""
    if isinstance(result, (int, float)):
        return [("", Cell(float(result)), "")]
    if isinstance(result, Measurement):
        return [("", Cell.of(result), "")]
    if isinstance(result, dict) and not ({"seconds", "median", "value"} & result.keys()):
        out = []
        for variant, v in result.items():
            out += [(str(variant) + (f" {sub}" if sub else ""), cell, note) for sub, cell, note in _hook_cells(v)]
        return out
    if isinstance(result, dict):
        value = next((result[k] for k in ("seconds", "median", "value") if k in result), None)
        count = next((result[k] for k in ("instances", "count", "events") if k in result), None)
        return [(str(result.get("variant", "")),
                 Cell(float(value) if value is not None else None, count, note=str(result.get("note", ""))),
                 str(result.get("note", "")))]
    if isinstance(result, (list, tuple)):
        return [t for item in result for t in _hook_cells(item)]
    return [("", Cell.na(f"unreadable hook result {type(result).__name__}"), "")]


def store_rows(workload: str, module: str, names: tuple[str, ...], cfg: Config, path: Path,
               alt_module: str | None = None) -> list[Row]:
    """Rows from the store author's hook, or one "not available" row (or "skipped" in
    quick mode: building the store takes longer than the whole quick budget)."""
    label = {"W3": "from the SQLite store (store_w3.py)", "W4": "import the W3 file into the store"}[workload]
    if not cfg.slow_extras:
        return [Row(workload, label, Cell.na(SKIPPED))]
    fn, why = _hook(module, names)
    if fn is None and alt_module:
        fn, alt_why = _hook(alt_module, names)
        why = why if fn is None and alt_why == "not available" else alt_why
    if fn is None:
        return [Row(workload, label, Cell.na(why))]
    lo, hi = W3_WINDOW
    try:
        result = _call(fn, ics_path=path, path=path, start=lo, end=hi, window=(lo, hi), repeat=cfg.heavy_repeat,
                       quick=cfg.quick)
        cells = _hook_cells(result)
    except Exception as exc:
        return [Row(workload, label, Cell.na(f"error: {type(exc).__name__}: {exc}"))]
    def target(variant: str) -> float | None:
        if workload != "W3":
            return None
        if variant == "cold":  # the first query after the store is opened (issue 7)
            return TARGETS["W3 store cold"]
        return TARGETS["W3"] if "warm" in variant else None

    return [Row(workload, f"{label}{': ' + variant if variant else ''}", cell, note=note, target=target(variant))
            for variant, cell, note in cells]


def w4(cfg: Config, path: Path) -> list[Row]:
    """W4: importing the W3 file into the store (hook in store_w3.py or store_w4.py)."""
    return store_rows("W4", "store_w3", ("w4_import", "run_w4", "bench_w4", "benchmark_w4", "w4"), cfg, path,
                      alt_module="store_w4")


def w6(cfg: Config, path: Path) -> list[Row]:
    """W6: GET /v1/events/instances for March 2027, one page of 100, over HTTP.

    Runs when ``opentalk_sched.api.create_app`` exists; the seeding (a user, a token, the
    W3 calendar in a store) comes from ``w6_app(ics_path)`` in store_w3.py or, by
    default, :mod:`benchmarks.api_w6`; it returns ``(app, headers)``. Two rows: the first
    request after seeding (cold caches) and the median of the following ones. Skipped
    in quick mode (seeding imports 10,000 events into SQLite)."""
    label = "GET /v1/events/instances, March 2027, per_page=100, over HTTP"
    try:
        from opentalk_sched.api import create_app  # noqa: F401
    except Exception:
        return [Row("W6", label, Cell.na("not available"))]
    if not cfg.slow_extras:
        return [Row("W6", label, Cell.na(SKIPPED))]
    fn, why = _hook("store_w3", ("w6_app",))
    if fn is None:
        fn, why = _hook("api_w6", ("w6_app",))
    if fn is None:
        return [Row("W6", label, Cell.na(why))]
    try:
        t0 = time.perf_counter()
        app, headers = _call(fn, ics_path=path, path=path, quick=cfg.quick)
        seeded = time.perf_counter() - t0
        first, warm = _http_cells(app, headers, cfg)
    except Exception as exc:
        return [Row("W6", label, Cell.na(f"error: {type(exc).__name__}: {exc}"))]
    return [
        Row("W6", f"{label}: first request", first,
            note=f"after seeding a fresh SQLite store with the W3 file in {seeded:.1f} s"),
        Row("W6", f"{label}: following requests", warm, note="uvicorn and httpx on 127.0.0.1"),
    ]


def _http_cells(app, headers: dict, cfg: Config) -> tuple[Cell, Cell]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (free port) in a thread and time the GET
    with httpx: (first request, median of the following ones); count = rows returned."""
    import socket
    import threading

    import httpx
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        lo, hi = W3_WINDOW
        params = {"time_min": lo.strftime("%Y-%m-%dT%H:%M:%SZ"), "time_max": hi.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "per_page": 100}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as client:
            def get():
                r = client.get("/v1/events/instances", params=params)
                r.raise_for_status()
                return r.json()
            first = measure(get, repeat=1, min_sample=0, warmup=0)
            warm = measure(get, repeat=cfg.repeat, min_sample=0, warmup=0)
            return Cell.of(first), Cell.of(warm)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# ---------------------------------------------------------------------------------
# W5: memory, in a child process


def memory_children(jobs: list[tuple[str, str]], path: Path) -> dict[tuple[str, str], dict | Exception]:
    """Run :mod:`benchmarks.memory` for each (engine, mode) in ``jobs``, each in a fresh
    interpreter, all at once (memory is per process; nothing is timed meanwhile).
    Engine: ``ours``/``rie``/``dateutil``; mode: ``rss`` or ``tracemalloc``. Returns each
    child's JSON answer, or the exception that says why it failed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    procs = {
        job: subprocess.Popen(
            [sys.executable, "-m", "benchmarks.memory", job[0], str(path), "--mode", job[1]],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for job in jobs
    }
    out: dict = {}
    for job, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            out[job] = RuntimeError("timed out")
            continue
        if proc.returncode != 0:
            lines = stderr.strip().splitlines()
            out[job] = RuntimeError(lines[-1] if lines else f"exit {proc.returncode}")
        else:
            out[job] = json.loads(stdout.strip().splitlines()[-1])
    return out


def w5(cfg: Config, path: Path) -> list[Row]:
    """W5: MiB above the child's baseline for W3 in memory (parse + Timeline + query)."""
    rows = []
    modes = ("rss", "tracemalloc") if cfg.tracemalloc else ("rss",)
    engines = ("ours", "rie", "dateutil") if cfg.slow_extras else ("ours",)
    answers = memory_children([(e, m) for m in modes for e in engines], path)
    for mode in modes:
        cells = {"rie": Cell.na(SKIPPED), "dateutil": Cell.na(SKIPPED)}
        for engine in engines:
            r = answers[(engine, mode)]
            cells[engine] = Cell.na(f"error: {r}") if isinstance(r, Exception) else \
                Cell(r["mib"], r["instances"], unit="MiB")
        what = ("peak RSS above baseline" if mode == "rss" else "tracemalloc peak") + \
            " for W3 in memory (parse + compile + query)"
        rows.append(Row("W5", what, cells["ours"], cells["rie"], cells["dateutil"],
                        target=TARGETS["W5"] if mode == "rss" else None,
                        note="dateutil: from the generator's specs (no .ics reader)"))
    return rows
