"""The PostgreSQL event store, for deployments that outgrow one machine (SPEC §4).

    >>> store = PostgresStore("postgresql://app@db.example.org/calendar")   # doctest: +SKIP
    >>> store.save_event(Event.new("Planning"))                               # doctest: +SKIP

Same :class:`~opentalk_sched.store.base.Store` interface, behaviour and schema as
:class:`~opentalk_sched.store.sqlite.SqliteStore`, so the service and the HTTP API run
on it unchanged; rows are encoded by the shared :mod:`~opentalk_sched.store.codec`,
compiled series come from the shared :class:`~opentalk_sched.store.series_cache.SeriesCache`.
The tables are in :mod:`~opentalk_sched.store.postgres_schema` (created and migrated when
the store opens, unless ``migrate=False``).

Connections: a :class:`psycopg_pool.ConnectionPool` of autocommit connections (session
time zone UTC). A single call outside :meth:`transaction` borrows a connection for one
statement (or, for multi-row writes, one transaction). :meth:`transaction` pins one
connection to the calling thread until the block ends; every store call the thread
makes inside the block runs on it. Nested blocks are savepoints, as in SQLite.

Concurrent writers (several API processes, several machines). Transactions are READ
COMMITTED; the service's read-modify-write operations are made safe by locks the store
takes *inside* a :meth:`transaction`, where the service reads what it is about to change:

* :meth:`get_event` locks the event row (``SELECT ... FOR NO KEY UPDATE``, the row lock
  an ``UPDATE`` takes; it still lets other transactions insert invites and favorites
  that reference the event). A second writer of the same event waits until the first
  commits, then reads the committed event, so no patch, invite or answer is lost and
  ``revision`` counts every change. The lock is taken by its own statement, and the
  event is read by the next one, so the read sees what the other writer committed.
* :meth:`find_user_by_email`, :meth:`find_user_by_subject` and
  :meth:`find_event_by_ical_uid` take a transaction-level advisory lock on the key
  they look up, so "look up, then insert if missing" (creating a user at first login,
  re-importing a UID) happens once even when two requests race.

SQLite gets the same guarantee from its single writer (``BEGIN IMMEDIATE``). When
PostgreSQL has to abort a transaction to resolve a race (a deadlock between two
multi-event transactions, a serialization failure), the store raises
:class:`ConcurrentUpdate` (code ``conflict``, HTTP 409): nothing was written and the
request can be retried.

Reads outside a transaction take no locks. :meth:`window` answers "which timed events
can have an instance in [a, b)" with ``span && tstzrange(a, b, '[]')`` on the GiST
index and returns compiled series from the cache, loading (in one query) only the events
whose ``version`` is not cached; ``version`` comes from a sequence, so a write from any
process is a cache miss everywhere.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg.types.range import Range
from psycopg_pool import ConnectionPool

from ..core import UTC, Event, InviteRole, InviteStatus
from ..core.errors import SchedError
from . import codec, postgres_schema
from .records import EmailInvite, EventQuery, EventRow, ExceptionMeta, User, UserInvite, WindowHit
from .series_cache import CompiledEvent, SeriesCache

__all__ = ["PostgresStore", "ConcurrentUpdate", "redact"]

_EVENT_FLAGS = ("is_adhoc", "waiting_room", "is_time_independent", "is_all_day", "is_recurring")
_EXCEPTION_FLAGS = ("is_all_day", "this_and_future")
_EXCEPTION_COLUMNS = (
    "recurrence_id", "original_start_utc", "kind", "title", "description", "is_all_day", "starts_at", "ends_at",
    "this_and_future", "sequence", "properties",
)
#: an event row with its recurrence lines and exceptions (as JSON objects), one query
_EVENT_FIELDS = (
    "e.*,"
    " ARRAY(SELECT r.line FROM recurrence r WHERE r.event_id = e.id ORDER BY r.position) AS lines,"
    " (SELECT json_agg(x) FROM exceptions x WHERE x.event_id = e.id) AS exception_rows"
)
_EVENT_SELECT = f"SELECT {_EVENT_FIELDS} FROM events e"
_ORDER_KEY = "e.sort_start, coalesce(e.created_at, '-infinity'::timestamptz), e.id"
_INVITES_SQL = (
    "SELECT event_id, 0 AS kind, invitee::text AS who, role, status, created_by, created_at, updated_at"
    " FROM user_invites WHERE {where}"
    " UNION ALL SELECT event_id, 1 AS kind, email AS who, role, status, created_by, created_at, updated_at"
    " FROM email_invites WHERE {where}"
)
_INVITE_ORDER = 'created_at NULLS FIRST, kind, who COLLATE "C"'


class ConcurrentUpdate(SchedError):
    """PostgreSQL aborted the transaction to resolve a race with another writer
    (deadlock, serialization failure, lock timeout). Nothing of it was written; the
    operation can be retried. ``code`` ``conflict`` (HTTP 409)."""

    code = "conflict"


def redact(dsn: str) -> str:
    """A DSN / URL with its password replaced by ``***`` (for logs and messages)."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<dsn>"
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# -- value conversion: the codec's text columns → PostgreSQL types --------------------------


