"""The push's memory: what was sent where, in the store's own database.

Two tables, part of the store's schema since version 4 on SQLite and PostgreSQL
(:data:`opentalk_sched.store.schema.CALDAV_TABLES` and its PostgreSQL twin), so
``SyncState(store)`` works on either backend and its writes join the store's
transaction (statements through :mod:`opentalk_sched.store.sql`):

``caldav_targets``
    one row per (user, server URL, calendar name): the calendar collection URL found
    on the first run (so later runs skip discovery) and the last RFC 6578 sync token.
``caldav_items``
    one row per pushed event: ``href`` (absolute path of the resource), ``etag`` (the
    server's ETag of the copy that says what we pushed, or that we adopted / accepted),
    ``revision`` and ``content_hash`` of what we pushed (:func:`.content.content_hash`),
    what the last listing saw: ``remote_etag`` (``None`` = nothing new) and
    ``remote_gone`` (the server no longer has it), and ``status``: ``synced``,
    ``conflict`` (left open by policy ``report``, looked at again on every run) or
    ``dropped`` (the server's deletion was accepted by policy ``theirs``).

The state can also live in an SQLite file of its own (``SyncState("state.db")``, or a
connection): there this module creates the tables, and ``caldav_meta`` holds their
version (:data:`SCHEMA_VERSION`); a newer version on disk raises
:class:`~.errors.StateSchemaError` rather than guessing.

    >>> from opentalk_sched.store import SqliteStore
    >>> state = SyncState(SqliteStore(":memory:"))        # or a PostgresStore, or a path
    >>> target = state.target("alice@example.com", "http://127.0.0.1:5232/", "Work")
    >>> state.save_item(ItemState(target.id, "e1", "/alice/work/e1.ics", '"1"', 0, "h"))
    >>> state.items(target.id)["e1"].etag
    '"1"'

Every write commits at once, one row at a time, so a run that is killed keeps what it
did; the conditional requests of the engine make the rest idempotent.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from ..store import sql
from ..store.schema import CALDAV_TABLES
from .errors import CalDAVError, StateSchemaError

#: version of the caldav_* tables written by this module
SCHEMA_VERSION = 1

#: item statuses
SYNCED, CONFLICT, DROPPED = "synced", "conflict", "dropped"

#: a state file of its own: the store's caldav tables plus their version
_SCHEMA = """
CREATE TABLE IF NOT EXISTS caldav_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""" + CALDAV_TABLES


@dataclass(frozen=True, slots=True)
class Target:
    """One destination calendar of one user. ``calendar`` is ``""`` when the URL
    itself names the collection. ``collection_url`` and ``sync_token`` are ``None``
    until the first run finds them."""

    id: int
    user: str
    server_url: str
    calendar: str
    collection_url: str | None = None
    sync_token: str | None = None

    def replace(self, **changes) -> "Target":
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ItemState:
    """What the push knows about one event on one target (see the module docstring).

    ``status``: :data:`SYNCED` (``etag`` names the server copy of what we pushed),
    :data:`CONFLICT` (a conflict left open; ``etag`` is the last synced ETag, ``None``
    when the first push met a foreign resource) or :data:`DROPPED` (the server's
    deletion was accepted; nothing is pushed again until the event changes).
    """

    target_id: int
    event_id: str
    href: str
    etag: str | None
    revision: int
    content_hash: str
    remote_etag: str | None = None
    remote_gone: bool = False
    status: str = "synced"
    pushed_at: str | None = None

    @property
    def remote_changed(self) -> bool:
        """The last listing saw an ETag other than the one we know (RFC 4918 §8.6)."""
        return self.remote_etag is not None and self.remote_etag != self.etag

    def replace(self, **changes) -> "ItemState":
        return replace(self, **changes)


class SyncState:
    """The caldav_* tables in a store's database, or in an SQLite database of their own.

    ``db``: a store (:class:`~opentalk_sched.store.SqliteStore` or
    :class:`~opentalk_sched.store.postgres.PostgresStore`: the tables come with its
    schema), or a ``sqlite_utils.Database``, a ``sqlite3.Connection`` or a path
    (``":memory:"`` for tests), where the tables are created on first use. Raises
    :class:`StateSchemaError` when such a database holds a newer state schema version.
    """

    def __init__(self, db) -> None:
        self.store = db if sql.backend(db) is not None else None
        self.conn: sqlite3.Connection | None = None
        if self.store is None:
            if isinstance(db, (str, Path)):
                db = sqlite3.connect(str(db))
            self.conn = getattr(db, "conn", db)
            self._migrate()

    @classmethod
    def for_store(cls, store) -> "SyncState":
        """The state in ``store``'s database. Raises :class:`~.errors.CalDAVError`
        ``caldav_state_missing`` for a store that keeps none (pass ``state=`` then)."""
        if sql.backend(store) is None and getattr(store, "db", None) is None:
            raise CalDAVError("the store keeps no CalDAV state; pass state=",
                              code="caldav_state_missing", field="store")
        return cls(store if sql.backend(store) is not None else store.db)

    # -- schema ---------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._tx() as c:
            for statement in _statements(_SCHEMA):
                c._run(statement)
            rows = c._run("SELECT value FROM caldav_meta WHERE key = 'schema_version'")
            row = rows[0] if rows else None
            if row is None:
                c._run("INSERT INTO caldav_meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StateSchemaError(
                    f"caldav state schema {row[0]} is newer than this version understands ({SCHEMA_VERSION})",
                    field="caldav_meta.schema_version", value=row[0],
                )

    @contextmanager
    def _tx(self) -> Iterator["SyncState"]:
        """One transaction (the store's, or the caller's when one is open: joined);
        commits on success, rolls back on any error. Yields ``self``: run the
        statements with :meth:`_run` / :meth:`_run_many`."""
        if self.store is not None:
            with self.store.transaction():
                yield self
            return
        conn = self.conn
        if conn.in_transaction:  # the caller's transaction: join it
            yield self
            return
        if conn.isolation_level is None:
            conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def _run(self, statement: str, params=()) -> list[tuple]:
        """One statement (``?`` placeholders, SQL both backends read: :mod:`~opentalk_sched.store.sql`)."""
        if self.store is not None:
            return sql.run(self.store, statement, params)
        return self.conn.execute(statement, params).fetchall()

    def _run_many(self, statement: str, rows: list) -> None:
        if self.store is not None:
            sql.run_many(self.store, statement, rows)
        elif rows:
            self.conn.executemany(statement, rows)

    # -- targets --------------------------------------------------------------------

    def target(self, user: str, server_url: str, calendar: str | None) -> Target:
        """The target row for (user, server URL, calendar name), created if missing."""
        key = (user, server_url, calendar or "")
        with self._tx() as c:
            c._run(
                'INSERT INTO caldav_targets ("user", server_url, calendar, updated_at) VALUES (?, ?, ?, ?)'
                ' ON CONFLICT ("user", server_url, calendar) DO NOTHING',
                (*key, _now()),
            )
            row = c._run(
                'SELECT id, "user", server_url, calendar, collection_url, sync_token FROM caldav_targets'
                ' WHERE "user" = ? AND server_url = ? AND calendar = ?',
                key,
            )[0]
        return Target(*row)

    def save_target(self, target: Target) -> None:
        """Store the target's collection URL and sync token."""
        with self._tx() as c:
            c._run(
                "UPDATE caldav_targets SET collection_url = ?, sync_token = ?, updated_at = ? WHERE id = ?",
                (target.collection_url, target.sync_token, _now(), target.id),
            )

    # -- items ----------------------------------------------------------------------

    def items(self, target_id: int) -> dict[str, ItemState]:
        """Every item row of a target, by event id."""
        rows = self._run(
            "SELECT target_id, event_id, href, etag, revision, content_hash, remote_etag, remote_gone, status, pushed_at"
            " FROM caldav_items WHERE target_id = ?",
            (target_id,),
        )
        return {r[1]: ItemState(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9]) for r in rows}

    def save_item(self, item: ItemState) -> None:
        """Insert or replace one item row (committed at once)."""
        self.save_items([item])

    def save_items(self, items: Iterable[ItemState], target: Target | None = None) -> None:
        """Insert or replace many item rows, and optionally the target, in one transaction."""
        with self._tx() as c:
            c._run_many(
                "INSERT INTO caldav_items (target_id, event_id, href, etag, revision, content_hash,"
                " remote_etag, remote_gone, status, pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (target_id, event_id) DO UPDATE SET href = excluded.href, etag = excluded.etag,"
                " revision = excluded.revision, content_hash = excluded.content_hash,"
                " remote_etag = excluded.remote_etag, remote_gone = excluded.remote_gone,"
                " status = excluded.status, pushed_at = excluded.pushed_at",
                [
                    (i.target_id, i.event_id, i.href, i.etag, i.revision, i.content_hash, i.remote_etag,
                     bool(i.remote_gone), i.status, i.pushed_at)
                    for i in items
                ],
            )
            if target is not None:
                c._run(
                    "UPDATE caldav_targets SET collection_url = ?, sync_token = ?, updated_at = ? WHERE id = ?",
                    (target.collection_url, target.sync_token, _now(), target.id),
                )

    def delete_item(self, target_id: int, event_id: str) -> None:
        """Forget one item (after its remote copy was deleted)."""
        with self._tx() as c:
            c._run("DELETE FROM caldav_items WHERE target_id = ? AND event_id = ?", (target_id, event_id))


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
