"""The SQLite schema of the event store and its migrations.

The schema version lives in ``PRAGMA user_version``. :func:`migrate` brings any
database (a new empty file included) to :data:`SCHEMA_VERSION` by running each
migration step in order, each in its own transaction; a database newer than this
library is refused (:class:`SchemaTooNew`) rather than guessed at.

    >>> import sqlite_utils
    >>> db = sqlite_utils.Database(memory=True)
    >>> migrate(db)
    4
    >>> sorted(t for t in db.table_names() if not t.startswith("sqlite_"))[:3]
    ['caldav_items', 'caldav_targets', 'email_invites']

Tables (SPEC §1, §4):

* ``users``: id, email (lowercased, unique), subject (identity provider, unique),
  profile fields, timezone;
* ``events``: the event row with its room (``room_id`` unique, ``room_password``,
  ``waiting_room``), ``revision`` (iCalendar SEQUENCE), ``ical_uid``, the date part as
  wall time + zone (``starts_at``, ``ends_at``, ``tzid``, ``custom_zones``) and derived
  UTC columns for indexes: ``sort_start`` (listing order), ``span_start``/``span_end``
  (every instance lies inside; ``span_end`` is ``9999-12-31T23:59:59`` for unbounded
  rules), plus ``version``, a write counter for caches (drawn from ``event_versions``);
* ``recurrence``: the recurrence lines of a series as text, in order;
* ``exceptions``: one row per (event, original start);
* ``user_invites``, ``email_invites``, ``favorites``;
* ``feed_tokens`` (version 2): the secret calendar-feed token of a user, stored as its
  SHA-256 hex digest (:mod:`opentalk_sched.store.feed_tokens`);
* ``event_versions`` (version 3): one row, the last ``version`` given to an event row.
  Every write of an event takes the next value, so an (event id, version) pair is never
  reused, not even when an event is deleted and created again with the same id (an
  import does that); another process's compiled-series cache then misses instead of
  serving the old event. (PostgreSQL draws from a sequence of the same name.)
* ``scheduling_working_hours`` (version 4): a user's saved working hours
  (:mod:`opentalk_sched.scheduling`);
* ``caldav_targets``, ``caldav_items`` (version 4): what the CalDAV push sent where
  (:mod:`opentalk_sched.caldav.state`, which describes the columns). These two
  modules created their tables themselves before (SQLite only), so the step keeps
  tables that are already there (``IF NOT EXISTS``).

Child rows reference ``events(id)`` with ``ON DELETE CASCADE`` (foreign keys are on),
and the store also deletes them explicitly.
"""

from __future__ import annotations

import sqlite_utils

#: the schema this library writes
SCHEMA_VERSION = 4


class SchemaTooNew(RuntimeError):
    """The database was written by a newer opentalk-sched (its user_version is higher)."""


