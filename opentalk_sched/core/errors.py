"""Typed errors of the engine.

Every error carries a stable machine-readable ``code`` and, where it applies, the
offending ``field`` (an iCalendar property name such as ``RRULE`` or an API field such
as ``starts_at``), the ``value`` that was rejected and the ``uid`` of the series.
Adapters map them to their wire form (HTTP 422, a CLI message); nothing here knows
about HTTP.

    >>> from opentalk_sched.core.rrule import RRule
    >>> try:
    ...     RRule.parse("FREQ=FORTNIGHTLY")
    ... except InvalidRecurrence as err:
    ...     err.code, err.value
    ('unknown_freq', 'FREQ=FORTNIGHTLY')
"""

from __future__ import annotations


class SchedError(Exception):
    """Base of every opentalk-sched error: ``code`` is stable, ``message`` is for people."""

    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        value: str | None = None,
        uid: str | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field
        self.value = value
        self.uid = uid

    def with_uid(self, uid: str | None) -> "SchedError":
        """Return self with the series UID filled in (used by importers)."""
        if self.uid is None:
            self.uid = uid
        return self

    def __str__(self) -> str:
        parts = [f"{self.code}: {self.message}"]
        if self.field:
            parts.append(f"field={self.field}")
        if self.value is not None:
            parts.append(f"value={self.value!r}")
        if self.uid:
            parts.append(f"uid={self.uid}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, "
            f"value={self.value!r}, uid={self.uid!r})"
        )


class InvalidRecurrence(SchedError):
    """A recurrence line (RRULE, RDATE, EXRULE, EXDATE) cannot be read (RFC 5545 §3.3.10)."""

    code = "invalid_recurrence"


class InvalidEvent(SchedError):
    """An event's own properties are inconsistent (dates, duration, missing DTSTART)."""

    code = "invalid_event"


class UnknownTimezone(SchedError):
    """A TZID is neither an IANA name, a known Windows name nor a VTIMEZONE in the file."""

    code = "unknown_timezone"


class InvalidInstanceId(SchedError):
    """An instance id is malformed or names no occurrence of its series."""

    code = "invalid_instance_id"
