"""The store backends the store and service tests run on, and raw SQL on either.

``tests/conftest.py`` has the ``store`` fixture, parametrised over :data:`BACKENDS`:
``sqlite`` is a fresh in-memory :class:`SqliteStore`; ``postgres`` is a
:class:`PostgresStore` on one database of the session's throw-away server
(``postgres_dsn``), migrated once and emptied (``TRUNCATE``) before every test, so tests
stay independent without paying for a database each.

A test that checks how one backend represents something (SQLite's text columns, its
query plan) is marked ``@pytest.mark.backends("sqlite")``; it then runs on that backend
only, and ``tests/test_postgres_store.py`` checks the PostgreSQL representation.

    run_sql(store, "SELECT COUNT(*) FROM events")     # '?' placeholders on both backends
"""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence

#: the backends every store / service test runs on
BACKENDS = ("sqlite", "postgres")
#: the test database on the session's PostgreSQL server
TEST_DATABASE = "opentalk_sched_tests"

try:  # psycopg is the "postgres" extra; without it only SQLite's error is expected
    import psycopg

    INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
except ImportError:  # pragma: no cover
    INTEGRITY_ERRORS = (sqlite3.IntegrityError,)


def backend_of(store) -> str:
    return "postgres" if type(store).__name__ == "PostgresStore" else "sqlite"


def run_sql(store, query: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one statement on the store's database (its transaction when inside one);
    returns the rows as tuples (``[]`` for statements without rows). ``?`` placeholders
    are rewritten for PostgreSQL."""
    if backend_of(store) == "sqlite":
        return store.db.execute(query, params).fetchall()
    with store.connection() as conn:
        cur = conn.execute(query.replace("?", "%s"), params)
        return cur.fetchall() if cur.description is not None else []


def database_dsn(server_dsn: str, name: str) -> str:
    """The DSN of database ``name`` on the server of ``server_dsn`` (a URL)."""
    base, _, _db = server_dsn.rpartition("/")
    return f"{base}/{name}"


def create_database(server_dsn: str, name: str) -> str:
    """(Re)create an empty database on the server; returns its DSN."""
    import psycopg

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_dsn(server_dsn, name)


def empty_tables(store) -> None:
    """Remove every row of every table of a PostgresStore (the schema stays; ``DELETE``
    rather than ``TRUNCATE``, which is slower on tiny tables and resets the server's caches)."""
    from opentalk_sched.store.postgres_schema import TABLES

    with store.connection() as conn:
        conn.execute("; ".join(f"DELETE FROM {t}" for t in TABLES))
