"""The embedded event store: one SQLite file in WAL mode, through sqlite-utils.

    >>> store = SqliteStore(":memory:")          # or SqliteStore("cal.db")
    >>> from opentalk_sched.core import Event
    >>> ev = Event.new("Planning")
    >>> store.save_event(ev)
    >>> store.get_event(ev.id).title
    'Planning'

What it does (SPEC §4):

* opens (and creates) the file, switches it to WAL, and migrates the schema
  (:mod:`opentalk_sched.store.schema`); one connection per thread, ``BEGIN IMMEDIATE``
  for writes so concurrent writers queue on SQLite's lock instead of failing;
* every method that writes several rows runs in one transaction; :meth:`transaction`
  groups several calls into one (nested calls become savepoints), and an exception
  inside rolls everything back;
* an event is written as a whole aggregate (:meth:`save_event`): the event row, its
  recurrence lines, its exceptions (created/updated stamps kept per exception), and the
  derived UTC index columns (``span_start``/``span_end`` from ``core.Series.span``);
* :meth:`window` answers "which timed events can have an instance in [a, b)" with one
  indexed query on ``span_end >= a AND span_start < b`` and returns compiled series from
  the process-wide :class:`~opentalk_sched.store.series_cache.SeriesCache`, loading
  (in bulk) only the events whose stored ``version`` is not cached.

``":memory:"`` opens a private in-memory database shared by this store's connections.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import sqlite_utils

from ..core import UTC, Event, InviteRole, InviteStatus
from . import codec, month_index
from .records import EmailInvite, EventQuery, EventRow, ExceptionMeta, IndexHit, User, UserInvite, WindowHit
from .schema import migrate
from .series_cache import CompiledEvent, SeriesCache, month_range, naive_utc, MAX_CACHED_MONTHS

_CHUNK = 500

_EXCEPTION_COLUMNS = (
    "recurrence_id", "original_start_utc", "kind", "title", "description", "is_all_day", "starts_at", "ends_at",
    "this_and_future", "sequence", "properties",
)


def _id(v: uuid.UUID | str | None) -> str | None:
    return None if v is None else str(v)


#: an id column → UUID (memoised: creators and events repeat)
_uuid = codec.as_uuid


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class SqliteStore:
    """The :class:`~opentalk_sched.store.base.Store` on SQLite (see the module docstring).

    ``path``: a file path or ``":memory:"``. ``cache``: the compiled-series cache to
    use (a private one by default). ``timeout``: seconds to wait for the write lock.
    """

    def __init__(self, path: str | Path = ":memory:", *, cache: SeriesCache | None = None, timeout: float = 30.0):
        self.path = str(path)
        self.timeout = timeout
        self._memory_uri = (
            f"file:opentalk-sched-{uuid.uuid4().hex}?mode=memory&cache=shared" if self.path == ":memory:" else None
        )
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.series_cache = cache if cache is not None else SeriesCache()
        db = self.db
        if self._memory_uri is None:
            db.enable_wal()
        migrate(db)
        db.conn.execute(month_index.SCHEMA)  # a derived cache, outside the schema versions

    # -- connections and transactions ------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._memory_uri is not None:
            conn = sqlite3.connect(self._memory_uri, uri=True, timeout=self.timeout, check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False)
        conn.isolation_level = None  # autocommit: single statements commit, transaction() uses BEGIN
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        with self._all_lock:
            self._all.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils ``Database``."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(self._connect())
            self._local.db = db
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the block: commit at the end, roll back on any exception.

        Nested blocks are savepoints: an exception inside rolls back that block only when
        caught inside the outer one.
        """
        db = self.db
        conn = db.conn
        if conn.in_transaction:
            with db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def close(self) -> None:
        """Close every connection this store opened (all threads)."""
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    def optimize(self) -> None:
        """Refresh the query planner's statistics (after a large import)."""
        self.conn.execute("PRAGMA optimize=0x10002")

    def _rows(self, sql: str, params: Sequence | dict = ()) -> list[sqlite3.Row]:
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence | dict = ()) -> sqlite3.Row | None:
        cur = self.conn.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, params).fetchone()

    def _exec(self, sql: str, params: Sequence | dict = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    # -- users ---------------------------------------------------------------------------

    def save_user(self, user: User) -> None:
        """Insert or update a user (by id). ``email`` must already be lowercased; a
        duplicate email or subject raises ``sqlite3.IntegrityError``."""
        self._exec(
            "INSERT INTO users (id, email, subject, display_name, firstname, lastname, title, avatar_url, timezone,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET email=excluded.email,"
            " subject=excluded.subject, display_name=excluded.display_name, firstname=excluded.firstname,"
            " lastname=excluded.lastname, title=excluded.title, avatar_url=excluded.avatar_url,"
            " timezone=excluded.timezone",
            (str(user.id), user.email, user.subject, user.display_name, user.firstname, user.lastname, user.title,
             user.avatar_url, user.timezone, codec.stamp_text(user.created_at)),
        )

    @staticmethod
    def _user(row: sqlite3.Row | None) -> User | None:
        if row is None:
            return None
        return User(
            id=uuid.UUID(row["id"]), email=row["email"], display_name=row["display_name"],
            firstname=row["firstname"], lastname=row["lastname"], title=row["title"], avatar_url=row["avatar_url"],
            timezone=row["timezone"], subject=row["subject"], created_at=codec.parse_stamp(row["created_at"]),
        )

    def get_user(self, user_id: uuid.UUID) -> User | None:
        return self._user(self._one("SELECT * FROM users WHERE id = ?", (str(user_id),)))

    def get_users(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]:
        wanted = sorted({str(i) for i in ids if i is not None})
        out: dict[uuid.UUID, User] = {}
        for chunk in _chunks(wanted):
            for row in self._rows(f"SELECT * FROM users WHERE id IN ({_marks(len(chunk))})", chunk):
                u = self._user(row)
                out[u.id] = u
        return out

    def find_user_by_email(self, email: str) -> User | None:
        return self._user(self._one("SELECT * FROM users WHERE email = ?", (email.lower(),)))

    def find_user_by_subject(self, subject: str) -> User | None:
        return self._user(self._one("SELECT * FROM users WHERE subject = ?", (subject,)))

    # -- events: write ---------------------------------------------------------------------

    def save_event(self, event: Event) -> None:
        """Insert or replace an event with its recurrence lines and exceptions, in one
        transaction. New exceptions get ``created_*`` from ``event.updated_*``; changed
        ones get ``updated_*`` from it; exceptions no longer in ``event.overrides`` are
        deleted. The derived UTC columns are recomputed; ``version`` is the next value of
        the store-wide counter ``event_versions`` (never reused, not even for an id that
        is deleted and created again). Raises what :class:`core.Series` raises for a
        series it cannot compile, and ``sqlite3.IntegrityError`` for a duplicate room id
        or (creator, ical_uid)."""
        cols = codec.event_columns(event)
        timing = event.timing
        exc_rows = {}
        if timing is not None:
            for ov in event.overrides.values():
                c = codec.override_columns(ov, timing)
                exc_rows[c["recurrence_id"]] = c
        lines = timing.recurrence.to_lines() if timing is not None and timing.recurrence is not None else []
        eid = cols["id"]
        with self.transaction():
            exists = self._one("SELECT version FROM events WHERE id = ?", (eid,))
            version = self._exec("UPDATE event_versions SET last = last + 1 RETURNING last").fetchone()[0]
            names = list(cols)
            if exists is None:
                self._exec(
                    f"INSERT INTO events ({', '.join(names)}, version) VALUES ({_marks(len(names))}, ?)",
                    [cols[n] for n in names] + [version],
                )
            else:
                sets = ", ".join(f"{n} = ?" for n in names if n != "id")
                self._exec(
                    f"UPDATE events SET {sets}, version = ? WHERE id = ?",
                    [cols[n] for n in names if n != "id"] + [version, eid],
                )
            if exists is not None:
                self._exec("DELETE FROM recurrence WHERE event_id = ?", (eid,))
                self._exec("DELETE FROM month_index WHERE event_id = ?", (eid,))
            if lines:
                self.conn.executemany(
                    "INSERT INTO recurrence (event_id, position, line) VALUES (?, ?, ?)",
                    [(eid, i, line) for i, line in enumerate(lines)],
                )
            if exists is not None or exc_rows:
                self._save_exceptions(eid, exc_rows, event, new=exists is None)
        self.series_cache.discard(event.id)

    def _save_exceptions(self, eid: str, rows: dict[str, dict], event: Event, new: bool = False) -> None:
        old = {} if new else {
            r["recurrence_id"]: r for r in self._rows("SELECT * FROM exceptions WHERE event_id = ?", (eid,))}
        by, at = _id(event.updated_by), codec.stamp_text(event.updated_at)
        gone = [rid for rid in old if rid not in rows]
        for rid in gone:
            self._exec("DELETE FROM exceptions WHERE event_id = ? AND recurrence_id = ?", (eid, rid))
        names = list(_EXCEPTION_COLUMNS)
        for rid, c in rows.items():
            prev = old.get(rid)
            if prev is None:
                self._exec(
                    f"INSERT INTO exceptions (event_id, {', '.join(names)}, created_by, created_at, updated_by,"
                    f" updated_at) VALUES (?, {_marks(len(names))}, ?, ?, ?, ?)",
                    [eid] + [c[n] for n in names] + [by, at, by, at],
                )
            elif codec.override_content(prev) != codec.override_content(c) or prev["original_start_utc"] != c[
                "original_start_utc"
            ]:
                sets = ", ".join(f"{n} = ?" for n in names)
                self._exec(
                    f"UPDATE exceptions SET {sets}, updated_by = ?, updated_at = ?"
                    " WHERE event_id = ? AND recurrence_id = ?",
                    [c[n] for n in names] + [by, at, eid, rid],
                )

    def delete_event(self, event_id: uuid.UUID) -> bool:
        """Delete an event with its recurrence, exceptions, invites and favorites (one
        transaction). Returns False when there was no such event."""
        eid = str(event_id)
        with self.transaction():
            for table in ("recurrence", "exceptions", "user_invites", "email_invites", "favorites", "month_index"):
                self._exec(f"DELETE FROM {table} WHERE event_id = ?", (eid,))
            found = self._exec("DELETE FROM events WHERE id = ?", (eid,)).rowcount > 0
        self.series_cache.discard(event_id)
        return found

    # -- events: read ----------------------------------------------------------------------

    def _load(self, rows: list[sqlite3.Row]) -> list[tuple[Event, int]]:
        """Event rows → (Event, version), loading recurrence lines and exceptions in bulk."""
        if not rows:
            return []
        lines: dict[str, list[str]] = {}
        overrides: dict[str, list[sqlite3.Row]] = {}
        timed = [r["id"] for r in rows if not r["is_time_independent"]]
        for chunk in _chunks(timed):
            for eid, line in self.conn.execute(
                f"SELECT event_id, line FROM recurrence WHERE event_id IN ({_marks(len(chunk))})"
                " ORDER BY event_id, position", chunk,
            ):
                lines.setdefault(eid, []).append(line)
            for r in self._rows(f"SELECT * FROM exceptions WHERE event_id IN ({_marks(len(chunk))})", chunk):
                overrides.setdefault(r["event_id"], []).append(r)
        out = []
        for row in rows:
            eid = row["id"]
            out.append((codec.event_from_row(row, lines.get(eid, []), overrides.get(eid, [])), row["version"]))
        return out

    def get_event(self, event_id: uuid.UUID) -> Event | None:
        """The stored event, or ``None``."""
        found = self._load(self._rows("SELECT * FROM events WHERE id = ?", (str(event_id),)))
        return found[0][0] if found else None

    def get_events(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Event]:
        wanted = sorted({str(i) for i in ids})
        out: dict[uuid.UUID, Event] = {}
        for chunk in _chunks(wanted):
            for ev, _v in self._load(self._rows(f"SELECT * FROM events WHERE id IN ({_marks(len(chunk))})", chunk)):
                out[ev.id] = ev
        return out

    def find_event_by_ical_uid(self, ical_uid: str, created_by: uuid.UUID | None = None) -> Event | None:
        """The event with this iCalendar UID (created by ``created_by`` when given)."""
        if created_by is None:
            rows = self._rows("SELECT * FROM events WHERE ical_uid = ? ORDER BY created_at LIMIT 1", (ical_uid,))
        else:
            rows = self._rows("SELECT * FROM events WHERE ical_uid = ? AND created_by = ?", (ical_uid, str(created_by)))
        found = self._load(rows)
        return found[0][0] if found else None

    def find_event_by_room(self, room_id: uuid.UUID) -> Event | None:
        found = self._load(self._rows("SELECT * FROM events WHERE room_id = ?", (str(room_id),)))
        return found[0][0] if found else None

    def event_exists(self, event_id: uuid.UUID) -> bool:
        return self._one("SELECT 1 AS x FROM events WHERE id = ?", (str(event_id),)) is not None

    def exception_meta(self, event_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, ExceptionMeta]]:
        """Per event, per exception (keyed by its original start as stored wall text,
        :func:`codec.wall_text`): who created / changed it and when."""
        wanted = sorted({str(i) for i in event_ids})
        out: dict[uuid.UUID, dict[str, ExceptionMeta]] = {}
        for chunk in _chunks(wanted):
            for r in self._rows(
                "SELECT event_id, recurrence_id, created_by, created_at, updated_by, updated_at FROM exceptions"
                f" WHERE event_id IN ({_marks(len(chunk))})", chunk,
            ):
                out.setdefault(uuid.UUID(r["event_id"]), {})[r["recurrence_id"]] = ExceptionMeta(
                    _uuid(r["created_by"]), codec.parse_stamp(r["created_at"]), _uuid(r["updated_by"]),
                    codec.parse_stamp(r["updated_at"]),
                )
        return out

    def list_events(self, query: EventQuery) -> list[EventRow]:
        """Events in listing order ``(sort_start, created_at, id)``: time-independent
        first, then by first start (SPEC §2 GET /v1/events), filtered by ``query``."""
        where: list[str] = []
        params: list[Any] = []
        user = _id(query.user_id)
        select = "SELECT e.*"
        joins = ""
        if user is not None:
            select += (", ui.role AS my_role, ui.status AS my_status, ui.created_by AS my_created_by,"
                       " ui.created_at AS my_created_at, ui.updated_at AS my_updated_at,"
                       " (f.user_id IS NOT NULL) AS my_favorite")
            joins = (" LEFT JOIN user_invites ui ON ui.event_id = e.id AND ui.invitee = ?"
                     " LEFT JOIN favorites f ON f.event_id = e.id AND f.user_id = ?")
            params += [user, user]
            where.append("(e.created_by = ? OR ui.invitee IS NOT NULL)")
            params.append(user)
        if query.time_min is not None:
            where.append("e.is_time_independent = 0 AND e.span_end > ?")
            params.append(codec.key_text(query.time_min))
        if query.time_max is not None:
            where.append("e.is_time_independent = 0 AND e.span_start < ?")
            params.append(codec.key_text_ceil(query.time_max))
        if query.adhoc is not None:
            where.append("e.is_adhoc = ?")
            params.append(int(query.adhoc))
        if query.time_independent is not None:
            where.append("e.is_time_independent = ?")
            params.append(int(query.time_independent))
        if query.favorites is not None and user is not None:
            where.append("f.user_id IS NOT NULL" if query.favorites else "f.user_id IS NULL")
        if query.invite_status is not None and user is not None:
            states = sorted(s.value for s in query.invite_status)
            where.append(
                f"(CASE WHEN e.created_by = ? THEN 'accepted' ELSE ui.status END) IN ({_marks(len(states))})"
            )
            params += [user, *states]
        if query.after is not None:
            op = ">=" if query.include_after else ">"
            where.append(f"(e.sort_start, coalesce(e.created_at, ''), e.id) {op} (?, ?, ?)")
            params += list(query.after)
        sql = f"{select} FROM events e{joins}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.sort_start, coalesce(e.created_at, ''), e.id LIMIT ?"
        params.append(query.limit)
        rows = self._rows(sql, params)
        events = self._load(rows)
        out = []
        for row, (ev, _v) in zip(rows, events):
            invite = None
            fav = False
            if user is not None:
                fav = bool(row["my_favorite"])
                if row["my_status"] is not None:
                    invite = UserInvite(
                        ev.id, query.user_id, InviteRole(row["my_role"]), InviteStatus(row["my_status"]),
                        _uuid(row["my_created_by"]), codec.parse_stamp(row["my_created_at"]),
                        codec.parse_stamp(row["my_updated_at"]),
                    )
            out.append(EventRow(ev, invite, fav, (row["sort_start"], row["created_at"] or "", row["id"])))
        return out

    def window(self, start: datetime, end: datetime, *, user_id: uuid.UUID | None = None) -> list[WindowHit]:
        """Timed events whose span index overlaps [start, end) (aware bounds), scoped to
        events ``user_id`` created or is invited to (any status) when given, as cached
        compiled series. A superset of the events with an instance in the window: the
        caller filters with ``compiled.overlapping``. Floating series are indexed with a
        one-day margin, so they are found whatever zone the window is read in."""
        lo, hi = codec.key_text(start), codec.key_text_ceil(end)
        if user_id is None:
            rows = self.conn.execute(
                "SELECT id, version, created_by, NULL, NULL, NULL, NULL, NULL FROM events"
                " WHERE span_end >= ? AND span_start <= ? AND is_time_independent = 0", (lo, hi),
            ).fetchall()
        else:
            u = str(user_id)
            rows = self.conn.execute(
                "SELECT e.id, e.version, e.created_by, ui.role, ui.status, ui.created_by, ui.created_at, ui.updated_at"
                " FROM events e LEFT JOIN user_invites ui ON ui.event_id = e.id AND ui.invitee = ?"
                " WHERE e.span_end >= ? AND e.span_start <= ? AND e.is_time_independent = 0"
                " AND (e.created_by = ? OR ui.invitee IS NOT NULL)", (u, lo, hi, u),
            ).fetchall()
        cache = self.series_cache
        compiled: dict[str, CompiledEvent] = {}
        missing: list[str] = []
        for row in rows:
            eid, version = row[0], row[1]
            c = cache.get(eid, version)
            if c is None:
                missing.append(eid)
            else:
                compiled[eid] = c
        if missing:
            keep = not self.conn.in_transaction  # never cache what a rollback could undo
            for chunk in _chunks(missing):
                loaded = self._load(self._rows(f"SELECT * FROM events WHERE id IN ({_marks(len(chunk))})", chunk))
                for ev, version in loaded:
                    compiled[str(ev.id)] = cache.put(ev, version) if keep else CompiledEvent(ev, version)
        hits = []
        for eid, _v, created_by, role, status, inv_by, inv_at, inv_upd in rows:
            c = compiled.get(eid)
            if c is None:  # deleted between the two queries
                continue
            invite = None
            if status is not None:
                invite = UserInvite(
                    c.event.id, user_id, InviteRole(role), InviteStatus(status), _uuid(inv_by),
                    codec.parse_stamp(inv_at), codec.parse_stamp(inv_upd),
                )
            hits.append(WindowHit(c, _uuid(created_by), invite))
        return hits

    def compiled(self, event: Event) -> CompiledEvent:
        """The cached compiled form of a stored event (built when missing or stale)."""
        row = self._one("SELECT version FROM events WHERE id = ?", (str(event.id),))
        version = row["version"] if row is not None else -1
        c = self.series_cache.get(event.id, version)
        if c is None:
            c = CompiledEvent(event, version)
            if row is not None and not self.conn.in_transaction:
                c = self.series_cache.put(event, version)
        return c

    def compile_events(self, ids: Iterable[str | uuid.UUID]) -> dict[str, CompiledEvent]:
        """The current compiled form of each stored event (by id text), from the cache or
        loaded in bulk; missing ids are left out."""
        out: dict[str, CompiledEvent] = {}
        wanted = sorted({str(i) for i in ids})
        keep = not self.conn.in_transaction
        for chunk in _chunks(wanted):
            versions = dict(self.conn.execute(
                f"SELECT id, version FROM events WHERE id IN ({_marks(len(chunk))})", chunk).fetchall())
            missing = []
            for eid, version in versions.items():
                c = self.series_cache.get(eid, version)
                if c is None:
                    missing.append(eid)
                else:
                    out[eid] = c
            if missing:
                rows = self._rows(f"SELECT * FROM events WHERE id IN ({_marks(len(missing))})", missing)
                for ev, version in self._load(rows):
                    c = self.series_cache.put(ev, version) if keep else CompiledEvent(ev, version)
                    out[c.id_text] = c
        return out

    def window_index(
        self, start: datetime, end: datetime, *, user_id: uuid.UUID | None = None
    ) -> list[IndexHit] | None:
        """Like :meth:`window`, but candidates that are not compiled in this process are
        answered from the persisted month index (:mod:`~opentalk_sched.store.month_index`)
        when it is current, without loading or compiling them; the others are compiled,
        and their month lists written to the index for the next process (best effort: a
        busy or read-only database just skips the write). ``None`` when the window covers
        more months than the month lists do (use :meth:`window`)."""
        lo, hi = naive_utc(start), naive_utc(end)
        months = month_range(lo, hi)
        if len(months) > MAX_CACHED_MONTHS or hi < lo:
            return None
        lo_t, hi_t = codec.key_text(start), codec.key_text_ceil(end)
        scope, params = "", [lo_t, hi_t]
        join = "LEFT JOIN user_invites ui ON 0"
        if user_id is not None:
            u = str(user_id)
            join = "LEFT JOIN user_invites ui ON ui.event_id = e.id AND ui.invitee = ?"
            params = [u, lo_t, hi_t, u]
            scope = " AND (e.created_by = ? OR ui.invitee IS NOT NULL)"
        rows = self.conn.execute(
            "SELECT e.id, e.version, e.created_by, (e.tzid IS NULL AND e.is_all_day = 0), ui.role, ui.status,"
            f" ui.created_by, ui.created_at, ui.updated_at FROM events e {join}"
            " WHERE e.span_end >= ? AND e.span_start <= ? AND e.is_time_independent = 0" + scope, params,
        ).fetchall()
        cache = self.series_cache
        hits: dict[str, IndexHit] = {}
        lookup: list[str] = []
        compile_: list[str] = []
        for eid, version, created_by, floating, role, status, inv_by, inv_at, inv_upd in rows:
            invite = None
            if status is not None:
                invite = UserInvite(
                    _uuid(eid), user_id, InviteRole(role), InviteStatus(status), _uuid(inv_by),
                    codec.parse_stamp(inv_at), codec.parse_stamp(inv_upd),
                )
            hit = hits[eid] = IndexHit(eid, version, _uuid(created_by), invite, cache.get(eid, version))
            if hit.compiled is None:
                (compile_ if floating else lookup).append(eid)
        engine = month_index.engine_key()
        m0, m1 = months[0], months[-1]
        unread = []
        for eid in lookup:  # entries this process already read
            version = hits[eid].version
            parts = [cache.entries(eid, version, m) for m in months]
            if any(p is None for p in parts):
                unread.append(eid)
            else:
                hits[eid].entries = parts[0] if len(parts) == 1 else [e for p in parts for e in p]
        for chunk in _chunks(unread):
            found: dict[str, dict[int, bytes]] = {}
            for eid, month, version, key, data in self.conn.execute(
                "SELECT event_id, month, version, engine, data FROM month_index"
                f" WHERE event_id IN ({_marks(len(chunk))}) AND month BETWEEN ? AND ?", [*chunk, m0, m1],
            ):
                if version == hits[eid].version and key == engine:
                    found.setdefault(eid, {})[month] = data
            for eid in chunk:
                blobs = found.get(eid)
                if blobs is None or len(blobs) != len(months):
                    compile_.append(eid)
                    continue
                entries = []
                version = hits[eid].version
                for m in months:
                    part = month_index.decode(blobs[m])
                    cache.put_entries(eid, version, m, part)
                    entries.extend(part)
                hits[eid].entries = entries
        if compile_:
            compiled = self.compile_events(compile_)
            rows_out = []
            for eid in compile_:
                c = compiled.get(eid)
                if c is None:  # deleted meanwhile
                    hits.pop(eid, None)
                    continue
                hit = hits[eid]
                hit.compiled, hit.version = c, c.version
                if not c.series.floating:
                    for m in months:
                        entries = [(i.start_key, i.end_key, i.recurrence_id, i.cancelled) for i in c.month(m)]
                        if all(month_index.encodable(a) and month_index.encodable(b) for a, b, _r, _c in entries):
                            rows_out.append((eid, m, c.version, engine, month_index.encode(entries)))
            self._write_month_rows(rows_out)
        return list(hits.values())

    def _write_month_rows(self, rows: list[tuple]) -> None:
        """Persist month rows if the write lock is free right now; a cache, so never wait."""
        conn = self.conn
        if not rows or conn.in_transaction:
            return
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO month_index (event_id, month, version, engine, data)"
                    " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM events WHERE id = ?1 AND version = ?3)",
                    rows,
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            pass
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    # -- invites ---------------------------------------------------------------------------

    @staticmethod
    def _user_invite(r) -> UserInvite:
        return UserInvite(
            uuid.UUID(r["event_id"]), uuid.UUID(r["invitee"]), InviteRole(r["role"]), InviteStatus(r["status"]),
            _uuid(r["created_by"]), codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
        )

    @staticmethod
    def _email_invite(r) -> EmailInvite:
        return EmailInvite(
            uuid.UUID(r["event_id"]), r["email"], InviteRole(r["role"]), InviteStatus(r["status"]),
            _uuid(r["created_by"]), codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
        )

    def get_user_invite(self, event_id: uuid.UUID, user_id: uuid.UUID) -> UserInvite | None:
        r = self._one("SELECT * FROM user_invites WHERE event_id = ? AND invitee = ?", (str(event_id), str(user_id)))
        return None if r is None else self._user_invite(r)

    def user_invites(self, event_id: uuid.UUID) -> list[UserInvite]:
        rows = self._rows(
            "SELECT * FROM user_invites WHERE event_id = ? ORDER BY created_at, invitee", (str(event_id),)
        )
        return [self._user_invite(r) for r in rows]

    def save_user_invite(self, invite: UserInvite) -> None:
        """Insert or replace the invite of (event, invitee)."""
        self._exec(
            "INSERT INTO user_invites (event_id, invitee, role, status, created_by, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(event_id, invitee) DO UPDATE SET role=excluded.role,"
            " status=excluded.status, updated_at=excluded.updated_at",
            (str(invite.event_id), str(invite.invitee), invite.role.value, invite.status.value,
             _id(invite.created_by), codec.stamp_text(invite.created_at), codec.stamp_text(invite.updated_at)),
        )

    def delete_user_invite(self, event_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        return self._exec(
            "DELETE FROM user_invites WHERE event_id = ? AND invitee = ?", (str(event_id), str(user_id))
        ).rowcount > 0

    def get_email_invite(self, event_id: uuid.UUID, email: str) -> EmailInvite | None:
        r = self._one("SELECT * FROM email_invites WHERE event_id = ? AND email = ?", (str(event_id), email.lower()))
        return None if r is None else self._email_invite(r)

    def email_invites(self, event_id: uuid.UUID) -> list[EmailInvite]:
        rows = self._rows("SELECT * FROM email_invites WHERE event_id = ? ORDER BY created_at, email", (str(event_id),))
        return [self._email_invite(r) for r in rows]

    def email_invites_to(self, email: str) -> list[EmailInvite]:
        """Every email invite to this address (lowercased), over all events."""
        return [self._email_invite(r) for r in self._rows("SELECT * FROM email_invites WHERE email = ?", (email.lower(),))]

    def save_email_invite(self, invite: EmailInvite) -> None:
        self._exec(
            "INSERT INTO email_invites (event_id, email, role, status, created_by, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(event_id, email) DO UPDATE SET role=excluded.role,"
            " status=excluded.status, updated_at=excluded.updated_at",
            (str(invite.event_id), invite.email.lower(), invite.role.value, invite.status.value,
             _id(invite.created_by), codec.stamp_text(invite.created_at), codec.stamp_text(invite.updated_at)),
        )

    def delete_email_invite(self, event_id: uuid.UUID, email: str) -> bool:
        return self._exec(
            "DELETE FROM email_invites WHERE event_id = ? AND email = ?", (str(event_id), email.lower())
        ).rowcount > 0

    _INVITES_SQL = (
        "SELECT event_id, 0 AS kind, invitee AS who, role, status, created_by, created_at, updated_at"
        " FROM user_invites WHERE {where}"
        " UNION ALL SELECT event_id, 1 AS kind, email AS who, role, status, created_by, created_at, updated_at"
        " FROM email_invites WHERE {where}"
    )

    def _invite_of(self, r) -> UserInvite | EmailInvite:
        if r["kind"] == 0:
            return UserInvite(
                uuid.UUID(r["event_id"]), uuid.UUID(r["who"]), InviteRole(r["role"]), InviteStatus(r["status"]),
                _uuid(r["created_by"]), codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
            )
        return EmailInvite(
            uuid.UUID(r["event_id"]), r["who"], InviteRole(r["role"]), InviteStatus(r["status"]),
            _uuid(r["created_by"]), codec.parse_stamp(r["created_at"]), codec.parse_stamp(r["updated_at"]),
        )

    def invites_page(
        self, event_id: uuid.UUID, *, status: InviteStatus | None = None, offset: int = 0, limit: int = 30
    ) -> tuple[list[UserInvite | EmailInvite], int]:
        """One page of an event's invites (users and emails, oldest first) and the total
        matching ``status``."""
        where = "event_id = ?" + (" AND status = ?" if status is not None else "")
        one = [str(event_id)] + ([status.value] if status is not None else [])
        union = self._INVITES_SQL.format(where=where)
        total = self.conn.execute(f"SELECT COUNT(*) FROM ({union})", one + one).fetchone()[0]
        rows = self._rows(f"{union} ORDER BY created_at, kind, who LIMIT ? OFFSET ?", one + one + [limit, offset])
        return [self._invite_of(r) for r in rows], total

    def invitees(
        self, event_ids: Iterable[uuid.UUID], limit: int | None = None
    ) -> dict[uuid.UUID, tuple[list[UserInvite | EmailInvite], int]]:
        """Per event: its first ``limit`` invites (all when ``None``; oldest first) and
        the total number of invites."""
        wanted = sorted({str(i) for i in event_ids})
        out: dict[uuid.UUID, tuple[list, int]] = {uuid.UUID(e): ([], 0) for e in wanted}
        if limit == 0:
            for chunk in _chunks(wanted):
                union = self._INVITES_SQL.format(where=f"event_id IN ({_marks(len(chunk))})")
                for eid, n in self.conn.execute(
                    f"SELECT event_id, COUNT(*) FROM ({union}) GROUP BY event_id", list(chunk) * 2
                ):
                    out[uuid.UUID(eid)] = ([], n)
            return out
        for chunk in _chunks(wanted):
            union = self._INVITES_SQL.format(where=f"event_id IN ({_marks(len(chunk))})")
            sql = (
                "SELECT * FROM (SELECT u.*, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY created_at, kind, who)"
                f" AS rn, COUNT(*) OVER (PARTITION BY event_id) AS total FROM ({union}) u)"
            )
            params: list[Any] = list(chunk) * 2
            if limit is not None:
                sql += " WHERE rn <= ?"
                params.append(limit)
            sql += " ORDER BY event_id, rn"
            for r in self._rows(sql, params):
                eid = uuid.UUID(r["event_id"])
                items, _n = out[eid]
                items.append(self._invite_of(r))
                out[eid] = (items, r["total"])
        return out

    def pending_invite_count(self, user_id: uuid.UUID) -> int:
        """How many of the user's invites are still ``pending``."""
        return self.conn.execute(
            "SELECT COUNT(*) FROM user_invites WHERE invitee = ? AND status = 'pending'", (str(user_id),)
        ).fetchone()[0]

    # -- favorites -------------------------------------------------------------------------

    def add_favorite(self, user_id: uuid.UUID, event_id: uuid.UUID, at: datetime | None = None) -> bool:
        """Mark as favorite (``at``: when, now by default); False when it already was."""
        return self._exec(
            "INSERT OR IGNORE INTO favorites (user_id, event_id, created_at) VALUES (?, ?, ?)",
            (str(user_id), str(event_id), codec.stamp_text(at or datetime.now(UTC))),
        ).rowcount > 0

    def remove_favorite(self, user_id: uuid.UUID, event_id: uuid.UUID) -> bool:
        """Unmark; False when it was not a favorite."""
        return self._exec(
            "DELETE FROM favorites WHERE user_id = ? AND event_id = ?", (str(user_id), str(event_id))
        ).rowcount > 0

    def favorite_ids(self, user_id: uuid.UUID, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``event_ids`` the user marked as favorite."""
        wanted = sorted({str(i) for i in event_ids})
        out: set[uuid.UUID] = set()
        for chunk in _chunks(wanted):
            for (eid,) in self.conn.execute(
                f"SELECT event_id FROM favorites WHERE user_id = ? AND event_id IN ({_marks(len(chunk))})",
                [str(user_id), *chunk],
            ):
                out.add(uuid.UUID(eid))
        return out

    def favorites_of_event(self, event_id: uuid.UUID) -> list[uuid.UUID]:
        """Users who marked the event as favorite."""
        return [uuid.UUID(u) for (u,) in self.conn.execute(
            "SELECT user_id FROM favorites WHERE event_id = ? ORDER BY created_at", (str(event_id),)
        )]

    def count_events(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
