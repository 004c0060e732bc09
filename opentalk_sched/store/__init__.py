"""opentalk_sched.store: persistence of events, users, invites and favorites.

    >>> from opentalk_sched.store import open_store
    >>> store = open_store(":memory:")        # SQLite file path, or ":memory:"

Modules: ``base`` (the :class:`Store` protocol), ``sqlite`` (:class:`SqliteStore`, the
embedded default: one file, WAL), ``schema`` (tables and migrations), ``codec`` (core
values ↔ columns: wall time + zone, derived UTC columns), ``records`` (users, invites,
listing rows), ``series_cache`` (compiled series per ``(event id, version)``).
"""

from __future__ import annotations

from pathlib import Path

from .base import Store
from .records import EmailInvite, EventQuery, EventRow, ExceptionMeta, User, UserInvite, WindowHit
from .schema import SCHEMA_VERSION, SchemaTooNew
from .series_cache import CompiledEvent, SeriesCache
from .sqlite import SqliteStore


def open_store(path: str | Path) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite store at ``path``."""
    return SqliteStore(path)


__all__ = [
    "Store", "SqliteStore", "open_store", "User", "UserInvite", "EmailInvite", "EventQuery", "EventRow",
    "ExceptionMeta", "WindowHit", "CompiledEvent", "SeriesCache", "SCHEMA_VERSION", "SchemaTooNew",
]
