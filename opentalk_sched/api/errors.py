"""Errors on the wire: every failure becomes ``{"code", "message", "validation_errors"?}``.

The service raises typed errors (subclasses of
:class:`~opentalk_sched.core.errors.SchedError` with a stable ``code``); this module maps
them, and FastAPI's own failures, to the status codes of SPEC §2:

==========  ========================  ================================================
status      code                      when
==========  ========================  ================================================
400         ``invalid_json``          body is not JSON, has wrong types, misses fields
                                      (also the service's ``required`` entries)
400         ``bad_request``           bad query parameters (cursor, range, time format)
401         ``unauthorized``          no / invalid bearer token (``WWW-Authenticate``)
403         ``forbidden``             the caller sees the event but may not change it
404         ``not_found``             unknown or invisible ids, malformed ids, routes
405         ``method_not_allowed``    a known path with another method
412         ``precondition_failed``   ``If-Match`` does not match the revision
413         ``payload_too_large``     body over 1 MiB (:class:`BodyLimitMiddleware`)
422         ``validation_failed``     values that parse but break a rule, with
                                      ``validation_errors: [{field, code, message}]``
500         ``internal_error``        a bug; logged with its traceback
==========  ========================  ================================================

A client error is never a 500: the catch-all is only reached by genuine bugs.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..core.errors import InvalidInstanceId, SchedError
from .auth import AuthError, AuthUnavailable

log = logging.getLogger("opentalk_sched.api")

#: the largest request body the API reads (SPEC §4)
MAX_BODY_BYTES = 1 << 20

__all__ = [
    "ApiError", "PayloadTooLarge", "BodyLimitMiddleware", "error_response", "install_error_handlers",
    "MAX_BODY_BYTES", "not_found", "bad_request", "status_for",
]


class ApiError(Exception):
    """An HTTP error the adapter decides itself (malformed path ids, bad query values).

    ``validation_errors``: ``[{"field", "code", "message"}]`` for 422 answers.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        validation_errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.validation_errors = validation_errors
        self.headers = headers


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def bad_request(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "bad_request", message if field is None else f"{field}: {message}")


class PayloadTooLarge(StarletteHTTPException):
    """Raised while reading a body that grows past the limit (chunked uploads)."""

    def __init__(self) -> None:
        super().__init__(413, "request body is larger than 1 MiB")


def error_response(
    status: int,
    code: str,
    message: str,
    validation_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON error body of SPEC §2 (``validation_errors`` only when given), compact
    UTF-8 JSON like every success body (:func:`opentalk_sched.api.render.json_response`)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if validation_errors:
        body["validation_errors"] = validation_errors
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), status_code=status,
        media_type="application/json", headers=headers,
    )


# -- service errors ------------------------------------------------------------------------

#: service error codes with their own status; every other SchedError is a 422
_STATUS_BY_CODE = {
    "not_found": 404,
    "forbidden": 403,
    "precondition_failed": 412,
    "conflict": 409,
    "bad_request": 400,
    "invalid_json": 400,
    "unauthorized": 401,
}
_STATUS_BY_CLASS = {
    "NotFound": 404,
    "Forbidden": 403,
    "PreconditionFailed": 412,
}


def status_for(err: SchedError) -> int:
    """HTTP status of a service / core error: by class name, then by code, else 422."""
    for cls in type(err).__mro__:
        if cls.__name__ in _STATUS_BY_CLASS:
            return _STATUS_BY_CLASS[cls.__name__]
    if isinstance(err, InvalidInstanceId):
        return 404
    return _STATUS_BY_CODE.get(err.code, 422)


def _field_entries(err: SchedError) -> list[dict[str, str]]:
    """``[{field, code, message}]`` of a validation error.

    Service errors may carry several entries (``errors``/``fields``/``entries``: objects
    or dicts with field, code, message); a plain SchedError is one entry.
    """
    raw = None
    for attr in ("validation_errors", "errors", "entries", "fields"):
        raw = getattr(err, attr, None)
        if raw:
            break
    out: list[dict[str, str]] = []
    if raw:
        for item in raw:
            get = item.get if isinstance(item, dict) else (lambda k, _i=item: getattr(_i, k, None))
            out.append({
                "field": str(get("field") or ""),
                "code": str(get("code") or "invalid_value"),
                "message": str(get("message") or ""),
            })
        return out
    field = _wire_field(err.field)
    return [{"field": field, "code": err.code, "message": err.message}]


#: core errors name iCalendar properties; the wire names the API field that carried them
_WIRE_FIELDS = {
    "RRULE": "recurrence_pattern", "RDATE": "recurrence_pattern", "EXRULE": "recurrence_pattern",
    "EXDATE": "recurrence_pattern", "DTSTART": "recurrence_pattern", "DTEND": "recurrence_pattern",
    "DURATION": "recurrence_pattern", "start": "starts_at", "end": "ends_at",
}


