"""The PostgreSQL schema of the event store and its migrations.

The tables are those of :mod:`opentalk_sched.store.schema` (same names, same columns,
same meaning, same version numbers), written with PostgreSQL's types where they help:

* ids are ``uuid``, flags ``boolean``, stamps (``created_at``, ``updated_at``) and the
  derived UTC columns (``starts_at_utc``, ``ends_at_utc``, ``original_start_utc``)
  ``timestamptz``;
* wall times stay text (``2025-03-10T09:00:00`` or a date ``2025-03-10``: one column
  holds either kind) and so do ``sort_start``, the keyset text of listings, and
  ``recurrence_id``; they use the ``"C"`` collation so text order is byte order, as in
  SQLite, whatever the database's locale;
* instead of ``span_start``/``span_end`` text, each series' span is one
  ``tstzrange`` column ``span`` (inclusive bounds; an unbounded upper end for rules
  without COUNT or UNTIL), indexed with GiST: the window query is ``span && [a, b]``;
* ``version`` (the write counter the compiled-series cache keys on) is drawn from the
  sequence ``event_versions``, so an (id, version) pair is never reused, not even when
  an event is deleted and created again with the same id.

The version lives in the table ``opentalk_sched_schema`` (one row per applied step,
with the time it was applied). :func:`migrate` brings a database to
:data:`~opentalk_sched.store.schema.SCHEMA_VERSION`, each step in one transaction
together with its version row, under a transaction-level advisory lock, so several
processes starting at once migrate exactly once. A database newer than this library is
refused (:class:`~opentalk_sched.store.schema.SchemaTooNew`).

    >>> len(MIGRATIONS) == SCHEMA_VERSION
    True
"""

from __future__ import annotations

import psycopg

from .schema import SCHEMA_VERSION, SchemaTooNew

#: the table that records applied migration steps
VERSION_TABLE = "opentalk_sched_schema"
#: ``pg_advisory_xact_lock`` key held while migrating (any constant; "otsched" in ASCII)
MIGRATION_LOCK = 0x6F747363686564


class SchemaNotMigrated(RuntimeError):
    """The database is older than this library and the store was opened with
    ``migrate=False``: run ``opentalk-sched migrate --db URL`` first."""


_V1 = """
CREATE SEQUENCE event_versions AS bigint;

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    subject text,
    display_name text NOT NULL DEFAULT '',
    firstname text NOT NULL DEFAULT '',
    lastname text NOT NULL DEFAULT '',
    title text NOT NULL DEFAULT '',
    avatar_url text,
    timezone text NOT NULL DEFAULT 'UTC',
    created_at timestamptz
);
CREATE UNIQUE INDEX idx_users_email ON users (email);
CREATE UNIQUE INDEX idx_users_subject ON users (subject);

CREATE TABLE events (
    id uuid PRIMARY KEY,
    ical_uid text NOT NULL,
    title text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    created_by uuid,
    created_at timestamptz,
    updated_by uuid,
    updated_at timestamptz,
    is_adhoc boolean NOT NULL DEFAULT false,
    revision integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT nextval('event_versions'),
    room_id uuid,
    room_password text,
    waiting_room boolean NOT NULL DEFAULT false,
    is_time_independent boolean NOT NULL,
    is_all_day boolean,
    is_recurring boolean NOT NULL DEFAULT false,
    starts_at text,
    ends_at text,
    tzid text,
    custom_zones text,
    nominal_seconds bigint,
    properties text,
    sort_start text COLLATE "C" NOT NULL,
    starts_at_utc timestamptz,
    ends_at_utc timestamptz,
    span tstzrange,
    CHECK (is_time_independent = (span IS NULL))
);
ALTER SEQUENCE event_versions OWNED BY events.version;
CREATE UNIQUE INDEX idx_events_uid ON events (created_by, ical_uid);
CREATE UNIQUE INDEX idx_events_room ON events (room_id);
CREATE INDEX idx_events_order ON events (sort_start, (coalesce(created_at, '-infinity'::timestamptz)), id);
CREATE INDEX idx_events_span ON events USING gist (span);
CREATE INDEX idx_events_created_by ON events (created_by);

CREATE TABLE recurrence (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position integer NOT NULL,
    line text NOT NULL,
    PRIMARY KEY (event_id, position)
);

CREATE TABLE exceptions (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    recurrence_id text COLLATE "C" NOT NULL,
    original_start_utc timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('modified', 'cancelled')),
    title text,
    description text,
    is_all_day boolean,
    starts_at text,
    ends_at text,
    this_and_future boolean NOT NULL DEFAULT false,
    sequence integer NOT NULL DEFAULT 0,
    properties text,
    created_by uuid,
    created_at timestamptz,
    updated_by uuid,
    updated_at timestamptz,
    PRIMARY KEY (event_id, recurrence_id)
);

CREATE TABLE user_invites (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    invitee uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('user', 'moderator')),
    status text NOT NULL CHECK (status IN ('pending', 'accepted', 'tentative', 'declined')),
    created_by uuid,
    created_at timestamptz,
    updated_at timestamptz,
    PRIMARY KEY (event_id, invitee)
);
CREATE INDEX idx_user_invites_invitee ON user_invites (invitee, status);

CREATE TABLE email_invites (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    email text COLLATE "C" NOT NULL,
    role text NOT NULL CHECK (role IN ('guest', 'moderator')),
    status text NOT NULL CHECK (status IN ('pending', 'accepted', 'tentative', 'declined')),
    created_by uuid,
    created_at timestamptz,
    updated_at timestamptz,
    PRIMARY KEY (event_id, email)
);
CREATE INDEX idx_email_invites_email ON email_invites (email);

CREATE TABLE favorites (
    user_id uuid NOT NULL,
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_at timestamptz,
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX idx_favorites_event ON favorites (event_id);
"""

