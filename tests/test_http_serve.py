"""End to end: ``python -m opentalk_sched serve`` as a real process on 127.0.0.1 (a free
port), queried with a real HTTP client, then stopped (SIGTERM) and its store checked."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from opentalk_sched.store import open_store

ROOT = Path(__file__).resolve().parent.parent
#: uvicorn shuts down gracefully on SIGTERM, then re-raises it: the exit status says so
STOPPED = (0, -signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The serve command in a child process; ``lines`` collects its stdout."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "opentalk_sched", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "warning", *args],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("serve exited early:\n" + "\n".join(self.lines))
            try:
                if httpx.get(self.base + "/openapi.json", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("serve did not answer in time:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


@pytest.fixture
def tokens(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.txt"
    path.write_text("# test tokens\ntok-alice alice@example.org Alice Anders\ntok-bob bob@example.org Bob Brandt\n")
    return path


def test_serve_with_db_and_tokens(tmp_path: Path, tokens: Path):
    db = tmp_path / "cal.db"
    server = Server(["--db", str(db), "--tokens", str(tokens)], cwd=tmp_path)
    try:
        server.wait_ready()
        alice = {"Authorization": "Bearer tok-alice"}
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            r = client.get("/v1/events")
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            assert r.json()["code"] == "unauthorized"
            r = client.post("/v1/events", headers=alice, json={
                "title": "Standup", "is_time_independent": False, "is_all_day": False,
                "starts_at": {"datetime": "2025-03-10T08:00:00Z", "timezone": "Europe/Berlin"},
                "ends_at": {"datetime": "2025-03-10T08:15:00Z", "timezone": "Europe/Berlin"},
                "recurrence_pattern": ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"],
            })
            assert r.status_code == 201, r.text
            event = r.json()
            assert r.headers["location"] == f"{server.base}/v1/events/{event['id']}"
            r = client.post(f"/v1/events/{event['id']}/invites", headers=alice, json={"email": "bob@example.org"})
            assert r.status_code == 201

            # the calendar view, followed page by page through the Link header
            url = "/v1/events/instances?time_min=2025-03-01T00:00:00Z&time_max=2025-04-01T00:00:00Z&per_page=3"
            seen = []
            while url:
                r = client.get(url, headers=alice)
                assert r.status_code == 200
                seen += [(i["instance_id"], i["starts_at"]["datetime"]) for i in r.json()]
                link = r.headers.get("link")
                url = re.match(r"<([^>]+)>; rel=\"after\"", link).group(1) if link else None
            assert seen == [
                ("20250310T080000Z", "2025-03-10T08:00:00Z"), ("20250312T080000Z", "2025-03-12T08:00:00Z"),
                ("20250317T080000Z", "2025-03-17T08:00:00Z"), ("20250319T080000Z", "2025-03-19T08:00:00Z"),
                ("20250324T080000Z", "2025-03-24T08:00:00Z"), ("20250326T080000Z", "2025-03-26T08:00:00Z"),
                ("20250331T070000Z", "2025-03-31T07:00:00Z"),  # summer time: still 09:00 in Berlin
            ]
            # bob logs in for the first time: his email invite became his own
            bob = {"Authorization": "Bearer tok-bob"}
            assert client.get("/v1/users/me/pending_invites", headers=bob).json() == {"total_pending_invites": 1}
            assert client.patch(f"/v1/events/{event['id']}/invite", headers=bob).status_code == 204
            r = client.get(f"/v1/events/{event['id']}", headers=bob)
            assert (r.json()["invite_status"], r.json()["can_edit"]) == ("accepted", False)
            assert client.get("/openapi.json").json()["info"]["title"] == "opentalk-sched events API"
    finally:
        code = server.stop()
    assert code in STOPPED, "\n".join(server.lines)
    store = open_store(db)
    try:
        assert [e.title for e in store.get_events([__import__("uuid").UUID(event["id"])]).values()] == ["Standup"]
    finally:
        store.close()


def test_serve_demo_mode_from_a_fresh_directory(tmp_path: Path):
    server = Server(["--examples", str(ROOT / "examples")], cwd=tmp_path)
    try:
        server.wait_ready()
        banner = "\n".join(server.lines)
        m = re.search(r"curl -H 'Authorization: Bearer (\S+)' '(\S+)'", banner)
        assert m, banner
        token, url = m.groups()
        assert url.startswith(server.base + "/v1/events/instances?time_min=")
        r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0)
        assert r.status_code == 200
        items = r.json()
        assert items, "the demo calendars have instances in the printed window"
        assert {"Team weekly", "Release day"} <= {i["title"] for i in items}
        starts = [i["starts_at"]["datetime"] for i in items]
        assert starts == sorted(starts)
        assert all("2026-03-01" <= s < "2026-04-01" for s in starts)
    finally:
        code = server.stop()
    assert code in STOPPED, "\n".join(server.lines)
    assert (tmp_path / "opentalk-sched.db").exists()
    tokens = (tmp_path / "opentalk-sched.db.tokens")
    assert tokens.stat().st_mode & 0o777 == 0o600
    assert [ln.split()[1] for ln in tokens.read_text().splitlines() if not ln.startswith("#")] == [
        "alice@example.com", "bob@example.com"]


def test_serve_options_without_starting(tmp_path: Path, tokens: Path):
    from opentalk_sched.api.auth import OidcVerifier, StaticTokenVerifier
    from opentalk_sched.cli import build_parser
    from opentalk_sched.cli.serve import build

    parse = build_parser().parse_args
    args = parse(["serve", "--db", str(tmp_path / "a.db"), "--oidc-issuer", "https://id.example.test",
                  "--oidc-audience", "sched", "--oidc-jwks-url", "https://id.example.test/jwks"])
    app, store, tokens_path = build(args)
    assert isinstance(app.state.opentalk_verifier, OidcVerifier) and tokens_path is None
    assert app.state.opentalk_verifier.issuer == "https://id.example.test"
    store.close()
    args = parse(["serve", "--db", str(tmp_path / "b.db"), "--tokens", str(tokens)])
    app, store, tokens_path = build(args)
    assert isinstance(app.state.opentalk_verifier, StaticTokenVerifier) and tokens_path == tokens
    assert store.count_events() == 0  # no demo data with an explicit --db
    store.close()
    with pytest.raises(ValueError, match="either --tokens or --oidc-issuer"):
        build(parse(["serve", "--db", str(tmp_path / "c.db"), "--tokens", str(tokens), "--oidc-issuer", "x"]))


def test_serve_with_two_workers(tmp_path: Path, tokens: Path):
    server = Server(["--db", str(tmp_path / "w.db"), "--tokens", str(tokens), "--workers", "2"], cwd=tmp_path)
    try:
        server.wait_ready()
        alice = {"Authorization": "Bearer tok-alice"}
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            r = client.post("/v1/events", headers=alice, json={"title": "Someday", "is_time_independent": True})
            assert r.status_code == 201
            ids = {client.get(f"/v1/events/{r.json()['id']}", headers=alice).json()["id"] for _ in range(10)}
            assert ids == {r.json()["id"]}  # every worker reads the same store
    finally:
        code = server.stop()
    assert code in STOPPED, "\n".join(server.lines)
