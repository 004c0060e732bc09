"""Instance operations: one occurrence, the instances of one event, the calendar view,
and "this and following" (SPEC §1 Exceptions, §2 instance routes).

* An instance is named by its original start (``instance_id``, SPEC §1); an id that is
  not an occurrence is "not found".
* PATCH of an instance writes an exception (``modified`` or ``cancelled``): title,
  description, is_all_day, starts_at, ends_at, status ``ok``/``cancelled``. ``starts_at``
  alone keeps the instance's duration. An exception that no longer differs from the
  series (un-cancelling a plain cancelled instance) is removed;
  :meth:`InstanceOperations.reset_instance` removes one explicitly.
* The calendar view (:meth:`InstanceOperations.list_instances`) lists every instance of
  the caller's timed events overlapping [time_min, time_max) (at most 366 days), by
  start, then event id, then original start; cancelled instances and declined events
  only on request; keyset cursor.
* "This and following" (:meth:`InstanceOperations.patch_following`,
  :meth:`InstanceOperations.delete_following`) splits the series at the instance
  (:mod:`opentalk_sched.service.split`); both parts keep the invites.
"""

from __future__ import annotations

import heapq
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

from ..core import UTC, Event, Instance, InstanceStatus, InviteStatus, Override, OverrideKind, Room, to_utc
from ..core.zones import midnight
from ..store.codec import key_text, wall_text
from ..store.records import IndexHit
from . import dates, validation
from .errors import BadRequest, NotFound
from .events import EventOperations, check_invitees_max, compiles
from .notifications import Change
from .paging import check_per_page, decode_cursor, encode_cursor
from .requests import CalendarQuery, DateTimeTZ, InstanceQuery, PatchEvent, PatchInstance
from .split import first_original_start, split_series
from .validation import DESCRIPTION_MAX, TITLE_MAX, Errors
from .views import EventView, InstanceView, Page

#: the longest calendar-view window (SPEC §2)
MAX_WINDOW = timedelta(days=366)
_DAY = timedelta(days=1)
_FAR = datetime(9000, 1, 1, tzinfo=UTC)  # open-ended lists stop here; rule periods near 9999 overflow


def _aware(v: datetime | date) -> datetime:
    if not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def _neutral(ov: Override) -> bool:
    return (ov.kind is OverrideKind.MODIFIED and ov.title is None and ov.description is None
            and ov.is_all_day is None and ov.start is None and ov.end is None and not ov.this_and_future
            and not ov.properties)


def _wall(value, series, all_day: bool):
    """An instance's start/end as the series sees it → wall value (date when all-day)."""
    if not isinstance(value, datetime):
        return value if all_day else midnight(value)
    if value.tzinfo is not None:
        value = value.astimezone(series.tz).replace(tzinfo=None)
    return value.date() if all_day else value


def _after(item: tuple, cursor: tuple) -> bool:
    """(start key, event id, original start) strictly after a calendar cursor
    (start key, event id, original start as wall text)."""
    if item[:2] != cursor[:2]:
        return item[:2] > cursor[:2]
    return wall_text(item[2]) > cursor[2]