_V1 = """
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    subject TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    firstname TEXT NOT NULL DEFAULT '',
    lastname TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    created_at TEXT
);
CREATE UNIQUE INDEX idx_users_email ON users(email);
CREATE UNIQUE INDEX idx_users_subject ON users(subject);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    ical_uid TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    created_at TEXT,
    updated_by TEXT,
    updated_at TEXT,
    is_adhoc INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    room_id TEXT,
    room_password TEXT,
    waiting_room INTEGER NOT NULL DEFAULT 0,
    is_time_independent INTEGER NOT NULL,
    is_all_day INTEGER,
    is_recurring INTEGER NOT NULL DEFAULT 0,
    starts_at TEXT,
    ends_at TEXT,
    tzid TEXT,
    custom_zones TEXT,
    nominal_seconds INTEGER,
    properties TEXT,
    sort_start TEXT NOT NULL,
    starts_at_utc TEXT,
    ends_at_utc TEXT,
    span_start TEXT,
    span_end TEXT
);
CREATE UNIQUE INDEX idx_events_uid ON events(created_by, ical_uid);
CREATE UNIQUE INDEX idx_events_room ON events(room_id);
CREATE INDEX idx_events_order ON events(sort_start, coalesce(created_at, ''), id);
CREATE INDEX idx_events_span_end ON events(span_end, span_start);
CREATE INDEX idx_events_span_start ON events(span_start, span_end);

CREATE TABLE recurrence (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (event_id, position)
);

CREATE TABLE exceptions (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    recurrence_id TEXT NOT NULL,
    original_start_utc TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('modified', 'cancelled')),
    title TEXT,
    description TEXT,
    is_all_day INTEGER,
    starts_at TEXT,
    ends_at TEXT,
    this_and_future INTEGER NOT NULL DEFAULT 0,
    sequence INTEGER NOT NULL DEFAULT 0,
    properties TEXT,
    created_by TEXT,
    created_at TEXT,
    updated_by TEXT,
    updated_at TEXT,
    PRIMARY KEY (event_id, recurrence_id)
);

CREATE TABLE user_invites (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    invitee TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'moderator')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'tentative', 'declined')),
    created_by TEXT,
    created_at TEXT,
    updated_at TEXT,
    PRIMARY KEY (event_id, invitee)
);
CREATE INDEX idx_user_invites_invitee ON user_invites(invitee, status);

CREATE TABLE email_invites (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('guest', 'moderator')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'tentative', 'declined')),
    created_by TEXT,
    created_at TEXT,
    updated_at TEXT,
    PRIMARY KEY (event_id, email)
);
CREATE INDEX idx_email_invites_email ON email_invites(email);

CREATE TABLE favorites (
    user_id TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    created_at TEXT,
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX idx_favorites_event ON favorites(event_id);
"""

#: version 2: one secret calendar-feed token per user, kept only as its SHA-256 digest
_V2 = """
CREATE TABLE feed_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT
);
CREATE UNIQUE INDEX idx_feed_tokens_user ON feed_tokens(user_id);
"""

#: version 3: event versions from one store-wide counter (starting above every version in use)
_V3 = """
CREATE TABLE event_versions (
    last INTEGER NOT NULL
);
INSERT INTO event_versions (last) SELECT coalesce(max(version), 0) FROM events;
"""

#: a user's saved working hours (:mod:`opentalk_sched.scheduling`)
WORKING_HOURS_TABLE = """
CREATE TABLE IF NOT EXISTS scheduling_working_hours (
    user_id TEXT PRIMARY KEY,
    hours TEXT NOT NULL,
    timezone TEXT,
    updated_at TEXT NOT NULL
);
"""

#: the CalDAV push state (:mod:`opentalk_sched.caldav.state`; also used for a state file of its own)
CALDAV_TABLES = """
CREATE TABLE IF NOT EXISTS caldav_targets (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    server_url TEXT NOT NULL,
    calendar TEXT NOT NULL,
    collection_url TEXT,
    sync_token TEXT,
    updated_at TEXT,
    UNIQUE (user, server_url, calendar)
);
CREATE TABLE IF NOT EXISTS caldav_items (
    target_id INTEGER NOT NULL REFERENCES caldav_targets(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    href TEXT NOT NULL,
    etag TEXT,
    revision INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    remote_etag TEXT,
    remote_gone INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'synced',
    pushed_at TEXT,
    PRIMARY KEY (target_id, event_id)
);
CREATE INDEX IF NOT EXISTS caldav_items_href ON caldav_items (target_id, href);
"""

#: version 4: the tables of the scheduling and CalDAV modules join the store's schema
#: (and so PostgreSQL's)
_V4 = WORKING_HOURS_TABLE + CALDAV_TABLES

#: migration steps: MIGRATIONS[n] takes a database from version n to n + 1
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4]


def current_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> int:
    """Bring ``db`` to :data:`SCHEMA_VERSION`; returns the version. Each step runs in one
    transaction together with the ``user_version`` bump, so a failed step changes nothing.

    Raises :class:`SchemaTooNew` when the database is newer than this library.
    """
    version = current_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema {version} is newer than this library's {SCHEMA_VERSION}")
    while version < SCHEMA_VERSION:
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")  # take the write lock before re-reading the version
        try:
            found = current_version(db)
            if found == version:
                for statement in filter(None, (s.strip() for s in MIGRATIONS[version].split(";"))):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
                found = version + 1
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(f"database schema {found} is newer than this library's {SCHEMA_VERSION}")
        version = found
    return version
