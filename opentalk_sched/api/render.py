"""Service views → JSON: the exact wire shape of SPEC §2, built as plain dicts.

The service answers with typed views (:mod:`opentalk_sched.service.views`) that already
hold every decision (permissions, the caller's own status, truncated invitee lists).
This module only renames and serialises:

* optional fields are left out, never ``null``;
* instants are RFC 3339 in UTC with ``Z`` (``2025-03-10T08:00:00Z``; fractions of a
  second only when there are any);
* ``DateTimeTz`` is ``{"datetime": ..., "timezone": ...}``.

Building dicts directly (instead of pydantic models) keeps the hot calendar view cheap;
the response models in :mod:`opentalk_sched.api.schemas` describe the same shapes and the
tests validate every answer against them.

    >>> import datetime as dt
    >>> instant(dt.datetime(2025, 3, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    '2025-03-10T08:00:00Z'
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

from starlette.responses import Response

UTC = timezone.utc

__all__ = [
    "instant", "date_time_tz", "profile", "room", "invitee", "event", "instance", "exception", "item",
    "json_response",
]


def instant(value: datetime) -> str:
    """An aware datetime → ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (naive values are UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"  # isoformat adds ".ffffff" only when there are microseconds


def date_time_tz(value) -> dict[str, str]:
    """A service ``DateTimeTZ`` → ``{"datetime": "...Z", "timezone": "Europe/Berlin"}``."""
    return {"datetime": instant(value.datetime), "timezone": value.timezone}


def profile(p) -> dict[str, Any]:
    return {
        "id": str(p.id), "email": p.email, "title": p.title, "firstname": p.firstname, "lastname": p.lastname,
        "display_name": p.display_name, "avatar_url": p.avatar_url,
    }


def room(r) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(r.id)}
    if r.password is not None:
        out["password"] = r.password
    out["waiting_room"] = bool(r.waiting_room)
    return out


def _value(v) -> str:
    return getattr(v, "value", v)


def invitee(i) -> dict[str, Any]:
    """``{profile: {kind: "registered", ...profile, role} | {kind: "email", email,
    avatar_url}, status}``."""
    if i.kind == "email":
        prof: dict[str, Any] = {"kind": "email", "email": i.email, "avatar_url": i.avatar_url}
    else:
        prof = {"kind": "registered", **profile(i.profile), "role": _value(i.role)}
    return {"profile": prof, "status": _value(i.status)}


def _common_head(v, out: dict[str, Any]) -> None:
    out["created_by"] = profile(v.created_by)
    out["created_at"] = instant(v.created_at)
    out["updated_by"] = profile(v.updated_by)
    out["updated_at"] = instant(v.updated_at)


def _content(v, out: dict[str, Any]) -> None:
    """The fields events and instances share after the audit head, in SPEC §2 order."""
    _common_head(v, out)
    out["title"] = v.title
    out["description"] = v.description
    if v.room is not None:
        out["room"] = room(v.room)
    out["invitees_truncated"] = v.invitees_truncated
    out["invitees"] = [invitee(i) for i in v.invitees]


def event(v) -> dict[str, Any]:
    """The event resource (field order as SPEC §2; date part last)."""
    out: dict[str, Any] = {"id": str(v.id)}
    _content(v, out)
    out["is_adhoc"] = v.is_adhoc
    out["invite_status"] = _value(v.invite_status)
    out["is_favorite"] = v.is_favorite
    out["can_edit"] = v.can_edit
    if v.is_time_independent:
        out["type"] = "single"
        out["is_time_independent"] = True
        return out
    out["is_time_independent"] = False
    out["type"] = v.type
    out["is_all_day"] = bool(v.is_all_day)
    out["starts_at"] = date_time_tz(v.starts_at)
    out["ends_at"] = date_time_tz(v.ends_at)
    if v.type == "recurring" and v.recurrence_pattern:
        out["recurrence_pattern"] = list(v.recurrence_pattern)
    return out


def instance(v) -> dict[str, Any]:
    """The instance resource."""
    out: dict[str, Any] = {"id": v.id, "recurring_event_id": str(v.recurring_event_id), "instance_id": v.instance_id}
    _content(v, out)
    out["is_all_day"] = v.is_all_day
    out["starts_at"] = date_time_tz(v.starts_at)
    out["ends_at"] = date_time_tz(v.ends_at)
    out["type"] = "instance"
    out["status"] = _value(v.status)
    out["invite_status"] = _value(v.invite_status)
    out["is_favorite"] = v.is_favorite
    out["can_edit"] = v.can_edit
    return out


def exception(v) -> dict[str, Any]:
    """The exception resource: only the overridden fields are present."""
    out: dict[str, Any] = {"id": v.id, "recurring_event_id": str(v.recurring_event_id), "instance_id": v.instance_id}
    _common_head(v, out)
    if v.title is not None:
        out["title"] = v.title
    if v.description is not None:
        out["description"] = v.description
    if v.is_all_day is not None:
        out["is_all_day"] = v.is_all_day
    if v.starts_at is not None:
        out["starts_at"] = date_time_tz(v.starts_at)
    if v.ends_at is not None:
        out["ends_at"] = date_time_tz(v.ends_at)
    out["original_starts_at"] = date_time_tz(v.original_starts_at)
    out["type"] = "exception"
    out["status"] = _value(v.status)
    out["can_edit"] = v.can_edit
    return out


def item(v) -> dict[str, Any]:
    """An item of ``GET /v1/events``: an event or an exception."""
    return exception(v) if getattr(v, "type", None) == "exception" else event(v)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A compact UTF-8 JSON answer."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status_code=status, media_type="application/json", headers=headers)


def listing(items: Iterable, render, headers: dict[str, str] | None = None) -> Response:
    return json_response([render(v) for v in items], headers=headers)
