"""Routes of instances: the calendar view and the occurrences of one event.

=====================================================  ==========  ============================
route                                                  success     notes
=====================================================  ==========  ============================
``GET /v1/events/instances``                           200 + list  calendar view: ``time_min``
                                                                   and ``time_max`` required,
                                                                   window ≤ 366 days (else
                                                                   422), ``include_cancelled``,
                                                                   ``include_declined``; cursor
``GET /v1/events/{event_id}/instances``                200 + list  optional window; cursor
``GET /v1/events/{event_id}/instances/{instance_id}``  200         ``ETag`` of the event
``PATCH /v1/events/{event_id}/instances/{instance_id}``  200 / 204  ``{}`` → 204; ``If-Match``
=====================================================  ==========  ============================

An instance id is the occurrence's original start (``20250310T080000Z``, SPEC §1); a
malformed one, or one that names no occurrence, is 404. Cursor paging answers
``Link: <...&after=CURSOR>; rel="after"`` only when more rows exist.

This router must be mounted before :mod:`opentalk_sched.api.events`, so that
``/events/instances`` is not read as an event id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..service.requests import CalendarQuery, InstanceQuery, PatchInstance
from . import render
from .context import Caller, ServiceDep
from .events import DateTimeQuery, IfMatch, InviteesMax, Suppress, dtz
from .errors import bad_request
from .params import (
    PER_PAGE_DEFAULT, PER_PAGE_MAX, etag, if_match_revision, link_after, parse_instance, parse_instant,
    parse_uuid,
)
from .responses import ERRORS, NO_CONTENT
from .schemas import InstanceResource, PatchInstanceBody

router = APIRouter(tags=["instances"])

PerPage = Annotated[int, Query(ge=1, le=PER_PAGE_MAX)]
After = Annotated[str | None, Query(description="cursor from the previous page's Link header")]


@router.get(
    "/events/instances", response_model=list[InstanceResource], responses=ERRORS,
    summary="Calendar view: every instance of the caller's events in a window",
)
def calendar(
    request: Request, caller: Caller, service: ServiceDep,
    time_min: Annotated[str, DateTimeQuery],
    time_max: Annotated[str, DateTimeQuery],
    include_cancelled: bool = False,
    include_declined: bool = False,
    invitees_max: InviteesMax = 0,
    per_page: PerPage = PER_PAGE_DEFAULT,
    after: After = None,
) -> Response:
    lo, hi = parse_instant(time_min, "time_min"), parse_instant(time_max, "time_max")
    if lo is None or hi is None:  # pragma: no cover - required by the signature
        raise bad_request("time_min and time_max are required")
    page = service.list_instances(caller, CalendarQuery(
        time_min=lo, time_max=hi, include_cancelled=include_cancelled, include_declined=include_declined,
        invitees_max=invitees_max, per_page=per_page, after=after,
    ))
    return render.listing(page.items, render.instance, link_after(request, page.next_cursor))


@router.get(
    "/events/{event_id}/instances", response_model=list[InstanceResource], responses=ERRORS,
    summary="The instances of one event",
)
def list_event_instances(
    request: Request, event_id: str, caller: Caller, service: ServiceDep,
    time_min: Annotated[str | None, DateTimeQuery] = None,
    time_max: Annotated[str | None, DateTimeQuery] = None,
    invitees_max: InviteesMax = 0,
    per_page: PerPage = PER_PAGE_DEFAULT,
    after: After = None,
) -> Response:
    eid = parse_uuid(event_id)
    page = service.list_event_instances(caller, eid, InstanceQuery(
        time_min=parse_instant(time_min, "time_min"), time_max=parse_instant(time_max, "time_max"),
        invitees_max=invitees_max, per_page=per_page, after=after,
    ))
    return render.listing(page.items, render.instance, link_after(request, page.next_cursor))


@router.get(
    "/events/{event_id}/instances/{instance_id}", response_model=InstanceResource, responses=ERRORS,
    summary="One instance",
)
def get_instance(
    event_id: str, instance_id: str, caller: Caller, service: ServiceDep, invitees_max: InviteesMax = 0,
) -> Response:
    eid, iid = parse_uuid(event_id), parse_instance(instance_id)
    view = service.get_instance(caller, eid, iid, invitees_max=invitees_max)
    return render.json_response(render.instance(view), headers={"ETag": etag(view.revision)})


@router.patch(
    "/events/{event_id}/instances/{instance_id}", response_model=InstanceResource,
    responses={**ERRORS, **NO_CONTENT}, summary="Change or cancel one instance",
)
def patch_instance(
    event_id: str, instance_id: str, body: PatchInstanceBody, caller: Caller, service: ServiceDep,
    if_match: IfMatch = None, suppress_email_notification: Suppress = False,
) -> Response:
    eid, iid = parse_uuid(event_id), parse_instance(instance_id)
    fields = {}
    for name in body.model_fields_set:  # absent = unchanged; never None (null is a 400)
        value = getattr(body, name)
        fields[name] = dtz(value, name) if name in ("starts_at", "ends_at") else value
    view = service.patch_instance(caller, eid, iid, PatchInstance(
        **fields, if_match=if_match_revision(if_match), suppress_email_notification=suppress_email_notification,
    ))
    if view is None:
        return Response(status_code=204)
    return render.json_response(render.instance(view), headers={"ETag": etag(view.revision)})


__all__ = ["router"]
