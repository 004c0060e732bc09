"""Event operations: create, get, list, patch, delete (SPEC §2 ``/v1/events``).

Rules applied here (SPEC §1, §2):

* PATCH: absent = unchanged; a title-only PATCH never touches dates, recurrence or
  exceptions; ``starts_at`` alone keeps the duration; ``recurrence_pattern=()`` removes
  the recurrence; ``password=None`` removes the room password; switching to
  time-independent clears dates, recurrence and exceptions; an ``if_match`` that is not
  the stored revision fails with ``precondition_failed``.
* Exceptions survive a date or recurrence change while their (shifted) original start
  is still an occurrence (:mod:`opentalk_sched.service.rebase`).
* ``revision`` goes up by one when the title, description, dates, recurrence, room or
  exceptions change; ``updated_at``/``updated_by`` change on every change. A PATCH that
  changes nothing writes nothing.
* Listing: events the caller created or is invited to, time-independent first, then by
  first start, created_at, id; each series is followed by its exceptions; both count
  toward ``per_page``; keyset cursor.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from ..core import Event, InvalidEvent, InvalidRecurrence, Room, Series
from ..store.codec import wall_text
from ..store.records import EventQuery
from . import dates, validation
from .errors import BadRequest, ValidationFailed
from .notifications import Change
from .paging import check_per_page, decode_cursor, encode_cursor
from .present import Presenting
from .rebase import carry_overrides
from .requests import UNSET, CreateEvent, ListEvents, PatchEvent
from .validation import DESCRIPTION_MAX, TITLE_MAX, Errors
from .views import EventView, ExceptionView, Page

PASSWORD_MAX = 255


def check_invitees_max(n: int | None) -> int | None:
    """``invitees_max``: 0-100 (``None`` = all, for internal callers); else BadRequest."""
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100:
        raise BadRequest("invitees_max must be between 0 and 100", field="invitees_max", value=str(n))
    return n


def compiles(event: Event) -> None:
    """Raise :class:`ValidationFailed` when the core cannot expand the event."""
    if event.timing is None:
        return
    try:
        Series(event).span
    except (InvalidRecurrence, InvalidEvent) as err:
        raise ValidationFailed.one("recurrence_pattern", "invalid_recurrence_pattern", err.message) from None


def _password(errors: Errors, value):
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > PASSWORD_MAX:
        errors.add("password", "invalid_length", f"password must be at most {PASSWORD_MAX} characters")
    return value


class EventOperations(Presenting):
    """Create / get / list / patch / delete (mixed into the service)."""

    # -- create --------------------------------------------------------------------------

    def create_event(self, caller: uuid.UUID, request: CreateEvent) -> EventView:
        """Create an event owned by ``caller`` with a new room. Raises
        :class:`ValidationFailed` (see :mod:`~opentalk_sched.service.validation`)."""
        errors = Errors()
        title = validation.text(errors, "title", request.title, TITLE_MAX)
        description = validation.text(errors, "description", request.description or "", DESCRIPTION_MAX)
        password = _password(errors, request.password)
        timing = None
        if request.is_time_independent:
            for name in ("starts_at", "ends_at"):
                if getattr(request, name) is not None:
                    errors.add(name, "not_allowed", f"{name} cannot be set on a time-independent event")
            if request.recurrence_pattern:
                errors.add("recurrence_pattern", "not_allowed", "a time-independent event has no recurrence")
        else:
            timing = dates.timing_for_create(
                errors, request.is_all_day, request.starts_at, request.ends_at, request.recurrence_pattern
            )
        errors.check()
        now = self.now()
        event = Event.new(
            title, timing, description=description, created_by=caller, created_at=now, updated_by=caller,
            updated_at=now, is_adhoc=bool(request.is_adhoc), revision=0,
            room=Room(uuid.uuid4(), password, bool(request.waiting_room)),
        )
        compiles(event)
        with self.writing():
            self.store.save_event(event)
            self.emit(Change.CREATED, event, caller, request.suppress_email_notification)
        return self.event_view(caller, event, None, 0)

    # -- read ----------------------------------------------------------------------------

    def event_view(self, caller: uuid.UUID, event: Event, invite, invitees_max: int | None) -> EventView:
        favs = self.store.favorite_ids(caller, [event.id])
        return self.event_views(caller, [event], {event.id: invite}, favs, invitees_max)[0]

    def get_event(self, caller: uuid.UUID, event_id: uuid.UUID, *, invitees_max: int | None = 0) -> EventView:
        """The event resource; :class:`NotFound` when the caller cannot see it."""
        invitees_max = check_invitees_max(invitees_max)
        event, _level, invite = self.visible(caller, event_id)
        return self.event_view(caller, event, invite, invitees_max)

    def list_events(self, caller: uuid.UUID, query: ListEvents = ListEvents()) -> Page[EventView | ExceptionView]:
        """One page of the caller's events, each series followed by its exceptions."""
        per_page = check_per_page(query.per_page)
        invitees_max = check_invitees_max(query.invitees_max)
        position, exc_after = None, None
        if query.after:
            key = decode_cursor(query.after, "events")
            if len(key) != 4 or not all(isinstance(k, str) for k in key):
                raise BadRequest("the cursor cannot be read", field="after", value=query.after)
            position, exc_after = tuple(key[:3]), key[3]
        statuses = frozenset(query.invite_status) if query.invite_status is not None else None
        base = EventQuery(
            user_id=caller, time_min=query.time_min, time_max=query.time_max, favorites=query.favorites,
            adhoc=query.adhoc, time_independent=query.time_independent, invite_status=statuses,
            limit=per_page + 1,
        )
        items: list[tuple] = []  # (row, exception key text or None, cursor key)
        include = resume_key = None
        if exc_after is not None:
            include, resume_key = True, position
        while True:
            rows = self.store.list_events(replace(base, after=position, include_after=bool(include)))
            for row in rows:
                resume = resume_key is not None and row.sort_key == resume_key
                resume_key = None  # only the first row can continue the previous page's event
                if not resume:  # "" = after the series itself, before its exceptions
                    items.append((row, None, [*row.sort_key, ""]))
                if row.event.timing is not None:
                    for rid in sorted(wall_text(r) for r in row.event.overrides):
                        if not (resume and rid <= exc_after):
                            items.append((row, rid, [*row.sort_key, rid]))
                if len(items) > per_page:
                    break
            if len(items) > per_page or len(rows) < base.limit:
                break
            position, include = rows[-1].sort_key, False
        page, more = items[:per_page], len(items) > per_page
        events = {row.event.id: row for row, _, _ in page}
        views = {
            v.id: v for v in self.event_views(
                caller, [r.event for r in events.values()], {eid: r.invite for eid, r in events.items()},
                {eid for eid, r in events.items() if r.is_favorite}, invitees_max,
            )
        }
        exceptions: dict[uuid.UUID, dict[str, ExceptionView]] = {}
        out: list = []
        for row, rid, _key in page:
            ev = row.event
            if rid is None:
                out.append(views[ev.id])
                continue
            if ev.id not in exceptions:
                exceptions[ev.id] = {wall_text(k): v for k, v in self.exception_views(caller, ev)}
            out.append(exceptions[ev.id][rid])
        cursor = encode_cursor("events", page[-1][2]) if more and page else None
        return Page(tuple(out), cursor)

    # -- patch ---------------------------------------------------------------------------

    def apply_patch(self, event: Event, patch: PatchEvent) -> tuple[Event, bool]:
        """``(patched event, revise?)`` without stamps; raises :class:`ValidationFailed`."""
        errors = Errors()
        given = patch.given()
        new = event
        revise = False
        if "title" in given:
            title = validation.text(errors, "title", given["title"] if given["title"] is not None else "", TITLE_MAX)
            if title != event.title:
                new, revise = replace(new, title=title), True
        if "description" in given:
            desc = validation.text(errors, "description", given["description"] or "", DESCRIPTION_MAX)
            if desc != event.description:
                new, revise = replace(new, description=desc), True
        room = event.room or Room(uuid.uuid4())
        if "password" in given:
            room = replace(room, password=_password(errors, given["password"]))
        if "waiting_room" in given and given["waiting_room"] is not None:
            room = replace(room, waiting_room=bool(given["waiting_room"]))
        if room != event.room:
            new, revise = replace(new, room=room), True
        if "is_adhoc" in given and given["is_adhoc"] is not None and bool(given["is_adhoc"]) != event.is_adhoc:
            new = replace(new, is_adhoc=bool(given["is_adhoc"]))
        timing = dates.timing_for_patch(errors, event.timing, given)
        errors.check()
        if timing is not UNSET and timing != event.timing:
            overrides, _dropped = carry_overrides(event, timing)
            new, revise = replace(new, timing=timing, overrides=overrides), True
            compiles(new)
        return new, revise

    def patch_event(self, caller: uuid.UUID, event_id: uuid.UUID, patch: PatchEvent) -> EventView | None:
        """Apply a PATCH; ``None`` for an empty patch (nothing given: HTTP 204). Raises
        NotFound / Forbidden / PreconditionFailed / ValidationFailed."""
        with self.writing():
            event = self.editable(caller, event_id, patch.if_match)
            if not patch.given():
                return None
            new, revise = self.apply_patch(event, patch)
            if new != event:
                new = self.touch(new, caller, revise=revise)
                self.store.save_event(new)
                self.emit(Change.UPDATED, new, caller, patch.suppress_email_notification)
        return self.event_view(caller, new, None, 0)

    # -- delete --------------------------------------------------------------------------

    def delete_event(
        self, caller: uuid.UUID, event_id: uuid.UUID, *, if_match: int | None = None,
        suppress_email_notification: bool = False,
    ) -> None:
        """Delete the event with its exceptions, invites and favorites (creator only)."""
        with self.writing():
            event = self.editable(caller, event_id, if_match)
            self.emit(Change.DELETED, event, caller, suppress_email_notification)
            self.store.delete_event(event.id)

