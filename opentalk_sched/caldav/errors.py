"""Typed errors of the CalDAV push.

Every error is a :class:`~opentalk_sched.core.errors.SchedError` with a stable ``code``;
the CLI prints it as one line and exits with status 2. Per-resource failures that do
not stop a run (a server refusing one PUT) are not raised: they are listed in
:attr:`opentalk_sched.caldav.report.SyncReport.errors`.

    >>> err = CalDAVUnavailable("PUT /alice/work/x.ics: 503 after 4 attempts", value="503")
    >>> err.code
    'caldav_unavailable'
"""

from __future__ import annotations

from ..core.errors import SchedError


class CalDAVError(SchedError):
    """Base of the CalDAV push errors."""

    code = "caldav_error"


class CalDAVUnavailable(CalDAVError):
    """The server kept failing (connection errors, 5xx, 429) after every retry."""

    code = "caldav_unavailable"


class CalDAVAuthError(CalDAVError):
    """The server refused the credentials (401) or the access (403)."""

    code = "caldav_unauthorized"


class CalendarNotFound(CalDAVError):
    """No calendar collection with that name or URL, and it may not be created here
    (dry run) or could not be created (MKCALENDAR refused)."""

    code = "calendar_not_found"


class InvalidPolicy(CalDAVError):
    """``policy`` is not one of ``report``, ``ours``, ``theirs``."""

    code = "invalid_policy"


class StateSchemaError(CalDAVError):
    """The CalDAV state tables were written by a newer version of opentalk-sched."""

    code = "caldav_state_schema"
