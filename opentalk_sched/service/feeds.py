"""Calendar feeds (SPEC §3 Feeds): which events a user's calendar file holds, and the
secret feed URL for calendar clients that cannot send a bearer token.

    >>> feed = service.calendar_feed(alice.id)                      # doctest: +SKIP
    >>> [item.event.title for item in feed.items]                   # doctest: +SKIP
    >>> issued = service.issue_feed_token(alice.id)                 # doctest: +SKIP
    >>> service.feed_by_token(issued.token).owner == alice.id       # doctest: +SKIP
    True

The service decides *what* goes into a feed; the adapters write it
(:func:`opentalk_sched.ical.export.export_calendar`, used by the HTTP routes of
:mod:`opentalk_sched.api.feeds` and by ``opentalk-sched export``):

* **scope**: every event the user created or is invited to, whatever the answer
  (GET /v1/events' scope, SPEC §2): a declined event is in the feed, and the user's own
  ATTENDEE line says ``PARTSTAT=DECLINED`` so calendar clients show it as declined.
  Time-independent events are items too; the exporter skips and reports them.
* **one event** (:meth:`FeedOperations.event_feed`): the visibility rules of
  GET /v1/events/{id} (creator or invitee, else :class:`NotFound`).
* each :class:`FeedItem` carries the event, its invitees as iCalendar attendees (users
  first, then email invites, with their answers and roles) and the creator as ORGANIZER.
* :attr:`Feed.stamp` is the latest change of anything in the feed (an event, an
  exception, an answer): RFC 5545 §3.8.7.2 makes DTSTAMP of a calendar without METHOD
  "the time the information was last revised in the store", and writing it instead of
  the current time makes the exported bytes a pure function of the stored state, so a
  hash of them is a stable ETag.
* :attr:`Feed.version` is a digest of what the file is written from (each event's id,
  revision and ``updated_at``, which change with every edit of it, its attendees with
  their answers, roles and names, its organizer, the feed's name): equal versions give
  equal files, so an adapter may remember the ETag of a version instead of writing the
  file again to answer 304.

Feed tokens (one per user; :mod:`opentalk_sched.store.feed_tokens` keeps them):

* :meth:`FeedOperations.issue_feed_token` creates a random token
  (``secrets.token_urlsafe(32)``, 256 bits) and returns it once; only its SHA-256 digest
  is stored. Issuing again *rotates*: the old token stops working at once.
* :meth:`FeedOperations.revoke_feed_token` removes it (:class:`NotFound` when there is none).
* :meth:`FeedOperations.feed_by_token` is the feed of the token's owner; an unknown,
  rotated or revoked token is :class:`NotFound`, like an id the caller may not see.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..core import UTC, Attendee, Event
from ..store.feed_tokens import FeedToken, digest, feed_tokens
from ..store.records import EventQuery, User, UserInvite
from .errors import NotFound
from .present import Presenting

#: events read per store query while collecting a feed
FEED_PAGE = 500
#: longest token accepted for a lookup (issued ones have 43 characters)
MAX_TOKEN_LENGTH = 128

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Organizer:
    """The ORGANIZER of an exported event: the creator's ``email``, ``name`` (CN) and id."""

    email: str
    name: str | None = None
    user_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One series of a feed: the stored ``event``, its ``attendees`` (every invitee, with
    PARTSTAT and ROLE) and its ``organizer`` (``None`` when the creator is unknown): the
    item shape :func:`~opentalk_sched.ical.export.export_calendar` reads."""

    event: Event
    attendees: tuple[Attendee, ...] = ()
    organizer: Organizer | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """What one calendar file holds.

    ``owner``: the user whose calendar it is; ``name``: a title for it (X-WR-CALNAME,
    the owner's display name); ``items``: in listing order (time-independent first, then
    by first start); ``stamp``: the latest change of any item (aware UTC; 1970-01-01 for
    an empty feed), to be written as DTSTAMP; ``version``: see the module docstring
    (64 hex digits).
    """

    owner: uuid.UUID
    name: str
    items: tuple[FeedItem, ...]
    stamp: datetime
    version: str = ""


@dataclass(frozen=True, slots=True)
class IssuedFeedToken:
    """A new feed token: ``token`` is the secret (shown once, never stored in clear);
    ``created_at`` aware UTC."""

    token: str
    created_at: datetime


class FeedOperations(Presenting):
    """Feed contents and feed tokens (mixed into the service)."""

    # -- contents ----------------------------------------------------------------------------

    def calendar_feed(self, caller: uuid.UUID) -> Feed:
        """Every event ``caller`` created or is invited to (any answer), as a :class:`Feed`.
        Raises :class:`NotFound` (``user_id``) for an unknown user."""
        me = self.user(caller)
        items: list[FeedItem] = []
        stamp = _EPOCH
        after = None
        while True:
            rows = self.store.list_events(EventQuery(user_id=caller, after=after, limit=FEED_PAGE))
            page, latest = self._feed_items([r.event for r in rows])
            items.extend(page)
            stamp = max(stamp, latest)
            if len(rows) < FEED_PAGE:
                break
            after = rows[-1].sort_key
        return _feed(caller, me.profile_name, items, stamp)

    def event_feed(self, caller: uuid.UUID, event_id: uuid.UUID) -> Feed:
        """One event as a :class:`Feed`, for its creator and invitees; :class:`NotFound`
        for anyone else (GET /v1/events/{id} rules)."""
        event, _level, _invite = self.visible(caller, event_id)
        items, stamp = self._feed_items([event])
        return _feed(caller, event.title, items, stamp)

    def _feed_items(self, events: list[Event]) -> tuple[list[FeedItem], datetime]:
        """Feed items for ``events`` (invites and people loaded in bulk) and their latest change."""
        if not events:
            return [], _EPOCH
        invites = self.store.invitees([e.id for e in events], None)
        ids: set[uuid.UUID | None] = {e.created_by for e in events}
        ids |= {i.invitee for lst, _n in invites.values() for i in lst if isinstance(i, UserInvite)}
        people = self._people(ids)
        items = []
        stamp = _EPOCH
        for event in events:
            found = invites.get(event.id, ([], 0))[0]
            # users first, then email invites, each in invite order (as ServiceBase.attendees)
            ordered = sorted(found, key=lambda i: not isinstance(i, UserInvite))
            items.append(FeedItem(event, tuple(_attendee(i, people) for i in ordered),
                                  _organizer(people.get(event.created_by))))
            stamp = max(stamp, _latest(event, found))
        return items, stamp

    # -- tokens --------------------------------------------------------------------------------

    def issue_feed_token(self, caller: uuid.UUID) -> IssuedFeedToken:
        """A new secret feed token for ``caller``, replacing (revoking) any older one.
        The token is returned once; the store keeps its SHA-256 digest."""
        token = secrets.token_urlsafe(32)
        now = self.now()
        with self.writing():
            self.user(caller)
            feed_tokens(self.store).save_feed_token(FeedToken(caller, digest(token), now))
        return IssuedFeedToken(token, now)

    def revoke_feed_token(self, caller: uuid.UUID) -> None:
        """Remove ``caller``'s feed token; its URL answers 404 from now on. Raises
        :class:`NotFound` (``feed``) when there is none."""
        with self.writing():
            if not feed_tokens(self.store).delete_feed_token(caller):
                raise NotFound("no calendar feed", field="feed")

    def feed_token_created(self, caller: uuid.UUID) -> datetime | None:
        """When ``caller``'s current feed token was issued; ``None`` without one."""
        found = feed_tokens(self.store).feed_token_of(caller)
        return None if found is None else (found.created_at or _EPOCH)

    def feed_owner(self, token: str) -> uuid.UUID:
        """The user a feed token belongs to; :class:`NotFound` (``token``) for an
        unknown, rotated or revoked one."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise NotFound("calendar feed not found", field="token")
        found = feed_tokens(self.store).find_feed_token(digest(token))
        if found is None:
            raise NotFound("calendar feed not found", field="token")
        return found.user_id

    def feed_by_token(self, token: str) -> Feed:
        """The :meth:`calendar_feed` of the token's owner (:class:`NotFound` as :meth:`feed_owner`)."""
        return self.calendar_feed(self.feed_owner(token))


