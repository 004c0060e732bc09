"""The Store interface: what the service needs from persistence (SPEC §4).

A store keeps events (as whole aggregates: the event, its recurrence lines and its
exceptions), users, invites and favorites, and answers the window question "which
series can have an instance in [a, b)" from an index of each series' span. It holds no
business rules: permissions, revisions, validation and notifications belong to
:mod:`opentalk_sched.service`.

    >>> from opentalk_sched.store import SqliteStore, Store
    >>> isinstance(SqliteStore(":memory:"), Store)
    True

Conventions every implementation follows:

* ids are ``uuid.UUID``; emails are lowercased by the caller (stores lowercase again);
* timestamps are aware UTC datetimes; event times are core wall time + zone;
* ``save_*`` insert or replace; ``delete_*`` return whether something was deleted;
* every method that writes several rows is atomic, and :meth:`Store.transaction`
  groups calls into one transaction (nested blocks are savepoints);
* :meth:`Store.window` returns a superset (by span index) of the events with an
  instance in the window, as compiled series cached per ``(event id, version)``.

Implementations: :class:`~opentalk_sched.store.sqlite.SqliteStore` (embedded default: one
file, WAL) and :class:`~opentalk_sched.store.postgres.PostgresStore` (PostgreSQL, for
several processes or hosts on one database; docs/postgres.md).
:func:`~opentalk_sched.store.open_store` picks one from a URL.
"""

from __future__ import annotations

import sqlite3
import sys
import uuid
from datetime import datetime
from typing import ContextManager, Iterable, Protocol, runtime_checkable

from ..core import Event, InviteStatus
from .records import EmailInvite, EventQuery, EventRow, ExceptionMeta, User, UserInvite, WindowHit
from .series_cache import CompiledEvent


def is_duplicate_key(err: BaseException) -> bool:
    """True when ``err`` is a store's unique-key failure (a second user with an email or
    subject, a room id or (creator, UID) taken): ``sqlite3.IntegrityError`` for a UNIQUE
    or PRIMARY KEY constraint, ``psycopg.errors.UniqueViolation`` on PostgreSQL. Lets
    the service retry a "look up, else insert" that lost a race without importing either
    driver."""
    if isinstance(err, sqlite3.IntegrityError):
        name = getattr(err, "sqlite_errorname", "")
        return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
    psycopg = sys.modules.get("psycopg")  # loaded when a PostgresStore is in use
    return psycopg is not None and isinstance(err, psycopg.errors.UniqueViolation)


@runtime_checkable
class Store(Protocol):
    """Persistence of events, users, invites and favorites (see the module docstring)."""

    def transaction(self) -> ContextManager[None]:
        """One transaction around a block; any exception rolls the whole block back."""

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction`."""

    def close(self) -> None: ...

    # users
    def save_user(self, user: User) -> None: ...
    def get_user(self, user_id: uuid.UUID) -> User | None: ...
    def get_users(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, User]: ...
    def find_user_by_email(self, email: str) -> User | None: ...
    def find_user_by_subject(self, subject: str) -> User | None: ...

    # events
    def save_event(self, event: Event) -> None:
        """Insert or replace the aggregate (row, recurrence lines, exceptions, span index)."""

    def delete_event(self, event_id: uuid.UUID) -> bool:
        """Delete the event with its exceptions, invites and favorites."""

    def get_event(self, event_id: uuid.UUID) -> Event | None: ...
    def get_events(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Event]: ...
    def event_exists(self, event_id: uuid.UUID) -> bool: ...
    def find_event_by_ical_uid(self, ical_uid: str, created_by: uuid.UUID | None = None) -> Event | None: ...
    def find_event_by_room(self, room_id: uuid.UUID) -> Event | None: ...
    def exception_meta(self, event_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, ExceptionMeta]]: ...
    def list_events(self, query: EventQuery) -> list[EventRow]: ...

    def window(self, start: datetime, end: datetime, *, user_id: uuid.UUID | None = None) -> list[WindowHit]:
        """Timed events whose span overlaps [start, end), with the user's own invite."""

    def compiled(self, event: Event) -> CompiledEvent:
        """The cached compiled form of a stored event."""

    # invites
    def get_user_invite(self, event_id: uuid.UUID, user_id: uuid.UUID) -> UserInvite | None: ...
    def user_invites(self, event_id: uuid.UUID) -> list[UserInvite]: ...
    def save_user_invite(self, invite: UserInvite) -> None: ...
    def delete_user_invite(self, event_id: uuid.UUID, user_id: uuid.UUID) -> bool: ...
    def get_email_invite(self, event_id: uuid.UUID, email: str) -> EmailInvite | None: ...
    def email_invites(self, event_id: uuid.UUID) -> list[EmailInvite]: ...
    def email_invites_to(self, email: str) -> list[EmailInvite]: ...
    def save_email_invite(self, invite: EmailInvite) -> None: ...
    def delete_email_invite(self, event_id: uuid.UUID, email: str) -> bool: ...
    def invites_page(
        self, event_id: uuid.UUID, *, status: InviteStatus | None = None, offset: int = 0, limit: int = 30
    ) -> tuple[list[UserInvite | EmailInvite], int]: ...
    def invitees(
        self, event_ids: Iterable[uuid.UUID], limit: int | None = None
    ) -> dict[uuid.UUID, tuple[list[UserInvite | EmailInvite], int]]: ...
    def pending_invite_count(self, user_id: uuid.UUID) -> int: ...

    # favorites
    def add_favorite(self, user_id: uuid.UUID, event_id: uuid.UUID, at: datetime | None = None) -> bool: ...
    def remove_favorite(self, user_id: uuid.UUID, event_id: uuid.UUID) -> bool: ...
    def favorite_ids(self, user_id: uuid.UUID, event_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]: ...
    def favorites_of_event(self, event_id: uuid.UUID) -> list[uuid.UUID]: ...
