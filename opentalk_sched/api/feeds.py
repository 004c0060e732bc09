"""Calendar feeds over HTTP (SPEC §3 Feeds): the caller's calendar as one iCalendar file,
one event as a file, and a secret feed URL for calendar clients that cannot send tokens.

==============================================  =========  ======================================
route                                           success    notes
==============================================  =========  ======================================
``GET /v1/users/me/calendar.ics``               200 / 304  Bearer; every event the caller created
                                                           or is invited to (declined ones with
                                                           their PARTSTAT)
``GET /v1/events/{event_id}/ics``               200 / 304  Bearer; GET /v1/events/{id} rules
                                                           (invisible → 404)
``GET /v1/users/me/calendar_feed``              200        ``{created_at}`` of the feed URL; 404
                                                           without one
``POST /v1/users/me/calendar_feed``             201        ``{url, token, created_at}``: a new
                                                           secret URL; an older one stops working
``DELETE /v1/users/me/calendar_feed``           204        revoke; 404 without one
``GET /v1/feeds/{token}.ics``                   200 / 304  no Bearer: the token is the secret;
                                                           unknown / rotated / revoked → 404
==============================================  =========  ======================================

Calendar answers are ``text/calendar; charset=utf-8`` written by
:func:`~opentalk_sched.ical.export.export_calendar` (one VTIMEZONE per zone, time-independent
events left out: they have no dates), with ``ETag`` (a SHA-256 of the bytes; the export
writes DTSTAMP as the feed's last change, so equal state gives equal bytes) and
``Cache-Control: private, no-cache``. ``If-None-Match`` with that ETag (or ``*``) answers
304 without a body. Each process remembers the ETag of the last feed versions it wrote
(:attr:`~opentalk_sched.service.feeds.Feed.version`, a digest of what the file is written
from), so a client polling an unchanged feed gets its 304 without the file being written
again (for 10,000 events: reading them ~0.4 s CPU, writing the file another ~3 s). The
rules (scope, visibility, tokens) are the service's (:mod:`opentalk_sched.service.feeds`).

    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/users/me/calendar.ics
    curl -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/users/me/calendar_feed
    # → {"url": "http://127.0.0.1:8080/v1/feeds/3q…Yw.ics", ...}: subscribe to it in any client
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from ..ical.export import export_calendar
from ..service.feeds import Feed
from . import render
from .context import Caller, ServiceDep
from .errors import not_found
from .params import parse_uuid
from .responses import ERRORS, NO_CONTENT

log = logging.getLogger("opentalk_sched.api")

router = APIRouter(tags=["feeds"])

#: the content type of every calendar answer (RFC 5545 §8.1)
CALENDAR_TYPE = "text/calendar; charset=utf-8"


class FeedUrl(BaseModel):
    """A new secret feed URL (shown once: only a digest of the token is stored)."""

    url: str = Field(description="the feed to subscribe to: /v1/feeds/{token}.ics, no Bearer needed")
    token: str = Field(description="the secret part of the URL")
    created_at: str = Field(description="RFC 3339, UTC")


class FeedInfo(BaseModel):
    """The caller's current feed URL (its token cannot be shown again)."""

    created_at: str = Field(description="when the current feed URL was issued, RFC 3339, UTC")


_HEADERS = {
    "ETag": {"description": "SHA-256 of the body, quoted", "schema": {"type": "string"}},
    "Cache-Control": {"description": "private, no-cache", "schema": {"type": "string"}},
}
#: ``responses=`` of the calendar routes
CALENDAR_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    200: {"description": "the iCalendar file (RFC 5545)", "headers": _HEADERS,
          "content": {"text/calendar": {"schema": {"type": "string"}}}},
    304: {"description": "If-None-Match matched the ETag: unchanged, no body", "headers": _HEADERS},
}
IfNoneMatch = Annotated[str | None, Header(description="an ETag of an earlier answer: 304 while unchanged")]


def etag_of(data: bytes) -> str:
    """The ETag of a calendar answer: the first 128 bits of SHA-256 of the bytes, hex, quoted."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` value (a list of ETags, weak or strong, or ``*``)
    names ``tag`` (RFC 9110 §13.1.2: weak comparison)."""
    if not if_none_match:
        return False
    for part in if_none_match.split(","):
        value = part.strip()
        if value == "*":
            return True
        if value.startswith("W/"):
            value = value[2:]
        if value == tag:
            return True
    return False


