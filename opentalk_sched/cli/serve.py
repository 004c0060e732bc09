"""``opentalk-sched serve [--db FILE] [--host 127.0.0.1] [--port 8080] [--tokens FILE]``.

Runs the events API (:mod:`opentalk_sched.api`) with uvicorn on an SQLite store.

* ``--db FILE``: the store (created when missing), or a ``postgresql://`` URL (the
  schema is created / migrated on start; needs ``--tokens`` or ``--oidc-issuer``; see
  docs/postgres.md). Without it the server runs in demo
  mode on ``./opentalk-sched.db``: the first start loads the calendars of
  ``examples/*.ics`` for the demo user alice@example.com, so there is something to see.
* Authentication, one of:

  - ``--tokens FILE``: a static token file, lines ``token email [display name]`` or JSON
    (:class:`~opentalk_sched.api.auth.StaticTokenVerifier`);
  - ``--oidc-issuer URL --oidc-audience AUD [--oidc-jwks-url URL]``: OIDC access tokens
    checked against the issuer's JWKS (:class:`~opentalk_sched.api.auth.OidcVerifier`);
  - neither: a token file next to the store (``<db>.tokens``) is used, and created with
    fresh random tokens for alice@example.com and bob@example.com when missing.

On start it prints the URL, the interactive docs URL, a token and a ``curl`` line that
works as printed. Users named by a valid token are created on first use. ``--workers N``
runs N uvicorn processes on the same store (each keeps its own compiled-series cache).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

DEFAULT_DB = Path("opentalk-sched.db")
DEMO_USERS = (("alice@example.com", "Alice Example"), ("bob@example.com", "Bob Example"))
#: a month in which the example calendars have something on every week
DEMO_WINDOW = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the events HTTP API (uvicorn, SQLite)")
    p.add_argument("--db", default=None,
                   help="the event store: an SQLite file (created when missing) or a postgresql:// URL"
                        f" (default: demo mode on ./{DEFAULT_DB})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--tokens", type=Path, default=None, help="static token file: 'token email [display name]' lines")
    p.add_argument("--oidc-issuer", default=None, help="accept OIDC access tokens of this issuer")
    p.add_argument("--oidc-audience", default=None, help="the audience (aud) those tokens must name")
    p.add_argument("--oidc-jwks-url", default=None, help="the issuer's JWKS (default: from OIDC discovery)")
    p.add_argument("--examples", type=Path, default=None,
                   help="folder of .ics files to load into a new demo store (default: the repository's examples/)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (default 1; SQLite in WAL mode serves readers in parallel)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)


def examples_dir(given: Path | None) -> Path | None:
    """The folder of demo calendars: ``given``, else ``examples/`` of the source tree,
    else ``./examples``; ``None`` when there is none."""
    candidates = [given] if given is not None else [
        Path(__file__).resolve().parents[2] / "examples", Path.cwd() / "examples",
    ]
    for c in candidates:
        if c is not None and c.is_dir():
            return c
    return None


def load_examples(service, folder: Path, email: str, name: str, out=sys.stdout) -> int:
    """Import every ``*.ics`` of ``folder`` for the user ``email``; returns how many events
    were created. Broken series are skipped and reported."""
    from ..ical.importer import read_calendar

    user = service.get_or_create_user_by_email(email, display_name=name)
    created = 0
    for path in sorted(folder.glob("*.ics")):
        result = read_calendar(path.read_bytes(), skip_invalid=True)
        report = service.import_series(user.id, result.items, skipped=result.errors, skip_invalid=True)
        created += len(report.created)
        for err in report.skipped:
            print(f"  skipped a series of {path.name}: {err}", file=out)
        print(f"  loaded {path.name}: {len(report.created)} events", file=out)
    return created


def demo_tokens(path: Path) -> Path:
    """Create ``path`` with a random token per demo user unless it exists (mode 0600)."""
    if not path.exists():
        lines = ["# opentalk-sched demo tokens: token email display name"]
        lines += [f"{secrets.token_urlsafe(24)} {email} {name}" for email, name in DEMO_USERS]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return path


def first_token(path: Path) -> tuple[str, str] | None:
    """(token, email) of the first entry of a line-format token file, if any."""
    try:
        for raw in path.read_text(encoding="utf-8").splitlines():
            parts = raw.strip().split()
            if len(parts) >= 2 and not parts[0].startswith("#") and "@" in parts[1]:
                return parts[0], parts[1]
    except OSError:
        return None
    return None


def prepare(args: argparse.Namespace, out=sys.stdout) -> dict:
    """Create the store (loading the demo calendars into a new demo store) and the token
    file; returns the settings every worker process builds its app from."""
    from ..service import Service
    from ..store import SqliteStore, parse_store_url

    if args.oidc_issuer and args.tokens is not None:
        raise ValueError("give either --tokens or --oidc-issuer, not both")
    demo = args.db is None
    backend, target = parse_store_url(args.db) if args.db is not None else ("sqlite", str(DEFAULT_DB))
    if backend != "sqlite" and not (args.tokens or args.oidc_issuer):
        raise ValueError("a PostgreSQL store needs --tokens FILE or --oidc-issuer")
    db = Path(target) if backend == "sqlite" else None
    fresh = db is not None and not db.exists()
    folder = examples_dir(args.examples) if demo else args.examples
    if fresh and (demo or folder is not None):
        store = SqliteStore(db)
        try:
            if folder is None:
                print("no examples/ folder found: starting with an empty store", file=out)
            else:
                print(f"new {'demo ' if demo else ''}store {db}: loading {folder}/*.ics for {DEMO_USERS[0][0]}",
                      file=out)
                load_examples(Service(store), folder, *DEMO_USERS[0], out=out)
        finally:
            store.close()
    tokens = None
    if not args.oidc_issuer:
        tokens = args.tokens or demo_tokens(db.with_name(db.name + ".tokens"))
    return {
        "db": str(db) if db is not None else target, "tokens": None if tokens is None else str(tokens),
        "oidc_issuer": args.oidc_issuer, "oidc_audience": args.oidc_audience, "oidc_jwks_url": args.oidc_jwks_url,
    }


def app_from_settings(settings: dict):
    """``(app, store)`` from the settings of :func:`prepare`."""
    from ..api import OidcVerifier, StaticTokenVerifier, create_app
    from ..ical.itip import itip_for
    from ..service import Service
    from ..store import open_store

    if settings["oidc_issuer"]:
        verifier = OidcVerifier(settings["oidc_issuer"], settings["oidc_audience"], jwks_url=settings["oidc_jwks_url"])
    else:
        verifier = StaticTokenVerifier.from_file(settings["tokens"])
    store = open_store(settings["db"])
    return create_app(Service(store, itip=itip_for), verifier), store


#: how :func:`worker_app` finds its settings in a worker process
SETTINGS_ENV = "OPENTALK_SCHED_SERVE_SETTINGS"


def worker_app():
    """App factory for uvicorn worker processes (``--workers N``)."""
    return app_from_settings(json.loads(os.environ[SETTINGS_ENV]))[0]


def build(args: argparse.Namespace, out=sys.stdout):
    """``(app, store, tokens path or None)`` in this process (separate from :func:`run`
    for tests)."""
    settings = prepare(args, out)
    app, store = app_from_settings(settings)
    return app, store, None if settings["tokens"] is None else Path(settings["tokens"])


def banner(args: argparse.Namespace, tokens_path: Path | None) -> str:
    base = f"http://{args.host if ':' not in args.host else '[' + args.host + ']'}:{args.port}"
    lines = [f"opentalk-sched events API on {base}/v1  (docs: {base}/docs)"]
    found = first_token(tokens_path) if tokens_path is not None else None
    if found is not None:
        token, email = found
        lines.append(f"tokens: {tokens_path}  (first one is {email})")
        lines.append(
            f"try:  curl -H 'Authorization: Bearer {token}' "
            f"'{base}/v1/events/instances?time_min={DEMO_WINDOW[0]}&time_max={DEMO_WINDOW[1]}'"
        )
    elif tokens_path is None:
        lines.append(f"tokens: OIDC access tokens of {args.oidc_issuer} (audience {args.oidc_audience})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    options = dict(host=args.host, port=args.port, log_level=args.log_level, access_log=args.log_level == "debug")
    if args.workers > 1:
        settings = prepare(args)
        os.environ[SETTINGS_ENV] = json.dumps(settings)
        print(banner(args, None if settings["tokens"] is None else Path(settings["tokens"])), flush=True)
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=args.workers, **options)
        return 0
    app, store, tokens_path = build(args)
    print(banner(args, tokens_path), flush=True)
    try:
        uvicorn.run(app, **options)
    finally:
        store.close()
    return 0
