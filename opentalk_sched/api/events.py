"""Routes of the event resource: ``/v1/events`` and ``/v1/rooms/{room_id}/event``.

=========================================  ===========  ====================================
route                                      success      notes
=========================================  ===========  ====================================
``POST /v1/events``                        201 + event  ``Location``, ``ETag``
``GET /v1/events``                         200 + list   series then its exceptions; cursor
``GET /v1/events/{event_id}``              200 + event  ``ETag: "<revision>"``
``PATCH /v1/events/{event_id}``            200 / 204    ``{}`` → 204; ``If-Match`` → 412
``DELETE /v1/events/{event_id}``           204          ``If-Match`` → 412
``GET /v1/rooms/{room_id}/event``          200          ``{id, title, is_adhoc}``
=========================================  ===========  ====================================

Each handler translates the wire to one service call and the answer back; rules live in
:mod:`opentalk_sched.service`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from ..core import InviteStatus
from ..service.requests import CreateEvent, DateTimeTZ, ListEvents, PatchEvent
from . import render
from .context import Caller, ServiceDep
from .params import (
    PER_PAGE_DEFAULT, PER_PAGE_MAX, check_body_instant, etag, if_match_revision, link_after, parse_instant,
    parse_status_list, parse_uuid,
)
from .responses import ERRORS, NO_CONTENT
from .schemas import EventOrException, EventResource, PatchEventBody, PostEventBody, RoomEvent

router = APIRouter(tags=["events"])

INVITE_STATUSES = ("pending", "accepted", "tentative", "declined")

DateTimeQuery = Query(
    description="RFC 3339 date-time with offset, e.g. 2025-03-01T00:00:00Z", json_schema_extra={"format": "date-time"}
)
Suppress = Annotated[bool, Query(description="do not notify invitees of this change")]
IfMatch = Annotated[str | None, Header(description='the ETag of the event as last seen, e.g. "3"')]
InviteesMax = Annotated[int, Query(ge=0, le=100, description="how many invitees to include")]


def dtz(value, field: str) -> DateTimeTZ | None:
    """A parsed wire ``DateTimeTz`` → the service's ``DateTimeTZ`` (422 ``out_of_range``
    outside the years the API serves, see :data:`~opentalk_sched.api.params.EARLIEST`)."""
    if value is None:
        return None
    check_body_instant(value.datetime, field)
    return DateTimeTZ(value.datetime, value.timezone)


@router.post(
    "/events", status_code=201, response_model=EventResource, responses=ERRORS,
    summary="Create an event",
)
def create_event(
    request: Request, body: PostEventBody, caller: Caller, service: ServiceDep,
    suppress_email_notification: Suppress = False,
) -> Response:
    view = service.create_event(caller, CreateEvent(
        title=body.title, description=body.description, password=body.password, waiting_room=body.waiting_room,
        is_adhoc=body.is_adhoc, is_time_independent=body.is_time_independent, is_all_day=body.is_all_day,
        starts_at=dtz(body.starts_at, "starts_at"), ends_at=dtz(body.ends_at, "ends_at"),
        recurrence_pattern=tuple(body.recurrence_pattern),
        suppress_email_notification=suppress_email_notification,
    ))
    location = str(request.url_for("get_event", event_id=str(view.id)))
    return render.json_response(render.event(view), 201, {"Location": location, "ETag": etag(view.revision)})


@router.get(
    "/events", response_model=list[EventOrException], responses=ERRORS,
    summary="The caller's events, each series followed by its exceptions",
)
def list_events(
    request: Request, caller: Caller, service: ServiceDep,
    time_min: Annotated[str | None, DateTimeQuery] = None,
    time_max: Annotated[str | None, DateTimeQuery] = None,
    favorites: bool = False,
    adhoc: bool | None = None,
    time_independent: bool | None = None,
    invite_status: Annotated[
        list[str] | None, Query(description="comma list of pending, accepted, tentative, declined")
    ] = None,
    invitees_max: InviteesMax = 0,
    per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = PER_PAGE_DEFAULT,
    after: Annotated[str | None, Query(description="cursor from the previous page's Link header")] = None,
) -> Response:
    statuses = parse_status_list(invite_status, INVITE_STATUSES, "invite_status")
    page = service.list_events(caller, ListEvents(
        time_min=parse_instant(time_min, "time_min"), time_max=parse_instant(time_max, "time_max"),
        favorites=True if favorites else None, adhoc=adhoc, time_independent=time_independent,
        invite_status=frozenset(InviteStatus(s) for s in statuses) if statuses else None,
        invitees_max=invitees_max, per_page=per_page, after=after,
    ))
    return render.listing(page.items, render.item, link_after(request, page.next_cursor))


@router.get("/events/{event_id}", response_model=EventResource, responses=ERRORS, summary="One event")
def get_event(
    event_id: str, caller: Caller, service: ServiceDep, invitees_max: InviteesMax = 0,
) -> Response:
    view = service.get_event(caller, parse_uuid(event_id), invitees_max=invitees_max)
    return render.json_response(render.event(view), headers={"ETag": etag(view.revision)})


@router.patch(
    "/events/{event_id}", response_model=EventResource, responses={**ERRORS, **NO_CONTENT},
    summary="Change an event (absent fields stay unchanged)",
)
def patch_event(
    event_id: str, body: PatchEventBody, caller: Caller, service: ServiceDep,
    if_match: IfMatch = None, suppress_email_notification: Suppress = False,
) -> Response:
    eid = parse_uuid(event_id)
    fields = {}
    for name in body.model_fields_set:  # absent = unchanged; only password may be None (= remove it)
        value = getattr(body, name)
        if name in ("starts_at", "ends_at"):
            value = dtz(value, name)
        elif name == "recurrence_pattern":
            value = tuple(value)
        fields[name] = value
    view = service.patch_event(caller, eid, PatchEvent(
        **fields, if_match=if_match_revision(if_match), suppress_email_notification=suppress_email_notification,
    ))
    if view is None:
        return Response(status_code=204)
    return render.json_response(render.event(view), headers={"ETag": etag(view.revision)})


@router.delete("/events/{event_id}", status_code=204, responses={**ERRORS, **NO_CONTENT}, summary="Delete an event")
def delete_event(
    event_id: str, caller: Caller, service: ServiceDep,
    if_match: IfMatch = None, suppress_email_notification: Suppress = False,
) -> Response:
    service.delete_event(
        caller, parse_uuid(event_id), if_match=if_match_revision(if_match),
        suppress_email_notification=suppress_email_notification,
    )
    return Response(status_code=204)


@router.get("/rooms/{room_id}/event", response_model=RoomEvent, responses=ERRORS, summary="The event of a room")
def get_room_event(room_id: str, caller: Caller, service: ServiceDep) -> Response:
    view = service.room_event(caller, parse_uuid(room_id, "room"))
    return render.json_response({"id": str(view.id), "title": view.title, "is_adhoc": view.is_adhoc})


__all__ = ["router", "dtz"]