class EtagMemory:
    """Feed version → the ETag of the file written from it (LRU, at most ``size``)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str) -> str | None:
        with self._lock:
            tag = self._items.get(version)
            if tag is not None:
                self._items.move_to_end(version)
            return tag

    def put(self, version: str, tag: str) -> None:
        with self._lock:
            self._items[version] = tag
            self._items.move_to_end(version)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


#: the ETags this process wrote, by feed version
ETAGS = EtagMemory()


def calendar_response(feed: Feed, if_none_match: str | None) -> Response:
    """The feed as ``text/calendar`` with ETag, or 304 when ``If-None-Match`` names it
    (answered from :data:`ETAGS` without writing the file when the version is known)."""
    headers = {"Cache-Control": "private, no-cache"}
    known = ETAGS.get(feed.version) if feed.version else None
    if known is not None and if_none_match and matches(if_none_match, known):
        return Response(status_code=304, headers={**headers, "ETag": known})
    result = export_calendar(feed.items, now=feed.stamp, name=feed.name)
    for err in result.errors:  # stored series the engine cannot write: left out, logged
        log.warning("calendar feed of %s: series %s left out: %s", feed.owner, err.uid, err)
    tag = etag_of(result.data)
    if feed.version:
        ETAGS.put(feed.version, tag)
    headers["ETag"] = tag
    if matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(result.data, media_type=CALENDAR_TYPE, headers=headers)


@router.get(
    "/users/me/calendar.ics", response_class=Response, response_model=None, responses=CALENDAR_RESPONSES,
    summary="The caller's calendar as iCalendar (every event created or invited to)",
)
def my_calendar(caller: Caller, service: ServiceDep, if_none_match: IfNoneMatch = None) -> Response:
    return calendar_response(service.calendar_feed(caller), if_none_match)


@router.get(
    "/events/{event_id}/ics", response_class=Response, response_model=None, responses=CALENDAR_RESPONSES,
    summary="One event as iCalendar (the series with its exceptions)",
)
def event_calendar(event_id: str, caller: Caller, service: ServiceDep, if_none_match: IfNoneMatch = None) -> Response:
    return calendar_response(service.event_feed(caller, parse_uuid(event_id)), if_none_match)


@router.get(
    "/users/me/calendar_feed", response_model=FeedInfo, responses=ERRORS,
    summary="Whether the caller has a secret feed URL, and since when",
)
def feed_info(caller: Caller, service: ServiceDep) -> Response:
    created = service.feed_token_created(caller)
    if created is None:
        raise not_found("calendar feed")
    return render.json_response({"created_at": _stamp(created)})


@router.post(
    "/users/me/calendar_feed", status_code=201, response_model=FeedUrl, responses=ERRORS,
    summary="Create (or rotate) the caller's secret feed URL",
)
def create_feed(request: Request, caller: Caller, service: ServiceDep) -> Response:
    issued = service.issue_feed_token(caller)
    url = str(request.url_for("token_feed", token=issued.token))
    body = {"url": url, "token": issued.token, "created_at": _stamp(issued.created_at)}
    return render.json_response(body, 201, {"Cache-Control": "no-store"})


@router.delete(
    "/users/me/calendar_feed", status_code=204, responses={**ERRORS, **NO_CONTENT},
    summary="Revoke the caller's secret feed URL",
)
def revoke_feed(caller: Caller, service: ServiceDep) -> Response:
    service.revoke_feed_token(caller)
    return Response(status_code=204)


@router.get(
    "/feeds/{token}.ics", name="token_feed", response_class=Response, response_model=None, responses=CALENDAR_RESPONSES,
    summary="A user's calendar through their secret feed URL (no Bearer)",
)
def token_feed(token: str, service: ServiceDep, if_none_match: IfNoneMatch = None) -> Response:
    return calendar_response(service.feed_by_token(token), if_none_match)


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


__all__ = ["router", "calendar_response", "etag_of", "matches", "CALENDAR_TYPE"]
