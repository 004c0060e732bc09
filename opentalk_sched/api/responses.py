"""The error answers every route documents in the OpenAPI document (SPEC §2 error table).

Listing them keeps the document honest: a client (or schemathesis) can check every
status the API may send against its schema, :class:`~opentalk_sched.api.schemas.ErrorBody`.
"""

from __future__ import annotations

from typing import Any

from .schemas import ErrorBody

_ERROR_STATUSES = {
    400: "invalid_json (body) or bad_request (query parameters)",
    401: "unauthorized: no valid bearer token (WWW-Authenticate: Bearer)",
    403: "forbidden: the caller sees the event but may not change it",
    404: "not_found: unknown, invisible or malformed id",
    412: "precondition_failed: If-Match does not match the revision",
    413: "payload_too_large: body over 1 MiB",
    422: "validation_failed: values that break a rule, with validation_errors",
    503: "auth_unavailable: the identity provider's keys cannot be fetched",
}

#: ``responses=`` for every route
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _ERROR_STATUSES.items()
}

#: ``responses=`` addition for routes that may answer 204
NO_CONTENT: dict[int | str, dict[str, Any]] = {204: {"description": "nothing changed / done, no body"}}

__all__ = ["ERRORS", "NO_CONTENT"]
