"""Routes of favorites: ``PUT`` / ``DELETE /v1/users/me/event_favorites/{event_id}``.

* ``PUT``: 201 when the event became a favorite, 204 when it already was;
* ``DELETE``: 204, or 404 when it was not a favorite.

Creator and invitees may mark an event; for anyone else it does not exist (404).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from .context import Caller, ServiceDep
from .params import parse_uuid
from .responses import ERRORS, NO_CONTENT

router = APIRouter(tags=["favorites"])


@router.put(
    "/users/me/event_favorites/{event_id}", status_code=201, response_model=None, response_class=Response,
    responses={**ERRORS, 201: {"description": "added"}, 204: {"description": "it already was a favorite"}},
    summary="Mark an event as favorite",
)
def add_favorite(event_id: str, caller: Caller, service: ServiceDep) -> Response:
    added = service.add_favorite(caller, parse_uuid(event_id))
    return Response(status_code=201 if added else 204)


@router.delete(
    "/users/me/event_favorites/{event_id}", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Unmark a favorite",
)
def remove_favorite(event_id: str, caller: Caller, service: ServiceDep) -> Response:
    service.remove_favorite(caller, parse_uuid(event_id))
    return Response(status_code=204)


__all__ = ["router"]