def _key_ts(text: str | None) -> datetime | None:
    """The codec's naive UTC text (``2025-03-10T08:00:00``) → aware UTC datetime."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _stamp(v: datetime | None) -> datetime | None:
    return codec.parse_stamp(codec.stamp_text(v))


def _span(start: str | None, end: str | None) -> Range | None:
    """``span_start``/``span_end`` text → an inclusive ``tstzrange`` (unbounded above for
    :data:`codec.OPEN_END`); ``None`` for time-independent events."""
    if start is None:
        return None
    return Range(_key_ts(start), None if end == codec.OPEN_END else _key_ts(end), "[]")


def _event_params(event: Event) -> dict[str, Any]:
    cols = codec.event_columns(event)
    for k in ("id", "created_by", "updated_by", "room_id"):
        cols[k] = codec.as_uuid(cols[k])
    for k in ("created_at", "updated_at"):
        cols[k] = codec.parse_stamp(cols[k])
    for k in _EVENT_FLAGS:
        if cols[k] is not None:
            cols[k] = bool(cols[k])
    cols["starts_at_utc"] = _key_ts(cols["starts_at_utc"])
    cols["ends_at_utc"] = _key_ts(cols["ends_at_utc"])
    cols["span"] = _span(cols.pop("span_start"), cols.pop("span_end"))
    return cols


def _exception_params(cols: dict[str, Any]) -> dict[str, Any]:
    out = dict(cols)
    for k in _EXCEPTION_FLAGS:
        if out[k] is not None:
            out[k] = bool(out[k])
    out["original_start_utc"] = _key_ts(out["original_start_utc"])
    return out


def _event_of(row: dict) -> Event:
    return codec.event_from_row(row, row["lines"] or [], row["exception_rows"] or [])


def _cursor_position(after: tuple[str, str, str]) -> tuple[str, datetime | None, uuid.UUID]:
    """A listing keyset position ``(sort_start, created_at text or '', id text)`` → typed."""
    sort_start, created, eid = after
    try:
        return sort_start, (codec.parse_stamp(created) if created else None), uuid.UUID(eid)
    except (TypeError, ValueError):
        raise SchedError("the cursor cannot be read", code="bad_request", field="after", value=str(after)) from None


def _user_invite(r: dict) -> UserInvite:
    return UserInvite(
        r["event_id"], r["invitee"], InviteRole(r["role"]), InviteStatus(r["status"]), r["created_by"],
        codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
    )


def _email_invite(r: dict) -> EmailInvite:
    return EmailInvite(
        r["event_id"], r["email"], InviteRole(r["role"]), InviteStatus(r["status"]), r["created_by"],
        codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
    )


def _invite_of(r: dict) -> UserInvite | EmailInvite:
    cls, who = (UserInvite, uuid.UUID(r["who"])) if r["kind"] == 0 else (EmailInvite, r["who"])
    return cls(
        r["event_id"], who, InviteRole(r["role"]), InviteStatus(r["status"]), r["created_by"],
        codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
    )


def _user(row: dict | None) -> User | None:
    if row is None:
        return None
    return User(
        id=row["id"], email=row["email"], display_name=row["display_name"], firstname=row["firstname"],
        lastname=row["lastname"], title=row["title"], avatar_url=row["avatar_url"], timezone=row["timezone"],
        subject=row["subject"], created_at=codec.parse_stamp(row["created_at"]),
    )


def _ids(ids: Iterable[uuid.UUID | None]) -> list[uuid.UUID]:
    return sorted({i for i in ids if i is not None})


_RACES = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable)
#: pipeline mode needs libpq 14+ (the psycopg[binary] wheels bundle one); else one statement at a time
_PIPELINE = psycopg.Pipeline.is_supported()


def _pipeline(conn: psycopg.Connection):
    """Send the block's statements together (one round trip) when libpq can."""
    return conn.pipeline() if _PIPELINE else contextlib.nullcontext()


