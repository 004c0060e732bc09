"""HTTP routes of free/busy and finding a time (docs/scheduling.md).

* ``GET /v1/users/{user_id}/freebusy?time_min=...&time_max=...``: busy periods only
  (never titles or ids), so any authenticated user may ask about anyone; ``user_id`` may
  be ``me``; ``Accept: text/calendar`` gives a VFREEBUSY (RFC 5545 §3.6.4).
* ``POST /v1/scheduling/find_slots``: slots where every required attendee is free and
  inside their working hours.
* ``GET / PUT / DELETE /v1/users/me/working_hours``: the caller's working-hours setting.

The adapter only translates: each route parses the wire, calls one function of
:mod:`opentalk_sched.scheduling` (where every rule is: window and minute limits,
``limit`` range, the caller as attendee) and renders the answer. Errors become the
SPEC §2 shape: 400 ``bad_request`` (query values) / ``invalid_json`` (body), 404 unknown
user, 422 ``validation_failed`` with the wire field names ``duration_minutes``,
``step_minutes``, ``time_max``, ``limit``, ``attendees``, ``days``, ``timezone``.
"""

from __future__ import annotations

import uuid
from datetime import timezone
from typing import Annotated, Callable, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from starlette.responses import JSONResponse, Response

from .. import scheduling
from ..core.errors import SchedError
from ..core.freebusy import BusyPeriod
from ..ical.freebusy import freebusy_calendar
from .errors import ApiError
from .params import parse_instant, parse_uuid
from .responses import ERRORS
from .schemas import WireInstant, _In, _Out

#: the error answers these routes may give (SPEC §2): 400 bad_request (query values) or
#: invalid_json (body), 401, 404 unknown user, 422 validation_failed, 503 (auth)
_ERRORS = {status: ERRORS[status] for status in (400, 401, 404, 422, 503)}
#: routes with a body may also answer 413
_BODY_ERRORS = {**_ERRORS, 413: ERRORS[413]}

UTC = timezone.utc

#: core field names → the wire names of this API
_WIRE = {"duration": "duration_minutes", "step": "step_minutes", "working_hours": "days"}


# -- wire shapes --------------------------------------------------------------------------


class BusyPeriodOut(_Out):
    starts_at: str = Field(examples=["2025-03-10T08:00:00Z"], json_schema_extra={"format": "date-time"})
    ends_at: str = Field(examples=["2025-03-10T09:30:00Z"], json_schema_extra={"format": "date-time"})
    type: Literal["busy", "busy_tentative", "busy_unavailable"]


class FreeBusyOut(_Out):
    user_id: uuid.UUID
    time_min: str
    time_max: str
    busy: list[BusyPeriodOut]


class FindSlotsBody(_In):
    """``duration_minutes``, ``time_min``, ``time_max`` are required; see docs/scheduling.md."""

    attendees: list[uuid.UUID] = Field(default_factory=list)
    optional_attendees: list[uuid.UUID] = Field(default_factory=list)
    duration_minutes: int
    time_min: WireInstant
    time_max: WireInstant
    step_minutes: int = 15
    include_caller: bool = True
    ignore_working_hours: bool = False
    tentative_is_busy: bool = True
    order: Literal["rank", "start"] = "rank"
    limit: int = Field(default=scheduling.SLOTS_DEFAULT, description=f"1 to {scheduling.SLOTS_MAX}")


class SlotOut(_Out):
    starts_at: str
    ends_at: str
    optional_attendees_free: list[uuid.UUID]


class FindSlotsOut(_Out):
    slots: list[SlotOut]


class WorkingHoursBody(_In):
    """``days``: ``{"mon": [["09:00", "17:00"]], ...}`` (days left out are free);
    ``timezone``: an IANA name, or ``null`` to follow the user's timezone setting."""

    days: dict[str, list[tuple[str, str]]]
    timezone: str | None = None


class WorkingHoursOut(_Out):
    days: dict[str, list[list[str]]]
    timezone: str
    timezone_setting: str | None = None
    is_default: bool


# -- helpers ------------------------------------------------------------------------------


