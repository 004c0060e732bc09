"""iTIP scheduling messages (RFC 5546) for events: REQUEST, CANCEL, REPLY, and reading REPLYs.

The functions are pure: they take the event as the store has it and return the
message as bytes (a VCALENDAR with METHOD). Sending it is the notification hook's job.

    >>> msg = request(event, attendees, "mailto:alice@example.org")          # doctest: +SKIP
    >>> info = parse_reply(incoming_bytes)                                    # doctest: +SKIP
    >>> info.uid, info.attendee_email, info.status, info.sequence            # doctest: +SKIP

Which message for which change (SPEC §3):

=============================  ==========================================  ==================
change                         call                                        SEQUENCE
=============================  ==========================================  ==================
event created or updated       ``request(event, attendees, organizer)``   ``revision``
one instance changed           ``request(..., recurrence_id=rid)``         ``revision`` [1]_
event deleted                  ``cancel(event, attendees, organizer)``    ``revision + 1``
one instance cancelled         ``cancel(..., recurrence_id=rid)``          ``revision`` [1]_
attendees uninvited            ``cancel(event, removed, organizer,``       ``revision``
                               ``uninvited=True)``
invitee answers                ``reply(event, attendee, organizer,``       ``revision`` [1]_
                               ``InviteStatus.ACCEPTED)``
=============================  ==========================================  ==================

.. [1] or the override's own SEQUENCE when it is higher (kept from import).

``event`` is always the state *after* the change has been stored, so ``revision`` has
already gone up where SPEC §1 says it does (dates, title, an instance exception, the
attendee list). A deleted event has no state after the change: pass the last stored
one, and the CANCEL carries ``revision + 1`` because cancelling is itself a
SEQUENCE-raising change (RFC 5546 §3.2.5, RFC 5545 §3.8.7.4). ``sequence=`` overrides
the value in every function.

Message contents follow the RFC 5546 §3.2 tables: REQUEST carries the whole series
(VTIMEZONEs, master with STATUS:CONFIRMED, one VEVENT per modified instance, RSVP=TRUE for
pending invitees) or one instance with RECURRENCE-ID; CANCEL carries STATUS:CANCELLED
except when uninviting (RFC 5546 §3.2.5: then STATUS MUST NOT be present) and no
VALARM; REPLY carries one ATTENDEE with its PARTSTAT and no STATUS.

``recurrence_id`` may be the original start as a wall time of the series, an aware
datetime, a date (all-day series) or an instance id string (``20250310T080000Z``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Iterable

import icalendar

from ..core import (
    Attendee, Event, InvalidEvent, InvalidInstanceId, InviteStatus, SchedError, UnknownTimezone,
    format_instance_id, normalize, resolve_zone,
)
from .export import RoomUrl, SeriesWriter, attendee_property, new_calendar, to_bytes


class ItipError(SchedError):
    """An iTIP message cannot be built or applied (RFC 5546)."""

    code = "itip_error"


class MalformedReply(ItipError):
    """An incoming REPLY is not a valid RFC 5546 §3.2.3 REPLY. Codes:
    ``itip_unreadable``, ``itip_not_reply`` (METHOD), ``itip_no_event``,
    ``itip_multiple_uids``, ``itip_missing_uid``, ``itip_attendee_count``,
    ``itip_bad_attendee``, ``itip_bad_partstat``, ``itip_bad_sequence``,
    ``itip_bad_recurrence_id``; ``field`` names the property."""

    code = "malformed_reply"


class ReplyRejected(ItipError):
    """A well-formed REPLY that does not apply. Codes: ``unknown_event`` (no event with that
    UID), ``unknown_attendee`` (not invited), ``unknown_instance`` (RECURRENCE-ID is not an
    occurrence), ``stale_sequence`` (answers an older version than the stored one),
    ``instance_reply_unsupported`` (:func:`apply_itip_reply`: an answer to one instance)."""

    code = "reply_rejected"


#: PARTSTAT values a REPLY may carry here (accept, tentative, decline)
REPLY_PARTSTATS = ("ACCEPTED", "TENTATIVE", "DECLINED")


@dataclass(frozen=True, slots=True)
class ReplyInfo:
    """What an incoming REPLY says.

    ``uid``: the series' UID. ``recurrence_id``: ``None`` for the whole series, else the
    original start as written: aware datetime (UTC or its TZID's zone), naive
    (floating) or date. ``attendee_email``: lowercased, without ``mailto:``.
    ``partstat``: ``ACCEPTED`` | ``TENTATIVE`` | ``DECLINED``. ``sequence``: the SEQUENCE
    of the version answered (0 when absent).
    """

    uid: str
    recurrence_id: date | datetime | None
    attendee_email: str
    partstat: str
    sequence: int

    @property
    def status(self) -> InviteStatus:
        return InviteStatus.from_partstat(self.partstat)

    @property
    def instance_id(self) -> str | None:
        """The instance id of ``recurrence_id`` (SPEC §1), ``None`` for the whole series."""
        return None if self.recurrence_id is None else format_instance_id(self.recurrence_id)


# -- building messages ------------------------------------------------------------------------


def request(
    event: Event,
    attendees: Iterable[Attendee],
    organizer: Any,
    *,
    recurrence_id: Any = None,
    sequence: int | None = None,
    room_url: RoomUrl = None,
    now: datetime | None = None,
) -> bytes:
    """METHOD:REQUEST for a new or updated event, or for one changed instance
    (``recurrence_id``) (RFC 5546 §3.2.2).

    Raises :class:`ItipError` (``organizer_required``, ``no_attendees``,
    ``instance_cancelled``), :class:`~opentalk_sched.core.InvalidInstanceId` when
    ``recurrence_id`` is not an occurrence, and :class:`~opentalk_sched.core.InvalidEvent`
    (``time_independent``) for an event without dates.
    """
    attendees = tuple(attendees)
    writer = _writer(event, attendees, organizer, room_url, now)
    if not attendees:
        raise ItipError("a REQUEST needs at least one attendee", code="no_attendees", field="ATTENDEE", uid=event.ical_uid)
    if recurrence_id is None:
        comps = [writer.master(method="REQUEST", sequence=sequence)]
        comps += [writer.override(ov, method="REQUEST", sequence=sequence) for ov in writer.visible_overrides()]
    else:
        inst = _instance(writer, recurrence_id)
        if inst.cancelled:
            raise ItipError(
                "the instance is cancelled: send cancel(..., recurrence_id=...) instead",
                code="instance_cancelled", field="recurrence_id", value=str(recurrence_id), uid=event.ical_uid,
            )
        comps = [writer.instance_component(inst, inst.override, method="REQUEST", sequence=sequence)]
    return _message("REQUEST", writer, comps)


def cancel(
    event: Event,
    attendees: Iterable[Attendee],
    organizer: Any,
    *,
    recurrence_id: Any = None,
    uninvited: bool = False,
    sequence: int | None = None,
    now: datetime | None = None,
) -> bytes:
    """METHOD:CANCEL (RFC 5546 §3.2.5) for a deleted event, one cancelled instance
    (``recurrence_id``), or, with ``uninvited=True``, for the ``attendees`` removed from
    the event (then without STATUS).

    SEQUENCE: ``revision + 1`` for a deleted event (``event`` = its last stored state),
    ``revision`` otherwise (see the module docstring). Raises :class:`ItipError`
    (``organizer_required``), :class:`~opentalk_sched.core.InvalidInstanceId`.
    """
    attendees = tuple(attendees)
    writer = _writer(event, attendees, organizer, None, now)
    if uninvited and recurrence_id is not None:
        raise ItipError(
            "uninviting applies to the whole series", code="uninvite_instance", field="recurrence_id",
            uid=event.ical_uid,
        )
    if recurrence_id is not None:
        inst = _instance(writer, recurrence_id)
        comp = writer.instance_component(inst, inst.override, method="CANCEL", status="CANCELLED", keep=False,
                                         sequence=sequence)
    elif uninvited:
        comp = writer.master(method="CANCEL", with_recurrence=False, keep=False, sequence=sequence)
    else:
        seq = event.revision + 1 if sequence is None else sequence
        comp = writer.master(method="CANCEL", status="CANCELLED", keep=False, sequence=seq)
    return _message("CANCEL", writer, [comp])


def reply(
    event: Event,
    attendee: Attendee,
    organizer: Any,
    status: InviteStatus | str | None = None,
    *,
    recurrence_id: Any = None,
    sequence: int | None = None,
    now: datetime | None = None,
) -> bytes:
    """METHOD:REPLY (RFC 5546 §3.2.3) from ``attendee``: accept, tentative or decline.

    ``status`` defaults to ``attendee.status``; it must be accepted, tentative or
    declined (an :class:`InviteStatus` or its PARTSTAT / API name). The VEVENT has UID,
    DTSTAMP, SEQUENCE (the version answered), ORGANIZER, exactly one ATTENDEE with
    PARTSTAT, RECURRENCE-ID for one instance, SUMMARY, DTSTART and DTEND. Raises
    :class:`ItipError` (``organizer_required``, ``invalid_partstat``).
    """
    st = _status(status if status is not None else attendee.status, event)
    writer = _writer(event, (attendee,), organizer, None, now)
    inst = _instance(writer, recurrence_id) if recurrence_id is not None else None
    ov = inst.override if inst is not None else None
    seq = sequence if sequence is not None else max(event.revision, ov.sequence if ov is not None else 0)
    comp = icalendar.Event()
    comp.add("UID", event.ical_uid)
    comp.add("DTSTAMP", writer.now)
    comp.add("SEQUENCE", seq)
    comp.add("ORGANIZER", writer.organizer, encode=False)
    comp.add("ATTENDEE", attendee_property(attendee, status=st), encode=False)
    if inst is not None:
        writer.write_value(comp, "RECURRENCE-ID", inst.recurrence_id)
        comp.add("SUMMARY", inst.title or "")
        start, end = writer.wall(inst.start), writer.wall(inst.end)
    else:
        t = event.timing
        comp.add("SUMMARY", event.title or "")
        start, end = t.start, t.end
    writer.write_value(comp, "DTSTART", start)
    if end != start and (inst is not None or event.timing.nominal is None):
        writer.write_value(comp, "DTEND", end)
    return _message("REPLY", writer, [comp])


def _writer(event, attendees, organizer, room_url, now) -> SeriesWriter:
    if event.timing is None:
        raise InvalidEvent(
            "a time-independent event cannot be scheduled with iTIP", code="time_independent",
            field="timing", uid=event.ical_uid,
        )
    writer = SeriesWriter(event, attendees, organizer, room_url=room_url, now=now)
    if writer.organizer is None:
        raise ItipError("an iTIP message needs an ORGANIZER", code="organizer_required", field="ORGANIZER",
                        uid=event.ical_uid)
    return writer


def _instance(writer: SeriesWriter, rid):
    series = writer.series
    inst = series.instance_by_id(rid) if isinstance(rid, str) else series.instance(rid, include_cancelled=True)
    if inst is None:
        raise InvalidInstanceId(
            f"{rid} is not an occurrence of the series", code="not_an_occurrence", field="recurrence_id",
            value=str(rid), uid=writer.event.ical_uid,
        )
    return inst


def _status(value, event: Event) -> InviteStatus:
    if isinstance(value, InviteStatus):
        st = value
    else:
        text = str(value).strip()
        try:
            st = InviteStatus(text.lower())
        except ValueError:
            st = InviteStatus.from_partstat(text) if text.upper() in REPLY_PARTSTATS else InviteStatus.PENDING
    if st.partstat not in REPLY_PARTSTATS:
        raise ItipError(
            f"a REPLY answers accepted, tentative or declined, not {value!r}", code="invalid_partstat",
            field="PARTSTAT", value=str(value), uid=event.ical_uid,
        )
    return st


def _message(method: str, writer: SeriesWriter, comps: list) -> bytes:
    cal = new_calendar(method)
    for tz in writer.timezones():
        cal.add_component(tz)
    for comp in comps:
        cal.add_component(comp)
    return to_bytes(cal)


# -- reading replies ------------------------------------------------------------------------


def parse_reply(data: bytes | str) -> ReplyInfo:
    """Read a REPLY with exactly one VEVENT (one series or one instance).

    Raises :class:`MalformedReply` (codes in its docstring; ``itip_multiple_events``
    for several VEVENTs: use :func:`parse_replies`).
    """
    infos = parse_replies(data)
    if len(infos) != 1:
        raise MalformedReply(
            f"expected one VEVENT, found {len(infos)}", code="itip_multiple_events", field="VEVENT",
            value=str(len(infos)), uid=infos[0].uid,
        )
    return infos[0]


def parse_replies(data: bytes | str) -> list[ReplyInfo]:
    """Read a REPLY that may answer several instances of one series (one ReplyInfo per
    VEVENT, in file order). Raises :class:`MalformedReply`."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as exc:
        raise MalformedReply(f"not an iCalendar object: {exc}", code="itip_unreadable") from exc
    method = str(cal.get("METHOD", "")).strip().upper()
    if method != "REPLY":
        raise MalformedReply(
            f"METHOD is {method or 'missing'}, not REPLY", code="itip_not_reply", field="METHOD", value=method or None,
        )
    events = [c for c in cal.walk("VEVENT")]
    if not events:
        raise MalformedReply("the REPLY has no VEVENT", code="itip_no_event", field="VEVENT")
    infos = [_reply_info(comp, _message_zones(cal)) for comp in events]
    uids = {i.uid for i in infos}
    if len(uids) > 1:
        raise MalformedReply(
            "a REPLY answers one series (one UID)", code="itip_multiple_uids", field="UID", value=",".join(sorted(uids)),
        )
    return infos


def _message_zones(cal) -> dict[str, tzinfo]:
    """Custom VTIMEZONEs of the message (TZIDs that are no IANA/Windows names)."""
    from ..core import Observance, VTimezone

    zones: dict[str, tzinfo] = {}
    for vtz in cal.walk("VTIMEZONE"):
        tzid = str(vtz.get("TZID", ""))
        try:
            resolve_zone(tzid)
            continue
        except UnknownTimezone:
            pass
        try:
            obs = []
            for sub in vtz.subcomponents:
                if sub.name not in ("STANDARD", "DAYLIGHT"):
                    continue
                rr = sub.get("RRULE")
                rdates = []
                for rd in (sub.get("RDATE") if isinstance(sub.get("RDATE"), list) else [sub.get("RDATE")]):
                    if rd is not None:
                        rdates += [v.dt.replace(tzinfo=None) for v in rd.dts]
                obs.append(Observance(
                    sub.name, sub.decoded("DTSTART").replace(tzinfo=None),
                    int(sub.decoded("TZOFFSETFROM").total_seconds()), int(sub.decoded("TZOFFSETTO").total_seconds()),
                    rr.to_ical().decode() if rr is not None else "", tuple(rdates), str(sub.get("TZNAME", "")),
                ))
            zones[tzid] = VTimezone(tzid, obs)
        except Exception:
            continue
    return zones


def _reply_info(comp, zones: dict[str, tzinfo]) -> ReplyInfo:
    uid = str(comp.get("UID", "") or "").strip()
    if not uid:
        raise MalformedReply("the VEVENT has no UID", code="itip_missing_uid", field="UID")

    def bad(code: str, message: str, field: str, value: str | None = None) -> MalformedReply:
        return MalformedReply(message, code=code, field=field, value=value, uid=uid)

    atts = comp.get("ATTENDEE")
    atts = [] if atts is None else (atts if isinstance(atts, list) else [atts])
    if len(atts) != 1:
        raise bad("itip_attendee_count", f"a REPLY has exactly one ATTENDEE, found {len(atts)}", "ATTENDEE", str(len(atts)))
    att = atts[0]
    addr = str(att).strip()
    if not addr.lower().startswith("mailto:") or "@" not in addr:
        raise bad("itip_bad_attendee", f"ATTENDEE {addr!r} is not a mailto: address", "ATTENDEE", addr)
    email = addr[7:].strip().lower()
    partstat = str(getattr(att, "params", {}).get("PARTSTAT", "")).strip().upper()
    if partstat not in REPLY_PARTSTATS:
        raise bad(
            "itip_bad_partstat", f"PARTSTAT {partstat or 'missing'}: a REPLY here accepts, tentatively accepts or declines",
            "PARTSTAT", partstat or None,
        )
    raw_seq = comp.get("SEQUENCE")
    try:
        sequence = 0 if raw_seq is None else int(str(raw_seq).strip())
    except (TypeError, ValueError):
        raise bad("itip_bad_sequence", f"SEQUENCE {raw_seq!r} is not a number", "SEQUENCE", str(raw_seq)) from None
    if sequence < 0:
        raise bad("itip_bad_sequence", "SEQUENCE is negative", "SEQUENCE", str(sequence))
    rid = None
    prop = comp.get("RECURRENCE-ID")
    if prop is not None:
        rid = _recurrence_id(prop, zones, bad)
    return ReplyInfo(uid, rid, email, partstat, sequence)


def _recurrence_id(prop, zones, bad):
    text = prop.to_ical().decode() if hasattr(prop, "to_ical") else str(prop)
    try:
        value = prop.dt
    except Exception:
        raise bad("itip_bad_recurrence_id", f"RECURRENCE-ID {text!r} is not a date or date-time", "RECURRENCE-ID", text) from None
    if not isinstance(value, (date, datetime)):
        raise bad("itip_bad_recurrence_id", f"RECURRENCE-ID {text!r} is not a date or date-time", "RECURRENCE-ID", text)
    if not isinstance(value, datetime):
        return value
    tzid = getattr(prop, "params", {}).get("TZID")
    if tzid:
        tz = zones.get(str(tzid))
        if tz is None:
            try:
                tz = resolve_zone(str(tzid))
            except UnknownTimezone:
                if value.tzinfo is None:
                    raise bad("itip_bad_recurrence_id", f"unknown TZID {tzid!r}", "RECURRENCE-ID", text) from None
                return normalize(value)
        return value.replace(tzinfo=None).replace(tzinfo=tz)
    return normalize(value) if value.tzinfo is not None else value


# -- applying replies ---------------------------------------------------------------------------


def check_reply(info: ReplyInfo, event: Event | None, attendees: Iterable[Attendee]) -> Attendee:
    """Decide whether a parsed REPLY applies to ``event`` (the stored series with UID
    ``info.uid``, ``None`` when there is none) and its invitees; returns the invitee
    who answered.

    Raises :class:`ReplyRejected`: ``unknown_event`` (no such series), ``stale_sequence``
    (SEQUENCE below the stored revision: the answer is to an older version, RFC 5546
    §2.1.5), ``unknown_instance`` (RECURRENCE-ID names no occurrence),
    ``unknown_attendee`` (the address is not invited). Emails compare lowercased.
    """
    if event is None or event.ical_uid != info.uid:
        raise ReplyRejected(f"no event with UID {info.uid!r}", code="unknown_event", field="UID", value=info.uid,
                            uid=info.uid)
    if info.sequence < event.revision:
        raise ReplyRejected(
            f"the REPLY answers SEQUENCE {info.sequence}, the event is at {event.revision}", code="stale_sequence",
            field="SEQUENCE", value=str(info.sequence), uid=info.uid,
        )
    if info.recurrence_id is not None:
        from ..core import Series

        if event.timing is None or Series(event).instance(info.recurrence_id) is None:
            raise ReplyRejected(
                f"{info.instance_id} is not an occurrence of the event", code="unknown_instance",
                field="RECURRENCE-ID", value=info.instance_id, uid=info.uid,
            )
    for att in attendees:
        if att.email and att.email.strip().lower() == info.attendee_email:
            return att
    raise ReplyRejected(
        f"{info.attendee_email} is not invited", code="unknown_attendee", field="ATTENDEE", value=info.attendee_email,
        uid=info.uid,
    )


def apply_itip_reply(service, data: bytes | str, *, organizer=None) -> ReplyInfo:
    """Apply an incoming REPLY through the service's
    :meth:`~opentalk_sched.service.replies.ReplyOperations.apply_reply`; returns what was
    applied.

    ``organizer`` (a user id) looks the UID up among that user's events only; without
    it, the oldest event with the UID. The answer of a registered invitee or of an email
    guest is stored and ``responded`` is announced (REPLY payload when the service has
    :func:`itip_for`). Raises :class:`MalformedReply` and :class:`ReplyRejected`
    (``unknown_event``, ``stale_sequence``, ``unknown_instance``,
    ``instance_reply_unsupported``: invites are per series and SPEC §1 has no
    per-instance answer, ``unknown_attendee``).
    """
    from ..service.replies import ReplyRejected as Refused

    info = parse_reply(data)
    try:
        service.apply_reply(info.uid, info.attendee_email, info.status, info.sequence, info.recurrence_id,
                            organizer=organizer)
    except Refused as err:
        raise ReplyRejected(err.message, code=err.code, field=err.field, value=err.value, uid=info.uid) from None
    return info


# -- the service's notification payloads ---------------------------------------------------------


def itip_for(notification) -> bytes | None:
    """The iTIP payload of a service :class:`~opentalk_sched.service.Notification` (an
    :class:`~opentalk_sched.service.ItipBuilder`: ``Service(store, itip=itip_for)``).

    created / updated / invited → REQUEST; instance_changed → REQUEST with RECURRENCE-ID,
    or CANCEL with it when the instance was cancelled; deleted → CANCEL; uninvited →
    CANCEL to the removed attendees; responded → REPLY. ``None`` for time-independent
    events, events without an organizer address, and REQUESTs without attendees.
    """
    change = getattr(notification.change, "value", notification.change)
    event = notification.event
    organizer = notification.organizer
    if event.timing is None or not organizer:
        return None
    attendees = tuple(notification.attendees)
    if change in ("created", "updated", "invited"):
        return request(event, attendees, organizer) if attendees else None
    if change == "instance_changed":
        rid = notification.recurrence_id if notification.recurrence_id is not None else notification.instance_id
        if notification.cancelled:
            return cancel(event, attendees, organizer, recurrence_id=rid)
        return request(event, attendees, organizer, recurrence_id=rid) if attendees else None
    if change == "deleted":
        return cancel(event, attendees, organizer)
    if change == "uninvited":
        return cancel(event, notification.affected, organizer, uninvited=True)
    if change == "responded" and notification.affected:
        return reply(event, notification.affected[0], organizer, notification.status)
    return None


__all__ = [
    "request", "cancel", "reply", "parse_reply", "parse_replies", "ReplyInfo", "ItipError", "MalformedReply",
    "ReplyRejected", "REPLY_PARTSTATS", "check_reply", "apply_itip_reply", "itip_for",
]