class PostgresStore:
    """The :class:`~opentalk_sched.store.base.Store` on PostgreSQL (see the module docstring).

    ``dsn``: a libpq connection string or URL (``postgresql://user:pw@host:5432/db``).
    ``cache``: the compiled-series cache (a private one by default). ``min_size`` /
    ``max_size``: connections kept / allowed in the pool. ``timeout``: seconds to wait
    for a free connection (:class:`psycopg_pool.PoolTimeout` after that).
    ``connect_timeout``: seconds to wait for the server when opening.
    ``migrate``: create / migrate the schema when opening (default); with ``False``
    an older schema raises :class:`~opentalk_sched.store.postgres_schema.SchemaNotMigrated`.
    A newer schema always raises :class:`~opentalk_sched.store.schema.SchemaTooNew`.
    Connection errors are :class:`psycopg.OperationalError`.
    """

    def __init__(
        self,
        dsn: str,
        *,
        cache: SeriesCache | None = None,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        migrate: bool = True,
        application_name: str = "opentalk-sched",
    ) -> None:
        self.dsn = dsn
        self.series_cache = cache if cache is not None else SeriesCache()
        self._local = threading.local()
        kwargs = {"autocommit": True, "application_name": application_name}
        with psycopg.connect(dsn, connect_timeout=max(1, int(connect_timeout)), **kwargs) as conn:
            if migrate:
                self.schema_version = postgres_schema.migrate(conn)
            else:
                self.schema_version = postgres_schema.check(conn)
        self.pool = ConnectionPool(
            dsn, min_size=min_size, max_size=max_size, timeout=timeout, kwargs=kwargs,
            configure=self._configure, open=True, name="opentalk-sched",
        )

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.dsn)!r})"

    @staticmethod
    def _configure(conn: psycopg.Connection) -> None:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED

    # -- connections and transactions ------------------------------------------------

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """The thread's transaction connection inside :meth:`transaction`, else one
        borrowed from the pool for the block (autocommit)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        try:
            with self.pool.connection() as conn:
                yield conn
        except _RACES as err:
            raise ConcurrentUpdate(f"a concurrent write won the race: {err}") from err

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One READ COMMITTED transaction around the block: commit at the end, roll
        back on any exception. Nested blocks are savepoints (an exception caught inside
        the outer block undoes the inner block only). Raises :class:`ConcurrentUpdate`
        when PostgreSQL aborted the transaction to resolve a race."""
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None:
            with conn.transaction():
                yield
            return
        try:
            with self.pool.connection() as conn:
                local.conn = conn
                try:
                    with conn.transaction():
                        yield
                finally:
                    local.conn = None
        except _RACES as err:
            raise ConcurrentUpdate(f"a concurrent write won the race: {err}") from err

    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def close(self) -> None:
        """Close the pool (every connection; waits for borrowed ones to come back)."""
        self.pool.close()

    def optimize(self) -> None:
        """Refresh the planner's statistics (after a large import)."""
        self._exec("ANALYZE")

    def _rows(self, sql: str, params: Sequence | dict = ()) -> list[dict]:
        with self.connection() as conn:
            with conn.cursor(row_factory=dict_row) as cur:
                return cur.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence | dict = ()) -> dict | None:
        with self.connection() as conn:
            with conn.cursor(row_factory=dict_row) as cur:
                return cur.execute(sql, params).fetchone()

    def _tuples(self, sql: str, params: Sequence | dict = ()) -> list[tuple]:
        with self.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _exec(self, sql: str, params: Sequence | dict = ()) -> int:
        """Run one statement; returns its row count."""
        with self.connection() as conn:
            return conn.execute(sql, params).rowcount

    def _one_locked(self, lock: tuple[str, Sequence], sql: str, params: Sequence | dict = ()) -> dict | None:
        """:meth:`_one`, but inside a transaction the statement ``lock`` runs first and the
        read only once it has its lock: two statements sent together (pipeline mode, one
        round trip), the second with a snapshot taken after the first returned, so it sees
        what the previous lock holder committed. Outside a transaction: just the read."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return self._one(sql, params)
        with _pipeline(conn):
            conn.execute(*lock)
            with conn.cursor(row_factory=dict_row) as cur:
                return cur.execute(sql, params).fetchone()

    @staticmethod
    def _key_lock(*parts: object) -> tuple[str, tuple[str]]:
        """The advisory lock of a natural key (see the module docstring), held until commit."""
        return "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("opentalk-sched:" + ":".join(map(str, parts)),)

    # -- users ---------------------------------------------------------------------------

    def save_user(self, user: User) -> None:
        """Insert or update a user (by id). ``email`` must already be lowercased; a
        duplicate email or subject raises ``psycopg.errors.UniqueViolation``."""
        self._exec(
            "INSERT INTO users (id, email, subject, display_name, firstname, lastname, title, avatar_url, timezone,"
            " created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO UPDATE SET"
            " email = excluded.email, subject = excluded.subject, display_name = excluded.display_name,"
            " firstname = excluded.firstname, lastname = excluded.lastname, title = excluded.title,"
            " avatar_url = excluded.avatar_url, timezone = excluded.timezone",
            (user.id, user.email, user.subject, user.display_name, user.firstname, user.lastname, user.title,
             user.avatar_url, user.timezone, _stamp(user.created_at)),
        )

    def get_user(self, user_id: uuid.UUID) -> User | None:
        return _user(self._one("SELECT * FROM users WHERE id = %s", (user_id,)))

    def get_users(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
        wanted = _ids(ids)
        if not wanted:
            return {}
        return {u.id: u for u in map(_user, self._rows("SELECT * FROM users WHERE id = ANY(%s)", (wanted,)))}

    def find_user_by_email(self, email: str) -> User | None:
        """The user with this (lowercased) address. Inside a transaction the address
        stays locked until commit, so a racing "find, else create" waits for this one."""
        email = email.lower()
        return _user(self._one_locked(self._key_lock("user-email", email), "SELECT * FROM users WHERE email = %s",
                                      (email,)))

    def find_user_by_subject(self, subject: str) -> User | None:
        """The user of an identity-provider subject (locked like :meth:`find_user_by_email`)."""
        return _user(self._one_locked(self._key_lock("user-subject", subject),
                                      "SELECT * FROM users WHERE subject = %s", (subject,)))

    # -- events: write ---------------------------------------------------------------------

    def save_event(self, event: Event) -> None:
        """Insert or replace an event with its recurrence lines and exceptions, in one
        transaction (see :meth:`SqliteStore.save_event
        <opentalk_sched.store.sqlite.SqliteStore.save_event>` for the exception stamps).
        ``version`` is drawn anew from ``event_versions``. Raises what
        :class:`core.Series` raises for a series it cannot compile, and
        ``psycopg.errors.UniqueViolation`` for a duplicate room id or (creator, ical_uid)."""
        cols = _event_params(event)
        timing = event.timing
        exc_rows: dict[str, dict] = {}
        if timing is not None:
            for ov in event.overrides.values():
                c = _exception_params(codec.override_columns(ov, timing))
                exc_rows[c["recurrence_id"]] = c
        lines = timing.recurrence.to_lines() if timing is not None and timing.recurrence is not None else []
        conn = getattr(self._local, "conn", None)
        if conn is not None:  # a savepoint in the caller's transaction, statements pipelined
            with _pipeline(conn), conn.transaction():
                self._write_event(conn, cols, lines, exc_rows, event)
        else:
            with self.transaction(), self.connection() as conn, _pipeline(conn):
                self._write_event(conn, cols, lines, exc_rows, event)
        self.series_cache.discard(event.id)

    def _write_event(self, conn: psycopg.Connection, cols: dict, lines: list[str], exc_rows: dict[str, dict],
                     event: Event) -> None:
        """The statements of :meth:`save_event`, sent together (pipeline mode): one round
        trip for the whole write."""
        names = list(cols)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "id")
        eid = cols["id"]
        conn.execute(
            f"INSERT INTO events ({', '.join(names)}, version)"
            f" VALUES ({', '.join(f'%({n})s' for n in names)}, nextval('event_versions'))"
            f" ON CONFLICT (id) DO UPDATE SET {updates}, version = excluded.version",
            cols,
        )
        conn.execute("DELETE FROM recurrence WHERE event_id = %s", (eid,))
        if lines:
            conn.execute(
                "INSERT INTO recurrence (event_id, position, line)"
                " SELECT %s, n - 1, line FROM unnest(%s::text[]) WITH ORDINALITY AS t(line, n)",
                (eid, lines),
            )
        self._save_exceptions(conn, eid, exc_rows, event)

    def _save_exceptions(self, conn: psycopg.Connection, eid: uuid.UUID, rows: dict[str, dict], event: Event) -> None:
        """Exceptions no longer in ``rows`` are deleted; new ones are inserted with
        ``created_*`` = ``updated_*`` = the event's ``updated_*``; existing ones are
        rewritten (content and ``updated_*``) only when their content changed, so their
        stamps survive unrelated writes. Nothing is read back: the statements stay in the
        pipeline."""
        by, at = event.updated_by, _stamp(event.updated_at)
        conn.execute("DELETE FROM exceptions WHERE event_id = %s AND NOT (recurrence_id = ANY(%s::text[]))",
                     (eid, list(rows)))
        if not rows:
            return
        names = list(_EXCEPTION_COLUMNS)
        content = [n for n in names if n != "recurrence_id"]
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO exceptions (event_id, {', '.join(names)}, created_by, created_at, updated_by,"
                f" updated_at) VALUES (%s, {', '.join(['%s'] * len(names))}, %s, %s, %s, %s)"
                " ON CONFLICT (event_id, recurrence_id) DO UPDATE SET"
                f" {', '.join(f'{n} = excluded.{n}' for n in content)},"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at"
                f" WHERE ({', '.join(f'exceptions.{n}' for n in content)})"
                f" IS DISTINCT FROM ({', '.join(f'excluded.{n}' for n in content)})",
                [[eid, *(c[n] for n in names), by, at, by, at] for c in rows.values()],
            )

    def delete_event(self, event_id: uuid.UUID) -> bool:
        """Delete an event with its recurrence, exceptions, invites and favorites (the
        foreign keys cascade; one statement). Returns False when there was no such event."""
        found = self._exec("DELETE FROM events WHERE id = %s", (event_id,)) > 0
        self.series_cache.discard(event_id)
        return found

    # -- events: read ----------------------------------------------------------------------

    def get_event(self, event_id: uuid.UUID) -> Event | None:
        """The stored event, or ``None``. Inside a transaction the event row is locked
        (``FOR NO KEY UPDATE``) until commit, and the event is read by the statement after
        the lock, so it is the latest committed event and nobody changes it meanwhile."""
        row = self._one_locked(
            ("SELECT 1 FROM events WHERE id = %s FOR NO KEY UPDATE", (event_id,)),
            f"{_EVENT_SELECT} WHERE e.id = %s", (event_id,),
        )
        return None if row is None else _event_of(row)

    def get_events(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Event]:
        wanted = _ids(ids)
        if not wanted:
            return {}
        return {ev.id: ev for ev in map(_event_of, self._rows(f"{_EVENT_SELECT} WHERE e.id = ANY(%s)", (wanted,)))}

    def find_event_by_ical_uid(self, ical_uid: str, created_by: uuid.UUID | None = None) -> Event | None:
        """The event with this iCalendar UID (created by ``created_by`` when given; else
        the oldest). Inside a transaction (creator, UID) stays locked until commit."""
        lock = self._key_lock("event-uid", created_by, ical_uid)
        if created_by is None:
            row = self._one_locked(
                lock, f"{_EVENT_SELECT} WHERE e.ical_uid = %s ORDER BY e.created_at NULLS FIRST, e.id LIMIT 1",
                (ical_uid,),
            )
        else:
            row = self._one_locked(
                lock, f"{_EVENT_SELECT} WHERE e.ical_uid = %s AND e.created_by = %s", (ical_uid, created_by)
            )
        return None if row is None else _event_of(row)

    def find_event_by_room(self, room_id: uuid.UUID) -> Event | None:
        row = self._one(f"{_EVENT_SELECT} WHERE e.room_id = %s", (room_id,))
        return None if row is None else _event_of(row)

    def event_exists(self, event_id: uuid.UUID) -> bool:
        return bool(self._tuples("SELECT 1 FROM events WHERE id = %s", (event_id,)))

    def count_events(self) -> int:
        return self._tuples("SELECT count(*) FROM events")[0][0]

    def exception_meta(self, event_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, ExceptionMeta]]:
        """Per event, per exception (keyed by its original start as stored wall text,
        :func:`codec.wall_text`): who created / changed it and when."""
        wanted = _ids(event_ids)
        out: dict[uuid.UUID, dict[str, ExceptionMeta]] = {}
        if not wanted:
            return out
        for eid, rid, cby, cat, uby, uat in self._tuples(
            "SELECT event_id, recurrence_id, created_by, created_at, updated_by, updated_at FROM exceptions"
            " WHERE event_id = ANY(%s)", (wanted,),
        ):
            out.setdefault(eid, {})[rid] = ExceptionMeta(cby, codec.parse_stamp(cat), uby, codec.parse_stamp(uat))
        return out

    def list_events(self, query: EventQuery) -> list[EventRow]:
        """Events in listing order ``(sort_start, created_at, id)``: time-independent
        first, then by first start (SPEC §2 GET /v1/events), filtered by ``query``
        exactly as :meth:`SqliteStore.list_events
        <opentalk_sched.store.sqlite.SqliteStore.list_events>` does; ``sort_key`` is the
        same text triple, so cursors work on either backend. An ``after`` position that
        is not such a triple raises ``SchedError`` ``bad_request`` (field ``after``)."""
        where: list[str] = []
        p: dict[str, Any] = {"limit": query.limit}
        user = query.user_id
        select = f"SELECT {_EVENT_FIELDS}"
        joins = ""
        if user is not None:
            select += (", ui.role AS my_role, ui.status AS my_status, ui.created_by AS my_created_by,"
                       " ui.created_at AS my_created_at, ui.updated_at AS my_updated_at,"
                       " (f.user_id IS NOT NULL) AS my_favorite")
            joins = (" LEFT JOIN user_invites ui ON ui.event_id = e.id AND ui.invitee = %(user)s"
                     " LEFT JOIN favorites f ON f.event_id = e.id AND f.user_id = %(user)s")
            p["user"] = user
            where.append("(e.created_by = %(user)s OR ui.invitee IS NOT NULL)")
        if query.time_min is not None:
            where.append("NOT e.is_time_independent AND e.span && tstzrange(%(tmin)s, NULL, '()')")
            p["tmin"] = _key_ts(codec.key_text(query.time_min))
        if query.time_max is not None:
            where.append("NOT e.is_time_independent AND e.span && tstzrange(NULL, %(tmax)s, '()')")
            p["tmax"] = _key_ts(codec.key_text_ceil(query.time_max))
        if query.adhoc is not None:
            where.append("e.is_adhoc = %(adhoc)s")
            p["adhoc"] = bool(query.adhoc)
        if query.time_independent is not None:
            where.append("e.is_time_independent = %(ti)s")
            p["ti"] = bool(query.time_independent)
        if query.favorites is not None and user is not None:
            where.append("f.user_id IS NOT NULL" if query.favorites else "f.user_id IS NULL")
        if query.invite_status is not None and user is not None:
            where.append("(CASE WHEN e.created_by = %(user)s THEN 'accepted' ELSE ui.status END) = ANY(%(states)s)")
            p["states"] = sorted(s.value for s in query.invite_status)
        if query.after is not None:
            op = ">=" if query.include_after else ">"
            p["a0"], p["a1"], p["a2"] = _cursor_position(query.after)
            where.append(
                f"({_ORDER_KEY}) {op} (%(a0)s, coalesce(%(a1)s::timestamptz, '-infinity'::timestamptz), %(a2)s::uuid)"
            )
        sql = f"{select} FROM events e{joins}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {_ORDER_KEY} LIMIT %(limit)s"
        out = []
        for row in self._rows(sql, p):
            ev = _event_of(row)
            invite, fav = None, False
            if user is not None:
                fav = bool(row["my_favorite"])
                if row["my_status"] is not None:
                    invite = UserInvite(
                        ev.id, user, InviteRole(row["my_role"]), InviteStatus(row["my_status"]),
                        row["my_created_by"], codec.parse_stamp(row["my_created_at"]),
                        codec.parse_stamp(row["my_updated_at"]),
                    )
            key = (row["sort_start"], codec.stamp_text(row["created_at"]) or "", str(row["id"]))
            out.append(EventRow(ev, invite, fav, key))
        return out

    def window(self, start: datetime, end: datetime, *, user_id: uuid.UUID | None = None) -> list[WindowHit]:
        """Timed events whose span overlaps [start, end) (aware bounds, widened to whole
        seconds), scoped to events ``user_id`` created or is invited to (any status) when
        given, as cached compiled series: a superset of the events with an instance in
        the window (the caller filters with ``compiled.overlapping``). One indexed query
        (``span && tstzrange``) plus, for events not cached at their current version, one
        query loading them."""
        lo, hi = _key_ts(codec.key_text(start)), _key_ts(codec.key_text_ceil(end))
        if lo <= hi:
            cond, p = "e.span && tstzrange(%(lo)s, %(hi)s, '[]')", {"lo": lo, "hi": hi}
        else:  # an inverted window: the same test as SQLite's span_end >= lo AND span_start <= hi
            cond = "e.span && tstzrange(%(lo)s, NULL, '[)') AND e.span && tstzrange(NULL, %(hi)s, '(]')"
            p = {"lo": lo, "hi": hi}
        if user_id is None:
            sql = (f"SELECT e.id::text, e.version, NULL, NULL, NULL, NULL, NULL FROM events e"
                   f" WHERE {cond} AND NOT e.is_time_independent")
        else:
            p["u"] = user_id
            sql = (
                "SELECT e.id::text, e.version, ui.role, ui.status, ui.created_by, ui.created_at, ui.updated_at"
                " FROM events e LEFT JOIN user_invites ui ON ui.event_id = e.id AND ui.invitee = %(u)s"
                f" WHERE e.created_by = %(u)s AND {cond} AND NOT e.is_time_independent"
                " UNION ALL"
                " SELECT e.id::text, e.version, ui.role, ui.status, ui.created_by, ui.created_at, ui.updated_at"
                " FROM user_invites ui JOIN events e ON e.id = ui.event_id"
                f" WHERE ui.invitee = %(u)s AND e.created_by IS DISTINCT FROM %(u)s AND {cond}"
                " AND NOT e.is_time_independent"
            )
        rows = self._tuples(sql, p)  # ids as text (the cache's keys); the creator comes from the event
        cache = self.series_cache
        compiled: dict[str, CompiledEvent] = {}
        missing: list[str] = []
        for row in rows:
            c = cache.get(row[0], row[1])
            if c is None:
                missing.append(row[0])
            else:
                compiled[row[0]] = c
        if missing:
            keep = not self.in_transaction  # never cache what a rollback could undo
            for row in self._rows(f"{_EVENT_SELECT} WHERE e.id = ANY(%s::uuid[])", (missing,)):
                ev = _event_of(row)
                c = cache.put(ev, row["version"]) if keep else CompiledEvent(ev, row["version"])
                compiled[c.id_text] = c
        hits = []
        for eid, _v, role, status, inv_by, inv_at, inv_upd in rows:
            c = compiled.get(eid)
            if c is None:  # deleted between the two queries
                continue
            invite = None
            if status is not None:
                invite = UserInvite(
                    c.event.id, user_id, InviteRole(role), InviteStatus(status), inv_by,
                    codec.parse_stamp(inv_at), codec.parse_stamp(inv_upd),
                )
            hits.append(WindowHit(c, c.event.created_by, invite))
        return hits

    def compiled(self, event: Event) -> CompiledEvent:
        """The cached compiled form of a stored event (built when missing or stale)."""
        found = self._tuples("SELECT version FROM events WHERE id = %s", (event.id,))
        version = found[0][0] if found else -1
        c = self.series_cache.get(event.id, version)
        if c is None:
            c = CompiledEvent(event, version)
            if found and not self.in_transaction:
                c = self.series_cache.put(event, version)
        return c

    # -- invites ---------------------------------------------------------------------------

    def get_user_invite(self, event_id: uuid.UUID, user_id: uuid.UUID) -> UserInvite | None:
        r = self._one("SELECT * FROM user_invites WHERE event_id = %s AND invitee = %s", (event_id, user_id))
        return None if r is None else _user_invite(r)

    def user_invites(self, event_id: uuid.UUID) -> list[UserInvite]:
        rows = self._rows(
            "SELECT * FROM user_invites WHERE event_id = %s ORDER BY created_at NULLS FIRST, invitee", (event_id,)
        )
        return [_user_invite(r) for r in rows]

    def save_user_invite(self, invite: UserInvite) -> None:
        """Insert or replace the invite of (event, invitee)."""
        self._exec(
            "INSERT INTO user_invites (event_id, invitee, role, status, created_by, created_at, updated_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (event_id, invitee) DO UPDATE SET role = excluded.role,"
            " status = excluded.status, updated_at = excluded.updated_at",
            (invite.event_id, invite.invitee, invite.role.value, invite.status.value, invite.created_by,
             _stamp(invite.created_at), _stamp(invite.updated_at)),
        )

    def delete_user_invite(self, event_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return self._exec("DELETE FROM user_invites WHERE event_id = %s AND invitee = %s", (event_id, user_id)) > 0

    def get_email_invite(self, event_id: uuid.UUID, email: str) -> EmailInvite | None:
        r = self._one("SELECT * FROM email_invites WHERE event_id = %s AND email = %s", (event_id, email.lower()))
        return None if r is None else _email_invite(r)

    def email_invites(self, event_id: uuid.UUID) -> list[EmailInvite]:
        rows = self._rows(
            "SELECT * FROM email_invites WHERE event_id = %s ORDER BY created_at NULLS FIRST, email", (event_id,)
        )
        return [_email_invite(r) for r in rows]

    def email_invites_to(self, email: str) -> list[EmailInvite]:
        """Every email invite to this address (lowercased), over all events, by event id
        (a fixed order, so transactions claiming them lock events in the same order)."""
        rows = self._rows("SELECT * FROM email_invites WHERE email = %s ORDER BY event_id", (email.lower(),))
        return [_email_invite(r) for r in rows]

    def save_email_invite(self, invite: EmailInvite) -> None:
        self._exec(
            "INSERT INTO email_invites (event_id, email, role, status, created_by, created_at, updated_at)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (event_id, email) DO UPDATE SET role = excluded.role,"
            " status = excluded.status, updated_at = excluded.updated_at",
            (invite.event_id, invite.email.lower(), invite.role.value, invite.status.value, invite.created_by,
             _stamp(invite.created_at), _stamp(invite.updated_at)),
        )

    def delete_email_invite(self, event_id: uuid.UUID, email: str) -> bool:
        return self._exec(
            "DELETE FROM email_invites WHERE event_id = %s AND email = %s", (event_id, email.lower())
        ) > 0

    def invites_page(
        self, event_id: uuid.UUID, *, status: InviteStatus | None = None, offset: int = 0, limit: int = 30
    ) -> tuple[list[UserInvite | EmailInvite], int]:
        """One page of an event's invites (users and emails, oldest first) and the total
        matching ``status`` (one query)."""
        where = "event_id = %(eid)s" + (" AND status = %(status)s" if status is not None else "")
        union = _INVITES_SQL.format(where=where)
        rows = self._rows(
            f"WITH u AS ({union}) SELECT t.total, p.* FROM (SELECT count(*) AS total FROM u) t"
            f" LEFT JOIN LATERAL (SELECT * FROM u ORDER BY {_INVITE_ORDER} LIMIT %(limit)s OFFSET %(offset)s) p"
            " ON true",
            {"eid": event_id, "status": status.value if status is not None else None, "limit": limit,
             "offset": offset},
        )
        total = rows[0]["total"] if rows else 0
        return [_invite_of(r) for r in rows if r["kind"] is not None], total

    def invitees(
        self, event_ids: Iterable[uuid.UUID], limit: int | None = None
    ) -> dict[uuid.UUID, tuple[list[UserInvite | EmailInvite], int]]:
        """Per event: its first ``limit`` invites (all when ``None``; oldest first) and
        the total number of invites."""
        wanted = _ids(event_ids)
        out: dict[uuid.UUID, tuple[list, int]] = {e: ([], 0) for e in wanted}
        if not wanted:
            return out
        union = _INVITES_SQL.format(where="event_id = ANY(%(ids)s)")
        if limit == 0:
            for eid, n in self._tuples(f"SELECT event_id, count(*) FROM ({union}) u GROUP BY event_id", {"ids": wanted}):
                out[eid] = ([], n)
            return out
        sql = (
            "SELECT * FROM (SELECT u.*, row_number() OVER (PARTITION BY event_id ORDER BY"
            f" {_INVITE_ORDER}) AS rn, count(*) OVER (PARTITION BY event_id) AS total FROM ({union}) u) s"
        )
        p: dict[str, Any] = {"ids": wanted}
        if limit is not None:
            sql += " WHERE rn <= %(limit)s"
            p["limit"] = limit
        sql += " ORDER BY event_id, rn"
        for r in self._rows(sql, p):
            items, _n = out[r["event_id"]]
            items.append(_invite_of(r))
            out[r["event_id"]] = (items, r["total"])
        return out

    def pending_invite_count(self, user_id: uuid.UUID) -> int:
        """How many of the user's invites are still ``pending``."""
        return self._tuples(
            "SELECT count(*) FROM user_invites WHERE invitee = %s AND status = 'pending'", (user_id,)
        )[0][0]

    # -- favorites -------------------------------------------------------------------------

    def add_favorite(self, user_id: uuid.UUID, event_id: uuid.UUID, at: datetime | None = None) -> bool:
        """Mark as favorite (``at``: when, now by default); False when it already was."""
        return self._exec(
            "INSERT INTO favorites (user_id, event_id, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (user_id, event_id, _stamp(at or datetime.now(UTC))),
        ) > 0

    def remove_favorite(self, user_id: uuid.UUID, event_id: uuid.UUID) -> bool:
        """Unmark; False when it was not a favorite."""
        return self._exec("DELETE FROM favorites WHERE user_id = %s AND event_id = %s", (user_id, event_id)) > 0

    def favorite_ids(self, user_id: uuid.UUID, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``event_ids`` the user marked as favorite."""
        wanted = _ids(event_ids)
        if not wanted:
            return set()
        return {r[0] for r in self._tuples(
            "SELECT event_id FROM favorites WHERE user_id = %s AND event_id = ANY(%s)", (user_id, wanted)
        )}

    def favorites_of_event(self, event_id: uuid.UUID) -> list[uuid.UUID]:
        """Users who marked the event as favorite (oldest first)."""
        return [r[0] for r in self._tuples(
            "SELECT user_id FROM favorites WHERE event_id = %s ORDER BY created_at NULLS FIRST, user_id", (event_id,)
        )]