def _z(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _period(p: BusyPeriod) -> dict:
    return {"starts_at": _z(p.start), "ends_at": _z(p.end), "type": p.fbtype.wire}


def _api_error(err: SchedError, user_message: str = "user not found") -> ApiError:
    """A scheduling error on the wire: 404 for an unknown user, 422 ``validation_failed``
    (one entry, the wire field name) for everything else."""
    if isinstance(err, scheduling.UnknownUser):
        return ApiError(404, "not_found", user_message)
    field = _WIRE.get(err.field or "", err.field or "")
    return ApiError(422, "validation_failed", err.message, [{"field": field, "code": err.code, "message": err.message}])


def _wants_calendar(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/calendar" in accept and "application/json" not in accept


def _working_hours(view: scheduling.WorkingHoursView) -> dict:
    return {"days": view.days, "timezone": view.timezone, "timezone_setting": view.timezone_setting,
            "is_default": view.is_default}


# -- the router ---------------------------------------------------------------------------


def build_router(store_of: Callable, caller: Callable) -> APIRouter:
    """The routes, given two FastAPI dependencies of the app: ``store_of`` (→ the
    :class:`~opentalk_sched.store.base.Store`) and ``caller`` (→ the calling user's id,
    raising 401 when there is none)."""
    router = APIRouter(prefix="/v1", tags=["scheduling"])
    store_dep = Depends(store_of)
    caller_dep = Depends(caller)

    @router.get(
        "/users/{user_id}/freebusy", response_model=FreeBusyOut,
        responses={**_ERRORS, 200: {"content": {"text/calendar": {}}}},
        summary="Busy periods of a user (times only)",
    )
    def get_freebusy(
        request: Request, user_id: str,
        time_min: Annotated[str | None, Query()] = None, time_max: Annotated[str | None, Query()] = None,
        store=store_dep, me: uuid.UUID = caller_dep,
    ) -> Response:
        uid = me if user_id == "me" else parse_uuid(user_id, "user")
        lo = parse_instant(time_min, "time_min")
        hi = parse_instant(time_max, "time_max")
        if lo is None or hi is None:
            raise ApiError(400, "bad_request", "time_min and time_max are required")
        try:
            found = scheduling.user_freebusy(store, uid, lo, hi)
        except SchedError as err:
            raise _api_error(err) from None
        if _wants_calendar(request):
            body = freebusy_calendar([(found.email, found.busy)], found.start, found.end)
            return Response(body, media_type="text/calendar; charset=utf-8")
        return JSONResponse({
            "user_id": str(found.user_id), "time_min": _z(found.start), "time_max": _z(found.end),
            "busy": [_period(p) for p in found.busy],
        })

    @router.post("/scheduling/find_slots", response_model=FindSlotsOut, responses=_BODY_ERRORS,
                 summary="Find times when attendees are free")
    def post_find_slots(body: FindSlotsBody, store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        lo = parse_instant(_z(body.time_min.astimezone(UTC)), "time_min")
        hi = parse_instant(_z(body.time_max.astimezone(UTC)), "time_max")
        try:
            slots = scheduling.find_slots(
                store, body.attendees, body.duration_minutes, lo, hi, optional=body.optional_attendees,
                caller=me, include_caller=body.include_caller, ignore_working_hours=body.ignore_working_hours,
                step=body.step_minutes, tentative_is_busy=body.tentative_is_busy, order=body.order,
                limit=body.limit,
            )
        except SchedError as err:
            raise _api_error(err, f"user {err.value} not found") from None
        return JSONResponse({"slots": [
            {"starts_at": _z(s.start), "ends_at": _z(s.end), "optional_attendees_free": [str(u) for u in s.optional_free]}
            for s in slots
        ]})

    @router.get("/users/me/working_hours", response_model=WorkingHoursOut, responses=_ERRORS,
                summary="The caller's working hours")
    def get_working_hours(store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        try:
            return JSONResponse(_working_hours(scheduling.working_hours_view(store, me)))
        except SchedError as err:
            raise _api_error(err) from None

    @router.put("/users/me/working_hours", response_model=WorkingHoursOut, responses=_BODY_ERRORS,
                summary="Set the caller's working hours")
    def put_working_hours(body: WorkingHoursBody, store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        try:
            return JSONResponse(_working_hours(scheduling.update_working_hours(store, me, body.days, body.timezone)))
        except SchedError as err:
            raise _api_error(err) from None

    @router.delete("/users/me/working_hours", status_code=204, responses=_ERRORS,
                   summary="Back to 09:00-17:00 Mon-Fri")
    def delete_working_hours(store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        try:
            scheduling.update_working_hours(store, me, None)
        except SchedError as err:
            raise _api_error(err) from None
        return Response(status_code=204)

    return router


__all__ = ["build_router", "FindSlotsBody", "FreeBusyOut", "FindSlotsOut", "WorkingHoursBody", "WorkingHoursOut"]