def _wire_field(field: str | None) -> str:
    if not field:
        return ""
    return _WIRE_FIELDS.get(field, field)


#: service validation codes that SPEC §2 puts under 400 ``invalid_json``: a field the
#: body needs is missing (``is_all_day``/``starts_at``/``ends_at`` of a timed event; the
#: schema cannot say it, as they are needed only when ``is_time_independent`` is false)
_INVALID_JSON_CODES = frozenset({"required"})


def sched_error_response(err: SchedError) -> Response:
    status = status_for(err)
    if status == 422:
        entries = _field_entries(err)
        missing = [e for e in entries if e["code"] in _INVALID_JSON_CODES]
        if missing:  # a body that misses fields is malformed before any rule is checked
            return error_response(400, "invalid_json", "; ".join(f"{e['field']}: {e['message']}" for e in missing))
        code = "validation_failed"
        return error_response(422, code, err.message, entries)
    code = {404: "not_found", 403: "forbidden", 412: "precondition_failed", 401: "unauthorized"}.get(
        status, err.code
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, code, err.message, headers=headers)


# -- FastAPI's own failures ----------------------------------------------------------------


#: pydantic's error types for "the body is not an object" (a model fed a list, a string, bytes)
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "model_type", "dict_type"})
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true or false"}


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _not_an_object(exc: RequestValidationError, errors: list[dict], content_type: str | None) -> str | None:
    """The message for a body that is not a JSON object at all, else ``None``.

    FastAPI reads the body as JSON only for a JSON ``Content-Type``; any other type hands
    the model raw bytes, whose framework message ("Input should be a valid dictionary or
    object to extract fields from") does not say what is wrong."""
    whole = [e for e in errors if tuple(e.get("loc", ())) == ("body",)]
    if not whole:
        return None
    body = getattr(exc, "body", None)
    if body in (None, b"") and any(e.get("type") == "missing" for e in whole):
        return "the body must be a JSON object; none was sent"
    if not any(e.get("type") in _NOT_AN_OBJECT for e in whole):
        return None
    if isinstance(body, (bytes, bytearray)) or not _is_json(content_type):
        sent = (content_type or "").split(";")[0].strip()[:80] or "no Content-Type"
        return f"the body must be a JSON object sent with Content-Type: application/json (got {sent})"
    kind = "null" if body is None else _JSON_KINDS.get(type(body), type(body).__name__)
    return f"the body must be a JSON object, not {kind}"


def _request_validation_response(exc: RequestValidationError, content_type: str | None = None) -> Response:
    errors = list(exc.errors())
    where = {str(e.get("loc", ("body",))[0]) for e in errors}
    if "body" in where:
        message = _not_an_object(exc, errors, content_type)
        if message is not None:
            return error_response(400, "invalid_json", message)
        return error_response(400, "invalid_json", _summarise(e for e in errors if e["loc"][0] == "body"))
    if "path" in where:
        return error_response(404, "not_found", "resource not found")
    return error_response(400, "bad_request", _summarise(errors))


def _summarise(errors: Iterable[dict]) -> str:
    parts = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ())[1:]) or str(e.get("loc", ("body",))[0])
        if e.get("type") == "json_invalid":
            parts.append("body is not valid JSON")
        else:
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    return "; ".join(parts[:5]) or "invalid request"


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_failed",
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the SPEC §2 shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.validation_errors, exc.headers)

    @app.exception_handler(AuthError)
    async def _auth_error(_: Request, exc: AuthError) -> Response:
        if isinstance(exc, AuthUnavailable):
            return error_response(503, exc.code, exc.message, headers={"Retry-After": "5"})
        return error_response(401, "unauthorized", exc.message, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(SchedError)
    async def _sched_error(_: Request, exc: SchedError) -> Response:
        return sched_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _request_validation_response(exc, request.headers.get("content-type"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 400 and "parsing the body" in message:
            code = "invalid_json"
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "internal server error")


# -- body size limit -----------------------------------------------------------------------


class BodyLimitMiddleware:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413.

    A ``Content-Length`` over the limit is refused before anything is read; a chunked
    body is counted while it is read and refused once it passes the limit.
    """

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                length = value
                break
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                return await error_response(400, "bad_request", "invalid Content-Length")(scope, receive, send)
            if n > self.max_bytes:
                return await _too_large()(scope, receive, send)
        seen = 0
        started = False
        limit = self.max_bytes

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge()
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except PayloadTooLarge:
            if started:
                raise
            await _too_large()(scope, receive, send)


def _too_large() -> Response:
    return error_response(413, "payload_too_large", "request body is larger than 1 MiB")
