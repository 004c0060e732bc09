"""Secret calendar-feed tokens: which user a feed URL belongs to (SPEC §3 Feeds).

A calendar client that cannot send a bearer token subscribes to a URL with a secret in
it (``/v1/feeds/<token>.ics``). The store keeps one such token per user, and only its
SHA-256 digest: a copy of the database does not give anyone a working feed URL, and a
lookup by digest does not leak the token through timing.

    >>> from opentalk_sched.store import SqliteStore, User
    >>> import uuid
    >>> store = SqliteStore(":memory:")
    >>> alice = User(uuid.uuid4(), "alice@example.com")
    >>> store.save_user(alice)
    >>> tokens = feed_tokens(store)
    >>> tokens.save_feed_token(FeedToken(alice.id, digest("s3cret")))
    >>> tokens.find_feed_token(digest("s3cret")).user_id == alice.id
    True
    >>> tokens.delete_feed_token(alice.id), tokens.find_feed_token(digest("s3cret"))
    (True, None)

The table is ``feed_tokens`` (schema version 2 in :mod:`.schema` and
:mod:`.postgres_schema`): ``token_hash`` (primary key), ``user_id`` (unique, references
``users``), ``created_at``. :func:`feed_tokens` gives the operations for a store: the
store itself when it implements :class:`FeedTokenStore`, else an adapter for
:class:`~opentalk_sched.store.sqlite.SqliteStore` or
:class:`~opentalk_sched.store.postgres.PostgresStore` that runs its statements on the
store's connection, so they join the store's :meth:`transaction` like every other call.
Rules (one token per user, rotation, revocation) belong to
:mod:`opentalk_sched.service.feeds`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from . import codec

__all__ = ["FeedToken", "FeedTokenStore", "feed_tokens", "digest"]


def digest(token: str) -> str:
    """The stored form of a token: SHA-256 of its UTF-8 bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class FeedToken:
    """A user's feed token as stored: ``token_hash`` is :func:`digest` of the secret;
    ``created_at`` aware UTC."""

    user_id: uuid.UUID
    token_hash: str
    created_at: datetime | None = None


@runtime_checkable
class FeedTokenStore(Protocol):
    """The feed-token operations (one token per user)."""

    def save_feed_token(self, token: FeedToken) -> None:
        """Store ``token`` as the user's only one (an older token of the user is replaced)."""

    def feed_token_of(self, user_id: uuid.UUID) -> FeedToken | None:
        """The user's current token, or ``None``."""

    def find_feed_token(self, token_hash: str) -> FeedToken | None:
        """The token with this digest, or ``None`` (unknown or revoked)."""

    def delete_feed_token(self, user_id: uuid.UUID) -> bool:
        """Remove the user's token; False when there was none."""


class _SqliteFeedTokens:
    """:class:`FeedTokenStore` on a :class:`~opentalk_sched.store.sqlite.SqliteStore`
    (text columns, as the rest of its schema)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @staticmethod
    def _token(row) -> FeedToken | None:
        if row is None:
            return None
        return FeedToken(uuid.UUID(row[0]), row[1], codec.parse_stamp(row[2]))

    def save_feed_token(self, token: FeedToken) -> None:
        with self.store.transaction():
            conn = self.store.conn
            conn.execute("DELETE FROM feed_tokens WHERE user_id = ?", (str(token.user_id),))
            conn.execute(
                "INSERT INTO feed_tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)",
                (token.token_hash, str(token.user_id), codec.stamp_text(token.created_at)),
            )

    def feed_token_of(self, user_id: uuid.UUID) -> FeedToken | None:
        return self._token(self.store.conn.execute(
            "SELECT user_id, token_hash, created_at FROM feed_tokens WHERE user_id = ?", (str(user_id),)
        ).fetchone())

    def find_feed_token(self, token_hash: str) -> FeedToken | None:
        return self._token(self.store.conn.execute(
            "SELECT user_id, token_hash, created_at FROM feed_tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone())

    def delete_feed_token(self, user_id: uuid.UUID) -> bool:
        return self.store.conn.execute(
            "DELETE FROM feed_tokens WHERE user_id = ?", (str(user_id),)
        ).rowcount > 0


class _PostgresFeedTokens:
    """:class:`FeedTokenStore` on a :class:`~opentalk_sched.store.postgres.PostgresStore`
    (``uuid`` and ``timestamptz`` columns)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @staticmethod
    def _token(row) -> FeedToken | None:
        if row is None:
            return None
        return FeedToken(row[0], row[1], row[2])

    def save_feed_token(self, token: FeedToken) -> None:
        with self.store.transaction(), self.store.connection() as conn:
            conn.execute("DELETE FROM feed_tokens WHERE user_id = %s", (token.user_id,))
            conn.execute(
                "INSERT INTO feed_tokens (token_hash, user_id, created_at) VALUES (%s, %s, %s)",
                (token.token_hash, token.user_id, token.created_at),
            )

    def feed_token_of(self, user_id: uuid.UUID) -> FeedToken | None:
        with self.store.connection() as conn:
            return self._token(conn.execute(
                "SELECT user_id, token_hash, created_at FROM feed_tokens WHERE user_id = %s", (user_id,)
            ).fetchone())

    def find_feed_token(self, token_hash: str) -> FeedToken | None:
        with self.store.connection() as conn:
            return self._token(conn.execute(
                "SELECT user_id, token_hash, created_at FROM feed_tokens WHERE token_hash = %s", (token_hash,)
            ).fetchone())

    def delete_feed_token(self, user_id: uuid.UUID) -> bool:
        with self.store.connection() as conn:
            return conn.execute("DELETE FROM feed_tokens WHERE user_id = %s", (user_id,)).rowcount > 0


def feed_tokens(store: Any) -> FeedTokenStore:
    """The feed-token operations of ``store``: the store itself when it implements
    :class:`FeedTokenStore`, else the adapter for its backend. Raises ``TypeError`` for a
    store that keeps no feed tokens."""
    if isinstance(store, FeedTokenStore):
        return store
    for cls in type(store).__mro__:  # by name: importing PostgresStore needs psycopg
        adapter = _ADAPTERS.get(cls.__name__)
        if adapter is not None:
            return adapter(store)
    raise TypeError(f"{type(store).__name__} keeps no calendar-feed tokens (implement FeedTokenStore)")


_ADAPTERS = {"SqliteStore": _SqliteFeedTokens, "PostgresStore": _PostgresFeedTokens}
