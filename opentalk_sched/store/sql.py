"""Statements on a store's own database, for the modules that keep a table there.

The working hours of :mod:`opentalk_sched.scheduling` and the CalDAV push state of
:mod:`opentalk_sched.caldav.state` live in the store's database, on either backend;
their tables come with the store's schema (version 4 of :mod:`.schema` and
:mod:`.postgres_schema`), so ``opentalk-sched migrate`` creates them and an application
role without DDL rights (``PostgresStore(migrate=False)``) can use them. This module
runs their statements on the store's connection, so they join the store's
:meth:`~opentalk_sched.store.base.Store.transaction` like every other store call.

One SQL text serves both backends: ``?`` placeholders (rewritten to ``%s`` for
PostgreSQL, so the text holds no other ``?`` and no ``%``), ``INSERT ... ON CONFLICT``
instead of ``INSERT OR ...``, and identifiers PostgreSQL reserves quoted (``"user"``).
Parameters are Python values both drivers take (``str`` ids and ISO stamps are cast by
PostgreSQL to the column's ``uuid`` / ``timestamptz``).

    >>> from opentalk_sched.store import SqliteStore
    >>> store = SqliteStore(":memory:")
    >>> backend(store), run(store, "SELECT count(*) FROM scheduling_working_hours WHERE user_id = ?", ("x",))
    ('sqlite', [(0,)])
    >>> backend(object()) is None
    True
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

__all__ = ["backend", "run", "run_many"]


def backend(store: Any) -> str | None:
    """``"sqlite"`` for a :class:`~opentalk_sched.store.sqlite.SqliteStore`, ``"postgres"``
    for a :class:`~opentalk_sched.store.postgres.PostgresStore` (subclasses included),
    ``None`` for anything else. By class name: importing PostgresStore needs psycopg."""
    for cls in type(store).__mro__:
        if cls.__name__ == "SqliteStore":
            return "sqlite"
        if cls.__name__ == "PostgresStore":
            return "postgres"
    return None


def _backend(store: Any) -> str:
    found = backend(store)
    if found is None:
        raise TypeError(f"{type(store).__name__} is not a SqliteStore or PostgresStore")
    return found


def run(store: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one statement (``?`` placeholders) on the store's connection (its transaction
    when the calling thread is inside one; else the statement commits by itself). Returns
    the rows as tuples, ``[]`` for a statement without rows. Raises ``TypeError`` for
    another kind of store, and the driver's errors."""
    if _backend(store) == "sqlite":
        return store.conn.execute(sql, params).fetchall()
    with store.connection() as conn:
        cur = conn.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description is not None else []


def run_many(store: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run one statement once per parameter row (in one transaction when the caller is
    not inside one). Raises like :func:`run`."""
    rows = list(rows)
    if not rows:
        return
    if _backend(store) == "sqlite":
        with store.transaction():
            store.conn.executemany(sql, rows)
        return
    with store.transaction(), store.connection() as conn, conn.cursor() as cur:
        cur.executemany(sql.replace("?", "%s"), rows)
