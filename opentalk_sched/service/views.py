"""Typed answers of the scheduling service: what the events API presents (SPEC §2).

Each view holds exactly the fields of its wire resource, already decided (permissions,
the caller's own invite status, favorites, truncated invitee lists), so an adapter only
renames and serialises. Optional wire fields are ``None`` here and omitted on the wire.

* :class:`EventView`: the event resource (``type`` ``single``/``recurring``; a
  time-independent event has no date fields); ``revision`` is the ETag.
* :class:`InstanceView`: one occurrence, exceptions applied (``type="instance"``).
* :class:`ExceptionView`: a changed or cancelled occurrence in event listings.
* :class:`Page`: a list with the opaque cursor of the next page (``None`` at the end);
  :class:`InvitePage` for page-numbered invite lists.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from ..core import InstanceStatus, InviteRole, InviteStatus
from .requests import DateTimeTZ

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Profile:
    """A user's public profile (``{id, email, title, firstname, lastname, display_name,
    avatar_url}``)."""

    id: uuid.UUID
    email: str
    title: str
    firstname: str
    lastname: str
    display_name: str
    avatar_url: str


@dataclass(frozen=True, slots=True)
class RoomView:
    id: uuid.UUID
    password: str | None
    waiting_room: bool


@dataclass(frozen=True, slots=True)
class InviteeView:
    """One invitee: ``kind="registered"`` with ``profile`` and ``role``, or
    ``kind="email"`` with ``email`` and ``avatar_url`` (and ``role``)."""

    kind: Literal["registered", "email"]
    status: InviteStatus
    role: InviteRole
    profile: Profile | None = None
    email: str | None = None
    avatar_url: str | None = None


@dataclass(frozen=True, slots=True)
class EventView:
    """The event resource. ``starts_at``/``ends_at`` are the first occurrence;
    ``recurrence_pattern`` is empty for single events; ``invite_status`` is the caller's
    (``accepted`` for the creator); ``can_edit`` is True for the creator only."""

    id: uuid.UUID
    ical_uid: str
    created_by: Profile
    created_at: dt.datetime
    updated_by: Profile
    updated_at: dt.datetime
    title: str
    description: str
    room: RoomView | None
    invitees_truncated: bool
    invitees: tuple[InviteeView, ...]
    is_adhoc: bool
    invite_status: InviteStatus
    is_favorite: bool
    can_edit: bool
    revision: int
    is_time_independent: bool
    type: Literal["single", "recurring"]
    is_all_day: bool | None = None
    starts_at: DateTimeTZ | None = None
    ends_at: DateTimeTZ | None = None
    recurrence_pattern: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InstanceView:
    """One occurrence. ``id`` is ``<event_id>_<instance_id>``; ``instance_id`` names the
    original start (SPEC §1)."""

    id: str
    recurring_event_id: uuid.UUID
    instance_id: str
    created_by: Profile
    created_at: dt.datetime
    updated_by: Profile
    updated_at: dt.datetime
    title: str
    description: str
    room: RoomView | None
    invitees_truncated: bool
    invitees: tuple[InviteeView, ...]
    is_all_day: bool
    starts_at: DateTimeTZ
    ends_at: DateTimeTZ
    status: InstanceStatus
    invite_status: InviteStatus
    is_favorite: bool
    can_edit: bool
    revision: int
    type: Literal["instance"] = "instance"


@dataclass(frozen=True, slots=True)
class ExceptionView:
    """A changed (``status=ok``) or cancelled occurrence; only overridden fields are set."""

    id: str
    recurring_event_id: uuid.UUID
    instance_id: str
    created_by: Profile
    created_at: dt.datetime
    updated_by: Profile
    updated_at: dt.datetime
    original_starts_at: DateTimeTZ
    status: InstanceStatus
    can_edit: bool
    title: str | None = None
    description: str | None = None
    is_all_day: bool | None = None
    starts_at: DateTimeTZ | None = None
    ends_at: DateTimeTZ | None = None
    type: Literal["exception"] = "exception"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """``items`` of one page; ``next_cursor`` to pass as ``after`` (``None``: last page)."""

    items: tuple[T, ...]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class InvitePage:
    """Invites, page paging: ``page`` (from 1), ``per_page``, ``total`` matching."""

    items: tuple[InviteeView, ...]
    page: int
    per_page: int
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class RoomEventView:
    """``GET /v1/rooms/{room_id}/event``."""

    id: uuid.UUID
    title: str
    is_adhoc: bool


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: event ids created / updated / unchanged, and the series
    skipped with their typed errors (each names its ``uid``)."""

    created: tuple[uuid.UUID, ...] = ()
    updated: tuple[uuid.UUID, ...] = ()
    unchanged: tuple[uuid.UUID, ...] = ()
    skipped: tuple[Exception, ...] = ()
