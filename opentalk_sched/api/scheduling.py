"""HTTP routes of free/busy and finding a time (docs/scheduling.md).

* ``GET /v1/users/{user_id}/freebusy?time_min=...&time_max=...``: busy periods only
  (never titles or ids), so any authenticated user may ask about anyone; ``user_id`` may
  be ``me``; ``Accept: text/calendar`` gives a VFREEBUSY (RFC 5545 §3.6.4).
* ``POST /v1/scheduling/find_slots``: slots where every required attendee is free and
  inside their working hours.
* ``GET / PUT / DELETE /v1/users/me/working_hours``: the caller's working-hours setting.

The adapter only translates: rules are in :mod:`opentalk_sched.scheduling`, errors
become the SPEC §2 shape (404 unknown user, 422 ``validation_failed`` with the wire
field names ``duration_minutes``, ``step_minutes``, ``time_max``, ``attendees``,
``days``, ``timezone``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone
from typing import Annotated, Callable, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from starlette.responses import JSONResponse, Response

from .. import scheduling
from ..core.errors import SchedError
from ..core.freebusy import BusyPeriod, FBType, InvalidWorkingHours, SchedulingError, WorkingHours
from ..core.zones import resolve_zone
from ..ical.freebusy import freebusy_calendar
from .errors import ApiError, not_found
from .params import parse_instant, parse_uuid
from .schemas import WireInstant, _In, _Out

UTC = timezone.utc

#: the most slots one find_slots answer holds
SLOTS_MAX = 500
SLOTS_DEFAULT = 50

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
    limit: int = SLOTS_DEFAULT


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


def _unprocessable(err: SchedError) -> ApiError:
    field = _WIRE.get(err.field or "", err.field or "")
    return ApiError(422, "validation_failed", err.message, [{"field": field, "code": err.code, "message": err.message}])


#: 366 days in minutes: no duration or step beyond it can fit a window
_MINUTES_MAX = 366 * 24 * 60


def _check_minutes(value: int, field: str) -> None:
    if value <= 0:
        raise ApiError(422, "validation_failed", f"{field} must be positive",
                       [{"field": field, "code": "not_positive", "message": "must be positive"}])
    if value > _MINUTES_MAX:
        code = "longer_than_window" if field == "duration_minutes" else "too_large"
        raise ApiError(422, "validation_failed", f"{field} is longer than the longest window (366 days)",
                       [{"field": field, "code": code, "message": "at most 366 days"}])


def _wants_calendar(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/calendar" in accept and "application/json" not in accept


def _working_hours_answer(store, user_id: uuid.UUID) -> dict:
    setting = scheduling.working_hours_setting(store, user_id)
    wh = scheduling.get_working_hours(store, user_id)
    return {
        "days": wh.to_mapping(),
        "timezone": getattr(wh.tz, "key", None) or "UTC",
        "timezone_setting": setting.timezone,
        "is_default": setting.is_default,
    }


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
        responses={200: {"content": {"text/calendar": {}}}},
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
            busy = scheduling.freebusy(store, [uid], lo, hi)[uid]
        except scheduling.UnknownUser:
            raise not_found("user") from None
        except SchedulingError as err:
            raise _unprocessable(err) from None
        if _wants_calendar(request):
            user = store.get_user(uid)
            body = freebusy_calendar([(user.email if user else None, busy)], lo, hi)
            return Response(body, media_type="text/calendar; charset=utf-8")
        return JSONResponse({
            "user_id": str(uid), "time_min": _z(lo), "time_max": _z(hi), "busy": [_period(p) for p in busy],
        })

    @router.post("/scheduling/find_slots", response_model=FindSlotsOut, summary="Find times when attendees are free")
    def post_find_slots(body: FindSlotsBody, store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        lo = parse_instant(_z(body.time_min.astimezone(UTC)), "time_min")
        hi = parse_instant(_z(body.time_max.astimezone(UTC)), "time_max")
        _check_minutes(body.duration_minutes, "duration_minutes")
        _check_minutes(body.step_minutes, "step_minutes")
        if not 1 <= body.limit <= SLOTS_MAX:
            raise ApiError(422, "validation_failed", f"limit must be between 1 and {SLOTS_MAX}",
                           [{"field": "limit", "code": "out_of_range", "message": f"between 1 and {SLOTS_MAX}"}])
        required = list(body.attendees)
        if body.include_caller and me not in required:
            required.insert(0, me)
        overrides = {u: None for u in required + body.optional_attendees} if body.ignore_working_hours else None
        try:
            slots = scheduling.find_slots(
                store, required, timedelta(minutes=body.duration_minutes), lo, hi,
                optional=body.optional_attendees, working_hours=overrides, step=timedelta(minutes=body.step_minutes),
                tentative_is_busy=body.tentative_is_busy, order=body.order, limit=body.limit,
            )
        except scheduling.UnknownUser as err:
            raise ApiError(404, "not_found", f"user {err.value} not found") from None
        except (SchedulingError, scheduling.TooManyAttendees) as err:
            raise _unprocessable(err) from None
        return JSONResponse({"slots": [
            {"starts_at": _z(s.start), "ends_at": _z(s.end), "optional_attendees_free": [str(u) for u in s.optional_free]}
            for s in slots
        ]})

    @router.get("/users/me/working_hours", response_model=WorkingHoursOut, summary="The caller's working hours")
    def get_working_hours(store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        return JSONResponse(_working_hours_answer(store, me))

    @router.put("/users/me/working_hours", response_model=WorkingHoursOut, summary="Set the caller's working hours")
    def put_working_hours(body: WorkingHoursBody, store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        try:
            tz = resolve_zone(body.timezone) if body.timezone else None
            wh = WorkingHours.from_mapping({k: [list(r) for r in v] for k, v in body.days.items()}, tz or resolve_zone("UTC"))
            scheduling.set_working_hours(store, me, wh, body.timezone)
        except (InvalidWorkingHours, SchedError) as err:
            if isinstance(err, scheduling.UnknownUser):
                raise not_found("user") from None
            raise _unprocessable(err) from None
        return JSONResponse(_working_hours_answer(store, me))

    @router.delete("/users/me/working_hours", status_code=204, summary="Back to 09:00-17:00 Mon-Fri")
    def delete_working_hours(store=store_dep, me: uuid.UUID = caller_dep) -> Response:
        try:
            scheduling.set_working_hours(store, me, None)
        except scheduling.UnknownUser:
            raise not_found("user") from None
        return Response(status_code=204)

    return router


__all__ = ["build_router", "FindSlotsBody", "FreeBusyOut", "FindSlotsOut", "WorkingHoursBody", "WorkingHoursOut"]