class InstanceOperations(EventOperations):
    """Instance, calendar-view and this-and-following operations (mixed into the service)."""

    # -- one instance -----------------------------------------------------------------------

    def find_instance(self, event: Event, instance_id: str) -> Instance:
        """The instance (cancelled ones included); :class:`NotFound` when ``instance_id``
        is malformed or names no occurrence."""
        if event.timing is None or not isinstance(instance_id, str):
            raise NotFound("instance not found", field="instance_id", value=str(instance_id))
        inst = self.store.compiled(event).series.instance_by_id(instance_id)
        if inst is None:
            raise NotFound("instance not found", field="instance_id", value=instance_id)
        return inst

    def _instance_view(self, caller, inst: Instance, invite, invitees_max) -> InstanceView:
        favs = self.store.favorite_ids(caller, [inst.event.id])
        return self.instance_views(caller, [(inst, invite)], favs, invitees_max)[0]

    def get_instance(
        self, caller: uuid.UUID, event_id: uuid.UUID, instance_id: str, *, invitees_max: int | None = 0
    ) -> InstanceView:
        """One instance resource (creator and invitees); NotFound otherwise."""
        invitees_max = check_invitees_max(invitees_max)
        event, _level, invite = self.visible(caller, event_id)
        return self._instance_view(caller, self.find_instance(event, instance_id), invite, invitees_max)

    def patch_instance(
        self, caller: uuid.UUID, event_id: uuid.UUID, instance_id: str, patch: PatchInstance
    ) -> InstanceView | None:
        """Modify, move, cancel or un-cancel one instance (creator only); ``None`` for an
        empty patch. Raises NotFound / Forbidden / PreconditionFailed / ValidationFailed."""
        with self.writing():
            event = self.editable(caller, event_id, patch.if_match)
            inst = self.find_instance(event, instance_id)
            given = patch.given()
            if not given:
                return None
            new_ov = self._patched_override(inst, given)
            rid = inst.recurrence_id
            overrides = dict(event.overrides)
            if _neutral(new_ov):
                overrides.pop(rid, None)
            else:
                overrides[rid] = new_ov
            if overrides != event.overrides:
                event = self.touch(replace(event, overrides=overrides), caller, revise=True)
                compiles(event)
                self.store.save_event(event)
                self.emit(Change.INSTANCE_CHANGED, event, caller, patch.suppress_email_notification,
                          instance_id=inst.instance_id, recurrence_id=rid, cancelled=new_ov.cancelled)
        inst = self.store.compiled(event).series.instance(rid, include_cancelled=True)
        return self._instance_view(caller, inst, None, 0)

    def _patched_override(self, inst: Instance, given: dict) -> Override:
        errors = Errors()
        series = inst.series
        ov = inst.override or Override(inst.recurrence_id)
        changes: dict = {}
        if "title" in given:
            changes["title"] = validation.text(errors, "title", given["title"] or "", TITLE_MAX)
        if "description" in given:
            changes["description"] = validation.text(errors, "description", given["description"] or "", DESCRIPTION_MAX)
        if "status" in given and given["status"] is not None:
            try:
                status = InstanceStatus(given["status"])
            except ValueError:
                errors.add("status", "invalid_value", "status must be ok or cancelled")
                status = None
            if status is not None:
                changes["kind"] = OverrideKind.CANCELLED if status is InstanceStatus.CANCELLED else OverrideKind.MODIFIED
        starts_at = given.get("starts_at")
        ends_at = given.get("ends_at")
        all_day_given = given.get("is_all_day")
        if starts_at is not None or ends_at is not None or all_day_given is not None:
            all_day = inst.is_all_day if all_day_given is None else bool(all_day_given)
            for v in (starts_at, ends_at):
                if isinstance(v, DateTimeTZ):  # the series' own zone by its name, custom VTIMEZONEs too
                    validation.zone(errors, v.timezone, series.tz)
            if isinstance(starts_at, DateTimeTZ) and isinstance(ends_at, DateTimeTZ) and ends_at.utc < starts_at.utc:
                errors.add("ends_at", "ends_before_start", "ends_at must not be before starts_at")
            errors.check()
            tz = None if series.floating else series.tz
            toggled = all_day != inst.is_all_day
            cur_start, cur_end = _wall(inst.start, series, inst.is_all_day), _wall(inst.end, series, inst.is_all_day)
            if starts_at is not None:
                start = dates.wall_from(errors, starts_at, "starts_at", all_day, tz)
            elif toggled:
                start = cur_start if not all_day else (cur_start.date() if isinstance(cur_start, datetime) else cur_start)
                start = midnight(start) if not all_day and not isinstance(start, datetime) else start
            else:
                start = cur_start
            errors.check()
            if ends_at is not None:
                end = dates.wall_from(errors, ends_at, "ends_at", all_day, tz)
            elif toggled:
                if all_day:
                    end = start + max(_DAY, timedelta(days=-(-(cur_end - cur_start) // _DAY)))
                else:
                    end = start + (midnight(cur_end) - midnight(cur_start) if not isinstance(cur_end, datetime) else cur_end - cur_start)
            else:
                end = start + (cur_end - cur_start)
            errors.check()
            if end < start:
                errors.add("ends_at", "ends_before_start", "ends_at must not be before starts_at")
            changes.update(start=start, end=end)
            if all_day != series.all_day or ov.is_all_day is not None or all_day_given is not None:
                changes["is_all_day"] = all_day
        errors.check()
        return replace(ov, **changes)

    def reset_instance(
        self, caller: uuid.UUID, event_id: uuid.UUID, instance_id: str, *, if_match: int | None = None,
        suppress_email_notification: bool = False,
    ) -> InstanceView:
        """Drop the instance's exception: it is the series' occurrence again (creator only)."""
        with self.writing():
            event = self.editable(caller, event_id, if_match)
            inst = self.find_instance(event, instance_id)
            rid = inst.recurrence_id
            if rid in event.overrides:
                overrides = {k: v for k, v in event.overrides.items() if k != rid}
                event = self.touch(replace(event, overrides=overrides), caller, revise=True)
                self.store.save_event(event)
                self.emit(Change.INSTANCE_CHANGED, event, caller, suppress_email_notification,
                          instance_id=inst.instance_id, recurrence_id=rid)
        inst = self.store.compiled(event).series.instance(rid, include_cancelled=True)
        return self._instance_view(caller, inst, None, 0)

    # -- lists ------------------------------------------------------------------------------

    def list_event_instances(
        self, caller: uuid.UUID, event_id: uuid.UUID, query: InstanceQuery = InstanceQuery()
    ) -> Page[InstanceView]:
        """Instances of one event overlapping [time_min, time_max) (open ends allowed), in
        start order, cancelled ones included (``status``); keyset cursor."""
        per_page = check_per_page(query.per_page)
        invitees_max = check_invitees_max(query.invitees_max)
        event, _level, invite = self.visible(caller, event_id)
        if event.timing is None:
            return Page(())
        kind = f"instances:{event.id}"
        after = None
        if query.after:
            key = decode_cursor(query.after, kind)
            after = self._read_key(key, 2, query.after)
        compiled = self.store.compiled(event)
        first, last = compiled.series.span
        lo = _aware(query.time_min) if query.time_min is not None else _aware(first) - _DAY
        hi = _aware(query.time_max) if query.time_max is not None else (
            _FAR if last is None else min(_FAR, _aware(last) + _DAY))
        if hi <= lo:
            return Page(())
        start = lo if after is None else max(lo, _aware(after[0]) - _DAY)
        step = timedelta(days=62)
        while True:
            end = hi if hi - start <= step else start + step  # no datetime overflow near year 9999
            found = compiled.overlapping(start, end, include_cancelled=True)
            if after is not None:
                found = [i for i in found if (i.start_key, i.instance_id) > after]
            if len(found) > per_page or end >= hi:
                break
            step = step * 2 if step * 2 < _FAR - end else hi - start
        found.sort(key=lambda i: (i.start_key, i.instance_id))
        page = found[:per_page]
        cursor = None
        if len(found) > per_page:
            cursor = encode_cursor(kind, [key_text(page[-1].start_key), page[-1].instance_id])
        views = self.instance_views(caller, [(i, invite) for i in page], self.store.favorite_ids(caller, [event.id]),
                                    invitees_max)
        return Page(tuple(views), cursor)

    @staticmethod
    def _read_key(key: list, n: int, raw: str):
        try:
            if len(key) != n or not all(isinstance(k, str) for k in key):
                raise ValueError
            return (datetime.fromisoformat(key[0]), *key[1:])
        except ValueError:
            raise BadRequest("the cursor cannot be read", field="after", value=raw) from None

    def list_instances(self, caller: uuid.UUID, query: CalendarQuery) -> Page[InstanceView]:
        """The calendar view (SPEC §2 ``GET /v1/events/instances``); see the module docstring.

        Raises :class:`ValidationFailed` (``time_max``: ``invalid_range`` when not after
        time_min, ``window_too_large`` over 366 days; ``timezone``) and BadRequest
        (cursor, per_page, invitees_max)."""
        per_page = check_per_page(query.per_page)
        invitees_max = check_invitees_max(query.invitees_max)
        errors = Errors()
        lo, hi = _aware(query.time_min), _aware(query.time_max)
        if hi <= lo:
            errors.add("time_max", "invalid_range", "time_max must be after time_min")
        elif hi - lo > MAX_WINDOW:
            errors.add("time_max", "window_too_large", "the window must not be longer than 366 days")
        tz = None
        if query.tz:
            tz = validation.zone(errors, query.tz)
        errors.check()
        if tz is None:
            user = self.store.get_user(caller)
            tz = validation.zone(Errors(), user.timezone) if user is not None and user.timezone else None
        tz = tz or UTC
        after = None
        if query.after:
            after = self._read_key(decode_cursor(query.after, "calendar"), 3, query.after)
        candidates = self._calendar_candidates(caller, lo, hi, tz, query, after)
        chosen = heapq.nsmallest(per_page + 1, candidates, key=lambda c: c[:3])
        resolved = self._resolve(chosen)
        page = resolved[:per_page]
        cursor = None
        if len(resolved) > per_page:
            k, eid, rid, _inst, _inv = page[-1]
            cursor = encode_cursor("calendar", [key_text(k), eid, wall_text(rid)])
        favs = self.store.favorite_ids(caller, {c[3].event.id for c in page})
        views = self.instance_views(caller, [(c[3], c[4]) for c in page], favs, invitees_max)
        return Page(tuple(views), cursor)

    def _calendar_candidates(self, caller, lo, hi, tz, query: CalendarQuery, after) -> list[tuple]:
        """``(start key, event id, original start, Instance or None, invite)`` for every
        instance in the window after the cursor. ``None`` instances come from the store's
        persisted month index and are built (compiled) only if they make the page."""
        index = getattr(self.store, "window_index", None)
        hits = index(lo, hi, user_id=caller) if index is not None else None
        if hits is None:
            hits = [IndexHit(h.compiled.id_text, h.compiled.version, h.created_by, h.invite, h.compiled)
                    for h in self.store.window(lo, hi, user_id=caller)]
        lo_k, hi_k = lo.astimezone(UTC).replace(tzinfo=None), hi.astimezone(UTC).replace(tzinfo=None)
        include_cancelled, include_declined = query.include_cancelled, query.include_declined
        out: list[tuple] = []
        append = out.append
        for hit in hits:
            invite = hit.invite
            if invite is not None and invite.status is InviteStatus.DECLINED and not include_declined:
                continue
            eid = hit.event_id
            c = hit.compiled
            if c is not None:
                floating = c.series.floating
                for inst in c.overlapping(lo, hi, tz, include_cancelled):
                    key = to_utc(inst.start_key, tz) if floating else inst.start_key
                    if after is None or _after((key, eid, inst.recurrence_id), after):
                        append((key, eid, inst.recurrence_id, inst, invite))
                continue
            seen = set()
            for a, b, rid, cancelled in hit.entries:
                if a < hi_k and (b > lo_k or (a == b and a >= lo_k)) and (include_cancelled or not cancelled):
                    if rid in seen:
                        continue
                    seen.add(rid)
                    if after is None or _after((a, eid, rid), after):
                        append((a, eid, rid, None, invite))
        return out

    def _resolve(self, chosen: list[tuple]) -> list[tuple]:
        """Build the Instance of each chosen index entry (compiling only those events)."""
        missing = {c[1] for c in chosen if c[3] is None}
        if not missing:
            return chosen
        compiled = self.store.compile_events(missing)
        out = []
        for key, eid, rid, inst, invite in chosen:
            if inst is None:
                c = compiled.get(eid)
                inst = c.series.instance(rid, include_cancelled=True) if c is not None else None
                if inst is None:  # changed since the index was read
                    continue
            out.append((key, eid, rid, inst, invite))
        return out

    # -- this and following -------------------------------------------------------------------

    def _copy_people(self, source: Event, target: Event, now: datetime) -> None:
        for inv in self.store.user_invites(source.id):
            self.store.save_user_invite(replace(inv, event_id=target.id))
        for inv in self.store.email_invites(source.id):
            self.store.save_email_invite(replace(inv, event_id=target.id))
        for user_id in self.store.favorites_of_event(source.id):
            self.store.add_favorite(user_id, target.id, now)

    def patch_following(
        self, caller: uuid.UUID, event_id: uuid.UUID, instance_id: str, patch: PatchEvent
    ) -> EventView:
        """Edit this instance and every later one: the series is split at the instance
        and ``patch`` applies to the new series (its ``starts_at`` is the new start of
        this instance). At the first occurrence this is a PATCH of the whole event.
        Returns the series that now holds the instance."""
        with self.writing():
            event = self.editable(caller, event_id, patch.if_match)
            inst = self.find_instance(event, instance_id)
            rid = inst.recurrence_id
            if not event.is_recurring or rid <= first_original_start(event):
                view = self.patch_event(caller, event_id, replace(patch, if_match=None))
                return view if view is not None else self.event_view(caller, event, None, 0)
            now = self.now()
            original, following = split_series(event, rid)
            original = self.touch(original, caller, revise=True)
            room = event.room or Room(uuid.uuid4())
            following = replace(following, room=Room(uuid.uuid4(), room.password, room.waiting_room),
                                created_by=event.created_by, created_at=now, revision=0)
            following, _revise = self.apply_patch(following, replace(patch, if_match=None))
            following = replace(following, updated_by=caller, updated_at=now)
            compiles(original)
            compiles(following)
            self.store.save_event(original)
            self.store.save_event(following)
            self._copy_people(event, following, now)
            self.emit(Change.UPDATED, original, caller, patch.suppress_email_notification)
            self.emit(Change.CREATED, following, caller, patch.suppress_email_notification)
        return self.event_view(caller, following, None, 0)

    def delete_following(
        self, caller: uuid.UUID, event_id: uuid.UUID, instance_id: str, *, if_match: int | None = None,
        suppress_email_notification: bool = False,
    ) -> None:
        """Delete this instance and every later one (the series ends before it); at the
        first occurrence the whole event is deleted."""
        with self.writing():
            event = self.editable(caller, event_id, if_match)
            inst = self.find_instance(event, instance_id)
            rid = inst.recurrence_id
            if not event.is_recurring or rid <= first_original_start(event):
                self.delete_event(caller, event_id, suppress_email_notification=suppress_email_notification)
                return
            original, _following = split_series(event, rid)
            original = self.touch(original, caller, revise=True)
            compiles(original)
            self.store.save_event(original)
            self.emit(Change.UPDATED, original, caller, suppress_email_notification)


__all__ = ["InstanceOperations", "MAX_WINDOW"]
