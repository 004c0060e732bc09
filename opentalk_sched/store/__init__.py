"""opentalk_sched.store: persistence of events, users, invites and favorites.

    >>> from opentalk_sched.store import open_store
    >>> store = open_store(":memory:")        # SQLite file path, or ":memory:"
    >>> parse_store_url("postgresql://app@db/calendar"), parse_store_url("sqlite:///cal.db")
    (('postgres', 'postgresql://app@db/calendar'), ('sqlite', 'cal.db'))

Modules: ``base`` (the :class:`Store` protocol), ``sqlite`` (:class:`SqliteStore`, the
embedded default: one file, WAL), ``postgres`` (``PostgresStore``, imported on demand:
it needs psycopg), ``schema`` / ``postgres_schema`` (tables and migrations), ``codec``
(core values ↔ columns: wall time + zone, derived UTC columns), ``records`` (users,
invites, listing rows), ``series_cache`` (compiled series per ``(event id, version)``),
``sql`` (statements of the modules that keep tables in the store's database).
"""

from __future__ import annotations

from pathlib import Path

from .base import Store, is_duplicate_key
from .records import EmailInvite, EventQuery, EventRow, ExceptionMeta, User, UserInvite, WindowHit
from .schema import SCHEMA_VERSION, SchemaTooNew
from .series_cache import CompiledEvent, SeriesCache
from .sqlite import SqliteStore


def parse_store_url(url: str | Path) -> tuple[str, str]:
    """``(backend, target)`` of a store location: ``("postgres", url)`` for
    ``postgresql://`` / ``postgres://`` URLs (libpq syntax); ``("sqlite", path)`` for
    ``sqlite:///relative.db``, ``sqlite:////absolute/cal.db``, ``sqlite://`` (in memory)
    and for anything without a scheme (a file path or ``":memory:"``). Raises
    ``ValueError`` for another scheme."""
    text = str(url)
    lower = text.lower()
    if lower.startswith(("postgresql://", "postgres://")):
        return "postgres", text
    if lower.startswith("sqlite:"):
        rest = text[len("sqlite:"):]
        if rest.startswith("//"):  # an empty authority, then the path: /relative or //absolute
            rest = rest[3:] if rest.startswith("///") else rest[2:]
        return "sqlite", rest or ":memory:"
    if "://" in text:
        raise ValueError(f"unsupported store URL {text.split('://', 1)[0]}:// (use postgresql:// or sqlite:///)")
    return "sqlite", text


def open_store(url: str | Path, **options) -> Store:
    """Open (creating and migrating as needed) the store at ``url`` (see
    :func:`parse_store_url`): a :class:`SqliteStore` for a path or ``sqlite:`` URL, a
    :class:`~opentalk_sched.store.postgres.PostgresStore` for a ``postgresql://`` URL
    (needs the ``postgres`` extra: psycopg, psycopg_pool). ``options`` go to the store's
    constructor (``cache=``, and for PostgreSQL ``max_size=``, ``migrate=`` ...)."""
    backend, target = parse_store_url(url)
    if backend == "postgres":
        from .postgres import PostgresStore

        return PostgresStore(target, **options)
    return SqliteStore(target, **options)


__all__ = [
    "Store", "SqliteStore", "open_store", "parse_store_url", "is_duplicate_key", "User", "UserInvite", "EmailInvite", "EventQuery", "EventRow",
    "ExceptionMeta", "WindowHit", "CompiledEvent", "SeriesCache", "SCHEMA_VERSION", "SchemaTooNew",
]
