"""``opentalk-sched migrate --db URL [--check]``: create or upgrade a store's schema.

    opentalk-sched migrate --db postgresql://admin@db.example.org/calendar
    opentalk-sched migrate --db cal.db --check        # exit 1 while a migration is due

``--db`` is a store location as :func:`opentalk_sched.store.open_store` reads it (an
SQLite path or ``sqlite:///`` URL, or a ``postgresql://`` URL), default
``$OPENTALK_SCHED_DB``. The stores migrate themselves when they open; this command is for
deployments where the application's database role may not change the schema, or where
the schema should change before the new version starts: run it once with a role that
may, then start the servers (PostgreSQL: ``PostgresStore(url, migrate=False)`` refuses
an old schema instead of migrating it).

Prints one line ``<store>: schema N -> M`` (or ``schema N, up to date``); passwords in
URLs are shown as ``***``. Exit status: 0 done / up to date, 1 with ``--check`` when a
migration is due (nothing is changed), 2 when the store cannot be opened or its schema is
newer than this program.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..store import parse_store_url
from ..store.schema import SCHEMA_VERSION, SchemaTooNew


def register(sub) -> None:
    p = sub.add_parser("migrate", help="create or upgrade the schema of a store (SQLite file or PostgreSQL URL)")
    p.add_argument("--db", default=os.environ.get("OPENTALK_SCHED_DB"),
                   help="the store: SQLite path / sqlite:/// URL or postgresql:// URL (default: $OPENTALK_SCHED_DB)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 when a migration is due")
    p.set_defaults(func=run)


def _sqlite(path: str, check: bool) -> tuple[int, int]:
    import sqlite_utils

    from ..store import SqliteStore
    from ..store.schema import current_version

    before = 0
    if path != ":memory:" and Path(path).exists():
        db = sqlite_utils.Database(path)
        try:
            before = current_version(db)
        finally:
            db.close()
    if before > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema {before} is newer than this program's {SCHEMA_VERSION}")
    if check or before == SCHEMA_VERSION:
        return before, before
    SqliteStore(path).close()  # opening migrates (and switches the file to WAL)
    return before, SCHEMA_VERSION


def _postgres(url: str, check: bool) -> tuple[int, int]:
    import psycopg

    from ..store import postgres_schema

    with psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="opentalk-sched migrate") as conn:
        before = postgres_schema.current_version(conn)
        if before > SCHEMA_VERSION:
            raise SchemaTooNew(f"database schema {before} is newer than this program's {SCHEMA_VERSION}")
        if check:
            return before, before
        return before, postgres_schema.migrate(conn)


def run(args: argparse.Namespace) -> int:
    if not args.db:
        print("opentalk-sched migrate: give --db URL (or set OPENTALK_SCHED_DB)", file=sys.stderr)
        return 2
    backend, target = parse_store_url(args.db)  # ValueError: main() prints it, exit 2
    if backend == "postgres":
        from ..store.postgres import redact

        shown = redact(target)
    else:
        shown = target
    try:
        before, after = (_postgres if backend == "postgres" else _sqlite)(target, args.check)
    except SchemaTooNew as err:
        print(f"opentalk-sched migrate: {shown}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # connection refused, authentication, permission denied ...
        if type(err).__module__.split(".")[0] not in ("psycopg", "sqlite3", "psycopg_pool"):
            raise
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"opentalk-sched migrate: {shown}: {message}", file=sys.stderr)
        return 2
    if after == before:
        due = before < SCHEMA_VERSION
        state = f"migration to {SCHEMA_VERSION} due" if due else "up to date"
        print(f"{shown}: schema {before}, {state}")
        return 1 if due else 0
    print(f"{shown}: schema {before} -> {after}")
    return 0
