"""Routes of invites and answers.

==================================================  =========================================
route                                               answer
==================================================  =========================================
``POST /v1/events/{event_id}/invites``              201; 204 when already invited or the
                                                    invitee is the creator. Body
                                                    ``{invitee: uuid, role?}`` or
                                                    ``{email, role?}``
``GET /v1/events/{event_id}/invites``               200 + invitees; ``page``/``per_page``,
                                                    ``status``; first/prev/next/last links
``PATCH /v1/events/{event_id}/invites/email``       204; body ``{email, role?}``
``DELETE /v1/events/{event_id}/invites/email``      204; body ``{email}``
``PATCH /v1/events/{event_id}/invites/{user_id}``   204; body ``{role}``
``DELETE /v1/events/{event_id}/invites/{user_id}``  204
``PATCH /v1/events/{event_id}/invite``              204: accept; body ``{"status": "tentative"}``
                                                    optional
``DELETE /v1/events/{event_id}/invite``             204: decline (the invite stays)
``GET /v1/users/me/pending_invites``                ``{"total_pending_invites": n}``
==================================================  =========================================

The ``/invites/email`` routes are declared before ``/invites/{user_id}`` (SPEC §2).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from starlette.responses import Response

from ..service.requests import InviteQuery
from . import render
from .context import Caller, ServiceDep
from .events import INVITE_STATUSES, Suppress
from .errors import bad_request
from .params import PER_PAGE_DEFAULT, PER_PAGE_MAX, page_links, parse_uuid
from .responses import ERRORS, NO_CONTENT
from .schemas import (
    AcceptInviteBody, DeleteEmailInviteBody, EventInvitee, PatchEmailInviteBody, PatchUserInviteBody,
    PendingInvites, PostInviteBody,
)

router = APIRouter(tags=["invites"])

_CREATED = {201: {"description": "invited"}, 204: {"description": "already invited, or the invitee is the creator"}}


@router.post(
    "/events/{event_id}/invites", status_code=201, response_model=None, response_class=Response,
    responses={**ERRORS, **_CREATED},
    summary="Invite a user or an email address",
)
def create_invite(
    event_id: str, body: PostInviteBody, caller: Caller, service: ServiceDep,
    suppress_email_notification: Suppress = False,
) -> Response:
    eid = parse_uuid(event_id)
    role = body.role if body.role is not None else body.default_role
    if body.invitee is not None:
        created = service.invite_user(
            caller, eid, body.invitee, role, suppress_email_notification=suppress_email_notification
        )
    else:
        created = service.invite_email(
            caller, eid, body.email, role, suppress_email_notification=suppress_email_notification
        )
    return Response(status_code=201 if created else 204)


@router.get(
    "/events/{event_id}/invites", response_model=list[EventInvitee], responses=ERRORS,
    summary="The invitees of an event (page paging)",
)
def list_invites(
    request: Request, event_id: str, caller: Caller, service: ServiceDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = PER_PAGE_DEFAULT,
    status: Annotated[str | None, Query(json_schema_extra={"enum": list(INVITE_STATUSES)})] = None,
) -> Response:
    eid = parse_uuid(event_id)
    if status is not None and status not in INVITE_STATUSES:
        raise bad_request(f"unknown status {status!r}", "status")
    result = service.list_invites(caller, eid, InviteQuery(status=status, page=page, per_page=per_page))
    headers = page_links(request, result.page, result.per_page, result.total)
    return render.listing(result.items, render.invitee, headers)


@router.patch(
    "/events/{event_id}/invites/email", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Change an email invite's role",
)
def patch_email_invite(
    event_id: str, body: PatchEmailInviteBody, caller: Caller, service: ServiceDep,
    suppress_email_notification: Suppress = False,
) -> Response:
    service.change_email_role(
        caller, parse_uuid(event_id), body.email, body.role, suppress_email_notification=suppress_email_notification
    )
    return Response(status_code=204)


@router.delete(
    "/events/{event_id}/invites/email", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Withdraw an email invite",
)
def delete_email_invite(
    event_id: str, body: Annotated[DeleteEmailInviteBody, Body()], caller: Caller, service: ServiceDep,
    suppress_email_notification: Suppress = False,
) -> Response:
    service.uninvite_email(
        caller, parse_uuid(event_id), body.email, suppress_email_notification=suppress_email_notification
    )
    return Response(status_code=204)


@router.patch(
    "/events/{event_id}/invites/{user_id}", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Change a user invite's role",
)
def patch_user_invite(
    event_id: str, user_id: str, body: PatchUserInviteBody, caller: Caller, service: ServiceDep,
    suppress_email_notification: Suppress = False,
) -> Response:
    eid, uid = parse_uuid(event_id), parse_uuid(user_id, "invite")
    service.change_user_role(caller, eid, uid, body.role, suppress_email_notification=suppress_email_notification)
    return Response(status_code=204)


@router.delete(
    "/events/{event_id}/invites/{user_id}", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Withdraw a user invite",
)
def delete_user_invite(
    event_id: str, user_id: str, caller: Caller, service: ServiceDep, suppress_email_notification: Suppress = False,
) -> Response:
    eid, uid = parse_uuid(event_id), parse_uuid(user_id, "invite")
    service.uninvite_user(caller, eid, uid, suppress_email_notification=suppress_email_notification)
    return Response(status_code=204)


@router.patch(
    "/events/{event_id}/invite", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Accept (or tentatively accept) an invite",
)
def accept_invite(
    event_id: str, caller: Caller, service: ServiceDep,
    body: Annotated[AcceptInviteBody | None, Body()] = None,
    suppress_email_notification: Suppress = False,
) -> Response:
    status = body.status if body is not None else "accepted"
    service.accept_invite(
        caller, parse_uuid(event_id), status, suppress_email_notification=suppress_email_notification
    )
    return Response(status_code=204)


@router.delete(
    "/events/{event_id}/invite", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Decline an invite (it stays, declined)",
)
def decline_invite(
    event_id: str, caller: Caller, service: ServiceDep, suppress_email_notification: Suppress = False,
) -> Response:
    service.decline_invite(caller, parse_uuid(event_id), suppress_email_notification=suppress_email_notification)
    return Response(status_code=204)


@router.get(
    "/users/me/pending_invites", response_model=PendingInvites, responses=ERRORS,
    summary="How many invites the caller has not answered",
)
def pending_invites(caller: Caller, service: ServiceDep) -> Response:
    return render.json_response({"total_pending_invites": service.pending_invite_count(caller)})


__all__ = ["router"]
