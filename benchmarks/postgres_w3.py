"""W3 (and W4, W6) on both stores: the 10,000-event calendar in SQLite and in PostgreSQL,
side by side.

    python -m benchmarks.postgres_w3                        # throw-away PostgreSQL server
    python -m benchmarks.postgres_w3 --db postgresql://me@127.0.0.1/bench --http --clients 8

Without ``--db`` a throw-away server is started with ``tests/postgres_server.py`` (the
Debian ``postgresql`` binaries, as the tests do). The database given with ``--db`` is
emptied first (its store tables are dropped). What is measured, per store (medians of
``--repeat`` runs, :func:`benchmarks.timing.measure`):

* **import (W4)**: ``read_calendar`` once, then ``Service.import_series`` of the whole
  calendar for one user, one transaction;
* **W3 cold**: a new store object (empty compiled-series cache; for PostgreSQL a new
  pool), then every instance of March 2027 (UTC): the span-index query, loading and
  compiling the candidates, expanding them;
* **W3 warm**: the same query again on that store (series and month lists cached);
* **calendar view cold / warm**: ``Service.list_instances`` for the owner, first page of
  100 (the HTTP layer's work without HTTP);
* with ``--http``: GET /v1/events/instances (March 2027, per_page=100) over HTTP, uvicorn
  in a child process (``--workers`` processes) on 127.0.0.1, ``--clients`` threads
  sending requests back to back for ``--seconds`` (two alternating rounds per store):
  requests per second and the median latency.

The W3 rows take their samples round-robin across the two stores, so a burst of load
from other jobs on a shared machine does not favour one of them.

Prints a Markdown table; ``--json FILE`` also writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/postgres_w3.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import measure_interleaved  # noqa: E402

UTC = timezone.utc
WINDOW = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
TOKEN = "bench-token"
EMAIL = "bench@example.org"
ROOT = Path(__file__).resolve().parent.parent


def w3_file() -> Path:
    from benchmarks import calendar_gen

    return calendar_gen.write(Path(__file__).parent / "results" / "w3-calendar.ics", calendar_gen.DEFAULT_EVENTS)


def verifier():
    from opentalk_sched.api.auth import StaticTokenVerifier

    return StaticTokenVerifier.from_text(f"{TOKEN} {EMAIL} Bench")


def owner(service):
    ident = verifier().verify(TOKEN)
    return service.get_or_create_user_by_subject(ident.subject, email=ident.email, display_name=ident.display_name)


def load(url: str, items, errors) -> tuple[float, int]:
    """Import the parsed calendar into the (empty) store at ``url``: (seconds, events)."""
    from opentalk_sched.service import Service
    from opentalk_sched.store import open_store

    store = open_store(url)
    try:
        service = Service(store)
        user = owner(service)
        t = time.perf_counter()
        report = service.import_series(user.id, items, skipped=errors)
        took = time.perf_counter() - t
        store.optimize()
        return took, len(report.created) + len(report.updated) + len(report.unchanged)
    finally:
        store.close()


def window_instances(store) -> int:
    lo, hi = WINDOW
    return sum(len(hit.compiled.overlapping(lo, hi)) for hit in store.window(lo, hi))


def calendar_page(service, user_id) -> int:
    from opentalk_sched.service import CalendarQuery

    return len(service.list_instances(user_id, CalendarQuery(*WINDOW, per_page=100)).items)


def store_rows(urls: dict[str, str], repeat: int) -> dict[str, dict]:
    """Every W3 row for every store, samples taken round-robin across the stores
    (:func:`benchmarks.timing.measure_interleaved`) so load bursts on a shared machine
    do not favour one of them. ``{store name: {row: {"seconds", "count"}}}``."""
    from opentalk_sched.service import Service
    from opentalk_sched.store import open_store

    def cold(url):
        def run():
            s = open_store(url)
            try:
                return window_instances(s)
            finally:
                s.close()
        return run

    def view_cold(url):
        def run():
            s = open_store(url)
            try:
                svc = Service(s)
                return calendar_page(svc, svc.find_user_by_email(EMAIL).id)
            finally:
                s.close()
        return run

    rows: dict[str, dict] = {}
    rows["W3 cold"] = measure_interleaved({n: cold(u) for n, u in urls.items()}, repeat=repeat, min_sample=0)
    rows["calendar view cold"] = measure_interleaved({n: view_cold(u) for n, u in urls.items()}, repeat=repeat,
                                                     min_sample=0, warmup=0)
    stores = {n: open_store(u) for n, u in urls.items()}
    try:
        rows["W3 warm"] = measure_interleaved(
            {n: (lambda s=s: window_instances(s)) for n, s in stores.items()}, repeat=repeat, min_sample=0.05)
        services = {n: Service(s) for n, s in stores.items()}
        users = {n: svc.find_user_by_email(EMAIL).id for n, svc in services.items()}
        rows["calendar view warm"] = measure_interleaved(
            {n: (lambda n=n: calendar_page(services[n], users[n])) for n in stores}, repeat=repeat, min_sample=0.05)
    finally:
        for s in stores.values():
            s.close()
    return {n: {r: {"seconds": m[n].median, "count": m[n].result} for r, m in rows.items()} for n in urls}


# -- HTTP ------------------------------------------------------------------------------------


def app():
    """uvicorn factory for the child server: the API on ``$OPENTALK_SCHED_BENCH_DB``."""
    from opentalk_sched.api import create_app
    from opentalk_sched.store import open_store

    return create_app(open_store(os.environ["OPENTALK_SCHED_BENCH_DB"]), verifier())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(url: str, workers: int):
    port = _free_port()
    env = dict(os.environ, OPENTALK_SCHED_BENCH_DB=url,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.postgres_w3:app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=str(ROOT),
    )
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the API server did not start")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def http_load(base: str, clients: int, seconds: float) -> dict:
    """``clients`` threads, each with its own connection, GET back to back."""
    import httpx

    lo, hi = WINDOW
    params = {"time_min": f"{lo:%Y-%m-%dT%H:%M:%SZ}", "time_max": f"{hi:%Y-%m-%dT%H:%M:%SZ}", "per_page": 100}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:  # warm every worker a little
        for _ in range(4 * clients):
            c.get("/v1/events/instances", params=params).raise_for_status()
    stop = time.monotonic() + seconds

    def run():
        mine, bad = [], 0
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.get("/v1/events/instances", params=params)
                if r.status_code == 200 and len(r.json()) == 100:
                    mine.append(time.perf_counter() - t)
                else:
                    bad += 1
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    t0 = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    return {"rps": len(latencies) / took, "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
            "requests": len(latencies), "failures": failures[0]}


# -- main ------------------------------------------------------------------------------------


def _reset_postgres(url: str) -> None:
    import psycopg

    from opentalk_sched.store import postgres_schema

    with psycopg.connect(url, autocommit=True) as conn:
        postgres_schema.drop_all(conn)


@contextmanager
def _postgres(url: str | None):
    if url:
        yield url
        return
    from tests.postgres_server import postgres_server

    with postgres_server() as dsn:
        yield dsn


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", help="a PostgreSQL URL to use (emptied!); default: a throw-away server")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--http", action="store_true", help="also measure requests per second over HTTP")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    from opentalk_sched.ical.importer import read_calendar

    parsed = read_calendar(w3_file().read_bytes(), skip_invalid=True)
    results: dict[str, dict] = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="opentalk-w3-")))
        pg = stack.enter_context(_postgres(args.db))
        _reset_postgres(pg)
        urls = {"SQLite": f"sqlite:///{tmp / 'w3.db'}", "PostgreSQL": pg}
        for name, url in urls.items():
            print(f"{name}: importing ...", file=sys.stderr)
            took, n = load(url, parsed.items, parsed.errors)
            results[name] = {"import (W4)": {"seconds": took, "count": n}}
        print("W3 (both stores, interleaved) ...", file=sys.stderr)
        for name, found in store_rows(urls, args.repeat).items():
            results[name].update(found)
        if args.http:  # alternating rounds, so both see the same machine load
            rounds = 2
            runs: dict[str, list[dict]] = {n: [] for n in urls}
            for r in range(rounds):
                for name, url in urls.items():
                    print(f"{name}: HTTP round {r + 1} ...", file=sys.stderr)
                    with serving(url, args.workers) as base:
                        runs[name].append(http_load(base, args.clients, args.seconds / rounds))
            for name, got in runs.items():
                results[name]["http"] = {
                    "rps": statistics.mean(g["rps"] for g in got),
                    "p50_ms": statistics.median(g["p50_ms"] for g in got),
                    "requests": sum(g["requests"] for g in got), "failures": sum(g["failures"] for g in got),
                    "rounds_rps": [round(g["rps"], 1) for g in got],
                }
    rows = ["import (W4)", "W3 cold", "W3 warm", "calendar view cold", "calendar view warm"]
    print("| measurement | SQLite | PostgreSQL |")
    print("|---|---:|---:|")
    for r in rows:
        cells = [f"{results[n][r]['seconds'] * 1000:.1f} ms ({results[n][r]['count']})" for n in urls]
        print(f"| {r} | {' | '.join(cells)} |")
    if args.http:
        h = [results[n]["http"] for n in urls]
        print(f"| GET /v1/events/instances, {args.clients} clients, {args.workers} worker(s): requests/s | "
              + " | ".join(f"{x['rps']:.1f}" for x in h) + " |")
        print("| same: median latency | " + " | ".join(f"{x['p50_ms']:.1f} ms" for x in h) + " |")
        print("| same: failed requests | " + " | ".join(str(x["failures"]) for x in h) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