def _feed(owner: uuid.UUID, name: str, items: list[FeedItem], stamp: datetime) -> Feed:
    h = hashlib.sha256(repr((name, stamp.isoformat())).encode())
    for item in items:
        ev, org = item.event, item.organizer
        h.update(repr((
            str(ev.id), ev.revision, ev.updated_at and ev.updated_at.isoformat(),
            ev.created_at and ev.created_at.isoformat(),
            [(a.email, a.status.value, a.role.value, a.name, a.user_id and str(a.user_id)) for a in item.attendees],
            org and (org.email, org.name),
        )).encode())
    return Feed(owner, name, tuple(items), stamp, h.hexdigest())


def _attendee(inv, people: dict[uuid.UUID, User]) -> Attendee:
    if isinstance(inv, UserInvite):
        u = people.get(inv.invitee)
        return Attendee(u.email if u else None, inv.status, inv.role, inv.invitee, u.profile_name if u else None)
    return Attendee(inv.email, inv.status, inv.role)


def _organizer(user: User | None) -> Organizer | None:
    if user is None:
        return None
    return Organizer(user.email, user.display_name or user.profile_name, user.id)


def _latest(event: Event, invites: Iterable) -> datetime:
    stamps = [event.updated_at, event.created_at, *(i.updated_at for i in invites)]
    found = [s if s.tzinfo is not None else s.replace(tzinfo=UTC) for s in stamps if s is not None]
    return max(found, default=_EPOCH).astimezone(UTC)


__all__ = ["FeedOperations", "Feed", "FeedItem", "Organizer", "IssuedFeedToken", "FEED_PAGE"]
