"""Path and query parameters the adapter parses itself, and the paging headers.

Path ids arrive as plain strings so that a malformed one is a 404 ``not_found`` (SPEC
§2), not a framework validation error. Query times are RFC 3339 with an offset
(``2025-03-01T00:00:00Z``); anything else is a 400 ``bad_request``.

Paging (SPEC §2):

* cursor paging: ``Link: <url&after=CURSOR>; rel="after"``, only when more rows exist;
* page paging (invites): ``first``/``prev``/``next``/``last`` links, ``prev`` only after
  page 1 and ``next`` only before the last page.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from starlette.requests import Request

from ..core.instance_id import parse_instance_id
from ..core.errors import InvalidInstanceId
from .errors import ApiError, bad_request, not_found

UTC = timezone.utc
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:?\d{2})$"
)
#: the instants the API accepts, in queries and bodies: [EARLIEST, LATEST). Python's
#: datetime ends at year 9999, and window queries pad by days to years (rule periods,
#: zone offsets), so values near its ends cannot be served; a calendar needs neither.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)

#: how many rows a page may hold (SPEC §2, §4)
PER_PAGE_MAX = 100
PER_PAGE_DEFAULT = 30


def parse_uuid(text: str, what: str = "event") -> uuid.UUID:
    """A UUID path segment; raises :class:`ApiError` 404 when malformed."""
    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        raise not_found(what) from None


def parse_instance(text: str) -> str:
    """Check an instance id's form (SPEC §1); raises 404 when malformed or outside the
    years the API serves (no occurrence can be there). Returns it as given."""
    try:
        value = parse_instance_id(text)
    except (InvalidInstanceId, OverflowError, ValueError):
        raise not_found("instance") from None
    if not in_range(value if value.tzinfo is not None else value.replace(tzinfo=UTC)):
        raise not_found("instance")
    return text


def parse_instant(text: str | None, name: str) -> datetime | None:
    """An RFC 3339 query value → aware UTC datetime (``None`` stays ``None``).

    Raises 400 ``bad_request`` for another format, a missing offset, or an instant
    outside [:data:`EARLIEST`, :data:`LATEST`).
    """
    if text is None:
        return None
    if not _RFC3339.match(text):
        raise bad_request("expected an RFC 3339 date-time with offset, e.g. 2025-03-01T00:00:00Z", name)
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise bad_request("not a valid date-time", name) from None
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise bad_request("date-time out of range", name) from None
    if not in_range(value):
        raise bad_request("date-time out of range (years 1000 to 8999)", name)
    return value


def in_range(value: datetime) -> bool:
    """True when an aware instant is one the API serves (see :data:`EARLIEST`)."""
    return EARLIEST <= value < LATEST


def check_body_instant(value: datetime, field: str) -> None:
    """A body's date-time outside the served range is a 422 ``out_of_range`` on ``field``."""
    try:
        ok = in_range(value.astimezone(UTC))
    except (OverflowError, ValueError):
        ok = False
    if not ok:
        message = f"{field} must be between the years 1000 and 8999"
        raise ApiError(422, "validation_failed", message, [{"field": field, "code": "out_of_range", "message": message}])


def parse_status_list(text: str | list[str] | None, allowed: tuple[str, ...], name: str) -> list[str] | None:
    """A comma list (or repeated parameter) of statuses; 400 for an unknown value."""
    if text is None:
        return None
    items = text if isinstance(text, list) else [text]
    out: list[str] = []
    for item in items:
        for part in item.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in allowed:
                raise bad_request(f"unknown value {part!r} (one of {', '.join(allowed)})", name)
            if part not in out:
                out.append(part)
    return out or None


def if_match_revision(header: str | None) -> int | None:
    """The revision an ``If-Match`` header asks for (RFC 9110 §13.1.1).

    ``None`` when absent or ``*``. Accepts ``"3"``, ``3`` and ``W/"3"``; a list matches
    when the first entry does (clients send one). Anything unreadable can never match the
    current revision, so it is ``-1`` (412).
    """
    if header is None:
        return None
    value = header.split(",")[0].strip()
    if value == "*":
        return None
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    try:
        return int(value)
    except ValueError:
        return -1


def etag(revision: int) -> str:
    """The ETag of an event: its revision, quoted."""
    return f'"{revision}"'


def link_after(request: Request, cursor: str | None) -> dict[str, str]:
    """``{"Link": '<...&after=CURSOR>; rel="after"'}`` when ``cursor`` is set, else ``{}``."""
    if not cursor:
        return {}
    return {"Link": f'<{request.url.include_query_params(after=cursor)}>; rel="after"'}


def page_links(request: Request, page: int, per_page: int, total: int) -> dict[str, str]:
    """``Link`` with first/prev/next/last for page paging, plus ``X-Total-Count``."""
    last = max(1, -(-total // per_page))
    links = [("first", 1)]
    if page > 1:
        links.append(("prev", min(page - 1, last)))
    if page < last:
        links.append(("next", page + 1))
    links.append(("last", last))
    parts = [
        f'<{request.url.include_query_params(page=n, per_page=per_page)}>; rel="{rel}"' for rel, n in links
    ]
    return {"Link": ", ".join(parts), "X-Total-Count": str(total)}


def check_range(value: int, lo: int, hi: int, name: str) -> int:
    if not lo <= value <= hi:
        raise bad_request(f"must be between {lo} and {hi}", name)
    return value


__all__ = [
    "parse_uuid", "parse_instance", "parse_instant", "in_range", "check_body_instant", "EARLIEST", "LATEST",
    "parse_status_list", "if_match_revision", "etag",
    "link_after", "page_links", "check_range", "PER_PAGE_MAX", "PER_PAGE_DEFAULT", "ApiError",
]
