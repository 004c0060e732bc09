"""HTTP load test of the calendar view: ``GET /v1/events/instances`` over a real socket.

What it measures: requests per second and latency percentiles of a one-month calendar
view (the W3 window, March 2027) against a store holding the deterministic 10,000-event
W3 calendar (:mod:`benchmarks.calendar_gen`) for one user, with N concurrent clients on
127.0.0.1. The server is ``python -m opentalk_sched serve`` in its own process (one
uvicorn worker, SQLite in WAL mode), exactly what users run.

Steps: build the store once (cached under ``benchmarks/results/http-load/``), start the
server on a free port, warm up, then run the load for ``--seconds`` with an asyncio
httpx client (``--clients`` connections, one request in flight each), or with ``wrk``
when ``--wrk`` is given and installed. Server and client share this machine's cores;
the report says how many.

    python -m benchmarks.http_load                       # 20 clients, 20 s, per_page 30
    python -m benchmarks.http_load --per-page 100 --wrk  # wrk as the client
    python -m benchmarks.http_load --wrk --workers 2     # two server processes
    python -m benchmarks.http_load --db postgresql://me@127.0.0.1/load   # PostgreSQL store

Prints one JSON object (and writes it to ``benchmarks/results/http-load/latest.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "http-load"
TOKEN = "load-token"
EMAIL = "load@example.org"
WINDOW = ("2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z")


def build_store(events: int, seed: int, url: str | None = None) -> Path | str:
    """The SQLite store with the W3 calendar imported for the load user (cached)."""
    from opentalk_sched.ical.importer import read_calendar
    from opentalk_sched.service import Service
    from opentalk_sched.store import open_store

    from .calendar_gen import generate, to_ics

    if url is not None:  # --db: that store (e.g. postgresql://), loaded once while it is empty
        store = open_store(url)
        try:
            if store.count_events() == 0:
                service = Service(store)
                user = service.get_or_create_user_by_subject(EMAIL, email=EMAIL, display_name="Load")
                parsed = read_calendar(to_ics(generate(events, seed)), skip_invalid=True)
                service.import_series(user.id, parsed.items, skipped=parsed.errors, skip_invalid=True)
                store.optimize()
        finally:
            store.close()
        return url
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"w3-{events}-{seed}.db"
    if db.exists():
        return db
    tmp = db.with_suffix(".tmp.db")
    for p in tmp.parent.glob(tmp.name + "*"):
        p.unlink()
    t0 = time.perf_counter()
    parsed = read_calendar(to_ics(generate(events, seed)), skip_invalid=True)
    store = open_store(tmp)
    try:
        service = Service(store)
        user = service.get_or_create_user_by_subject(EMAIL, email=EMAIL, display_name="Load")
        report = service.import_series(user.id, parsed.items, skipped=parsed.errors, skip_invalid=True)
        store.optimize()
    finally:
        store.close()
    tmp.rename(db)
    print(f"built {db.name}: {len(report.created)} events in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return db


def store_kind(url: str | None) -> str:
    from opentalk_sched.store import parse_store_url

    return "sqlite" if url is None else parse_store_url(url)[0]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children (Linux ``/proc``), 0 elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    try:
        pids = [pid] + [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                        and _ppid(int(p.name)) == pid]
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        return 0.0
    return total


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, workers: int = 1) -> subprocess.Popen:
    tokens = OUT / "tokens.txt"
    tokens.write_text(f"{TOKEN} {EMAIL} Load\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "opentalk_sched", "serve", "--db", str(db), "--tokens", str(tokens),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited: " + proc.stderr.read().decode())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def _load(url: str, clients: int, seconds: float, warmup: float) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    errors = 0
    sizes: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        async def worker(until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                t = time.perf_counter()
                r = await client.get(url, headers=headers)
                dt = time.perf_counter() - t
                if r.status_code != 200:
                    errors += 1
                elif record:
                    latencies.append(dt)
                    if len(sizes) < 5:
                        sizes.append(len(r.content))

        await asyncio.gather(*(worker(time.perf_counter() + warmup, False) for _ in range(clients)))
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    if not latencies:  # a warm-up only
        return {"errors": errors}
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "client": "httpx (asyncio)", "requests": len(latencies), "errors": errors, "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1), "p50_ms": round(pct(50), 1), "p90_ms": round(pct(90), 1),
        "p99_ms": round(pct(99), 1), "max_ms": round(latencies[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1), "body_bytes": sizes[0] if sizes else 0,
    }


def run_wrk(url: str, clients: int, seconds: float) -> dict:
    """wrk with ``clients`` connections on one thread; latency percentiles from its report."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-H", f"Authorization: Bearer {TOKEN}",
         url], capture_output=True, text=True, check=True,
    ).stdout

    def ms(text: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s)", text)
        value, unit = float(m.group(1)), m.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 1)

    pcts = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "client": "wrk -t1", "rps": round(rps, 1), "p50_ms": ms(pcts["50"]), "p90_ms": ms(pcts["90"]),
        "p99_ms": ms(pcts["99"]), "errors": int(non2xx.group(1)) if non2xx else 0, "raw": out,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--per-page", type=int, default=30)
    p.add_argument("--workers", type=int, default=1, help="server worker processes")
    p.add_argument("--wrk", action="store_true", help="use wrk as the client (apt-get install wrk)")
    p.add_argument("--db", default=None,
                   help="serve this store (a postgresql:// URL or SQLite path; the W3 calendar is imported when it"
                        " has no events) instead of the cached SQLite file")
    args = p.parse_args(argv)

    db = build_store(args.events, args.seed, args.db)
    port = free_port()
    proc = start_server(db, port, args.workers)
    url = (f"http://127.0.0.1:{port}/v1/events/instances?time_min={WINDOW[0]}&time_max={WINDOW[1]}"
           f"&per_page={args.per_page}")
    try:
        import httpx

        first = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert first.status_code == 200, first.text
        if args.wrk:
            if shutil.which("wrk") is None:
                raise SystemExit("wrk is not installed (apt-get install -y wrk)")
            asyncio.run(_load(url, args.clients, 0.0, args.warmup))  # warm-up through httpx
            cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
            result = run_wrk(url, args.clients, args.seconds)
            requests = result["rps"] * (time.perf_counter() - t0)
        else:
            asyncio.run(_load(url, args.clients, 0.0, args.warmup))  # warm-up
            cpu0 = _cpu_seconds(proc.pid)
            result = asyncio.run(_load(url, args.clients, args.seconds, 0.0))
            requests = result["requests"] + result["errors"]
        cpu = _cpu_seconds(proc.pid) - cpu0
        if cpu > 0 and requests:
            result["server_cpu_ms_per_request"] = round(cpu * 1000 / requests, 1)
        result["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        result.update(
            endpoint="GET /v1/events/instances", window=f"{WINDOW[0]}..{WINDOW[1]}", per_page=args.per_page,
            items_per_response=len(first.json()), events_in_store=args.events, clients=args.clients,
            cores=os.cpu_count(), workers=args.workers, store=store_kind(args.db),
            shared=f"server ({args.workers} uvicorn worker(s)) and client on the same {os.cpu_count()} cores",
            python=platform.python_version(), machine=platform.machine(),
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
