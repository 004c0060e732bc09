"""Records the store keeps besides events: users, invites, and the rows queries return.

Events themselves are :class:`opentalk_sched.core.Event` values; everything else a
store persists is one of the plain frozen dataclasses below. Times are aware UTC
``datetime`` values (``created_at``, ``updated_at``); ids are ``uuid.UUID``.

    >>> import uuid
    >>> u = User(id=uuid.uuid4(), email="alice@example.com", display_name="Alice")
    >>> u.profile_name
    'Alice'

Nothing here talks to a database; :mod:`opentalk_sched.store.sqlite` maps these records
to tables and :mod:`opentalk_sched.store.base` declares the operations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from typing import TYPE_CHECKING

from ..core import Event, InviteRole, InviteStatus

if TYPE_CHECKING:  # pragma: no cover
    from .series_cache import CompiledEvent


@dataclass(frozen=True, slots=True)
class User:
    """A registered user.

    ``email`` is lowercased and unique; ``subject`` is the identity provider's stable
    subject (OIDC ``sub``), unique when set; ``timezone`` is an IANA name (``UTC`` by
    default) used to present floating times to this user.
    """

    id: uuid.UUID
    email: str
    display_name: str = ""
    firstname: str = ""
    lastname: str = ""
    title: str = ""
    avatar_url: str | None = None
    timezone: str = "UTC"
    subject: str | None = None
    created_at: datetime | None = None

    @property
    def profile_name(self) -> str:
        """The name to show: display name, else "first last", else the email."""
        return self.display_name or " ".join(p for p in (self.firstname, self.lastname) if p) or self.email


@dataclass(frozen=True, slots=True)
class UserInvite:
    """A registered user invited to an event (SPEC §1 Invites).

    ``role`` is ``user`` or ``moderator``; ``status`` the invitee's answer.
    """

    event_id: uuid.UUID
    invitee: uuid.UUID
    role: InviteRole = InviteRole.USER
    status: InviteStatus = InviteStatus.PENDING
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EmailInvite:
    """An invite to an email address without a user (yet).

    ``email`` is lowercased; ``role`` is ``guest`` or ``moderator``; ``status`` is
    ``pending`` until a REPLY (or an import's PARTSTAT) says otherwise.
    """

    event_id: uuid.UUID
    email: str
    role: InviteRole = InviteRole.GUEST
    status: InviteStatus = InviteStatus.PENDING
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExceptionMeta:
    """Who created and last changed one exception (override) of a series, and when."""

    created_by: uuid.UUID | None
    created_at: datetime | None
    updated_by: uuid.UUID | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row of an event listing: the event, the caller's invite (``None`` for the
    creator or when listing for nobody) and whether the caller marked it favorite.

    ``sort_key`` is the keyset position ``(sort_start, created_at, id)`` as text, used
    by cursor paging.
    """

    event: Event
    invite: UserInvite | None
    is_favorite: bool
    sort_key: tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Filters of an event listing (GET /v1/events, SPEC §2).

    ``user_id``: scope to events the user created or is invited to (any status).
    ``time_min``/``time_max`` (aware, UTC or any zone): keep timed events whose whole
    span overlaps [time_min, time_max); time-independent events are kept unless
    ``time_independent`` is False. ``favorites``/``adhoc``/``time_independent``: ``None``
    = no filter. ``invite_status``: keep events whose caller status is in the set (the
    creator's own events count as ``accepted``). ``after``: keyset position, exclusive
    unless ``include_after``. ``limit``: maximum rows.
    """

    user_id: uuid.UUID | None = None
    time_min: datetime | None = None
    time_max: datetime | None = None
    favorites: bool | None = None
    adhoc: bool | None = None
    time_independent: bool | None = None
    invite_status: frozenset[InviteStatus] | None = None
    after: tuple[str, str, str] | None = None
    include_after: bool = False
    limit: int = 100


@dataclass(frozen=True, slots=True)
class WindowHit:
    """A timed event that can have an instance in a queried window.

    ``compiled`` is the cached compiled event (its ``series`` and month lists);
    ``invite`` is the querying user's own invite (``None`` for the creator, or when the
    query is not scoped to a user).
    """

    compiled: "CompiledEvent"
    created_by: uuid.UUID | None
    invite: UserInvite | None

    @property
    def event(self) -> Event:
        return self.compiled.event


@dataclass(slots=True)
class IndexHit:
    """A candidate of :meth:`SqliteStore.window_index
    <opentalk_sched.store.sqlite.SqliteStore.window_index>`: either ``compiled`` (the
    series is in memory) or ``entries``, the instances the persisted month index holds
    for the covered months, as ``(start key, end key, original start, cancelled)``
    tuples (naive UTC keys; an instance spanning two months appears in both).
    ``invite``: the querying user's own invite, as in :class:`WindowHit`."""

    event_id: str
    version: int
    created_by: uuid.UUID | None
    invite: UserInvite | None
    compiled: "CompiledEvent | None" = None
    entries: list | None = None