#: version 2: one secret calendar-feed token per user, kept only as its SHA-256 digest
_V2 = """
CREATE TABLE feed_tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz
);
CREATE UNIQUE INDEX idx_feed_tokens_user ON feed_tokens (user_id);
"""

#: version 3: SQLite's event versions come from a store-wide counter too (its table
#: ``event_versions``); PostgreSQL has drawn them from this sequence since version 1
_V3 = """
COMMENT ON SEQUENCE event_versions IS 'the version of every event row write: never reused for an id';
"""

#: version 4: a user's saved working hours (:mod:`opentalk_sched.scheduling`) and the
#: CalDAV push state (:mod:`opentalk_sched.caldav.state`); ``"user"`` is quoted (a
#: reserved word here), ``pushed_at`` stays the text the push engine wrote
_V4 = """
CREATE TABLE scheduling_working_hours (
    user_id uuid PRIMARY KEY,
    hours text NOT NULL,
    timezone text,
    updated_at timestamptz NOT NULL
);

CREATE TABLE caldav_targets (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    "user" text NOT NULL,
    server_url text NOT NULL,
    calendar text NOT NULL,
    collection_url text,
    sync_token text,
    updated_at timestamptz,
    UNIQUE ("user", server_url, calendar)
);
CREATE TABLE caldav_items (
    target_id bigint NOT NULL REFERENCES caldav_targets (id) ON DELETE CASCADE,
    event_id text NOT NULL,
    href text NOT NULL,
    etag text,
    revision integer NOT NULL,
    content_hash text NOT NULL,
    remote_etag text,
    remote_gone boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'synced',
    pushed_at text,
    PRIMARY KEY (target_id, event_id)
);
CREATE INDEX caldav_items_href ON caldav_items (target_id, href);
"""

#: migration steps: MIGRATIONS[n] takes a database from version n to n + 1 (in step
#: with :data:`opentalk_sched.store.schema.MIGRATIONS`)
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4]

#: every table of the store, children first (the order :func:`drop_all` uses)
TABLES = (
    "caldav_items", "caldav_targets", "scheduling_working_hours", "feed_tokens", "favorites", "email_invites",
    "user_invites", "exceptions", "recurrence", "events", "users",
)

assert len(MIGRATIONS) == SCHEMA_VERSION, "every SQLite migration needs its PostgreSQL step"

_CREATE_VERSION_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
    " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
)


def current_version(conn: psycopg.Connection) -> int:
    """The applied schema version (0 for a database without the version table)."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,)
    ).fetchone()
    if not row[0]:
        return 0
    return int(conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0])


def _too_new(version: int) -> SchemaTooNew:
    return SchemaTooNew(f"database schema {version} is newer than this library's {SCHEMA_VERSION}")


def migrate(conn: psycopg.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the database of ``conn`` (an autocommit connection) to ``target``; returns
    the version reached. Each step runs in one transaction with its version row, under
    :data:`MIGRATION_LOCK`, and re-reads the version after taking the lock, so
    concurrent callers do each step once. Raises :class:`SchemaTooNew` when the database
    is newer than this library; a failing step rolls back and raises the database error.
    """
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise _too_new(version)
    while version < target:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(_CREATE_VERSION_TABLE)
            version = current_version(conn)
            if version > SCHEMA_VERSION:
                raise _too_new(version)
            if version < target:
                conn.execute(MIGRATIONS[version])
                version += 1
                conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (version,))
    return version


def check(conn: psycopg.Connection) -> int:
    """The version when it is this library's; :class:`SchemaTooNew` or
    :class:`SchemaNotMigrated` otherwise (nothing is changed)."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise _too_new(version)
    if version < SCHEMA_VERSION:
        raise SchemaNotMigrated(
            f"database schema {version} is older than this library's {SCHEMA_VERSION}:"
            " run `opentalk-sched migrate --db URL`"
        )
    return version


def drop_all(conn: psycopg.Connection) -> None:
    """Drop every table of the store and the version table (tests and tooling only)."""
    with conn.transaction():
        conn.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)}, {VERSION_TABLE} CASCADE")
        conn.execute("DROP SEQUENCE IF EXISTS event_versions")
