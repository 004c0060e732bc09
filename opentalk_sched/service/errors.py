"""Errors of the scheduling service: each has a stable ``code`` the adapters map.

==========================  ========================  =====================================
class                       ``code``                  HTTP (set by the API adapter)
==========================  ========================  =====================================
:class:`NotFound`           ``not_found``             404: unknown id, or an event the
                                                      caller cannot see (never reveal it)
:class:`Forbidden`          ``forbidden``             403: visible, but not the caller's
                                                      to change (SPEC §2 permissions)
:class:`PreconditionFailed` ``precondition_failed``   412: ``if_match`` is not the revision
:class:`ValidationFailed`   ``validation_failed``     422: values that parse but break a
                                                      rule; ``errors`` lists each
                                                      (field, code, message)
:class:`BadRequest`         ``bad_request``           400: an unreadable cursor, a
                                                      ``per_page`` or ``page`` out of range
==========================  ========================  =====================================

All are :class:`~opentalk_sched.core.errors.SchedError` subclasses.

    >>> err = ValidationFailed([FieldError("title", "invalid_length", "at most 255 characters")])
    >>> err.code, err.field, [e.code for e in err.errors]
    ('validation_failed', 'title', ['invalid_length'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..core.errors import SchedError


class ServiceError(SchedError):
    """Base of the service's own errors."""

    code = "service_error"


class NotFound(ServiceError):
    """The resource does not exist, or the caller may not know that it does."""

    code = "not_found"


class Forbidden(ServiceError):
    """The caller can see the event but may not do this to it."""

    code = "forbidden"


class PreconditionFailed(ServiceError):
    """``if_match`` names another revision than the stored one (HTTP If-Match)."""

    code = "precondition_failed"


class BadRequest(ServiceError):
    """A request parameter cannot be read at all (cursor, paging range)."""

    code = "bad_request"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule: the API ``field`` (``title``, ``starts_at``, ``recurrence_pattern``),
    a stable ``code`` (``invalid_length``, ``ends_before_start``, ...) and a message."""

    field: str
    code: str
    message: str


class ValidationFailed(ServiceError):
    """Values that parse but break a rule. ``errors``: every :class:`FieldError` found;
    ``field`` is the first one's field."""

    code = "validation_failed"

    def __init__(self, errors: Iterable[FieldError] | FieldError, message: str | None = None) -> None:
        items = (errors,) if isinstance(errors, FieldError) else tuple(errors)
        if not items:
            raise ValueError("ValidationFailed needs at least one FieldError")
        self.errors: tuple[FieldError, ...] = items
        super().__init__(message or "; ".join(f"{e.field}: {e.message}" for e in items), field=items[0].field)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    @classmethod
    def one(cls, field: str, code: str, message: str) -> "ValidationFailed":
        return cls([FieldError(field, code, message)])
