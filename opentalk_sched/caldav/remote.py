"""One CalDAV calendar collection, as the push sees it (RFC 4791, RFC 6578).

:class:`Remote` wraps a ``caldav.DAVClient`` (the ``caldav`` library does discovery,
authentication negotiation and XML parsing) and offers the handful of operations the
sync engine needs, each one HTTP request:

* :meth:`Remote.open` — find the calendar collection (principal → calendar-home-set →
  calendars, by display name or last path segment; MKCALENDAR when it is missing),
  or take the URL remembered from an earlier run;
* :meth:`Remote.listing` — what changed on the server: an RFC 6578 ``sync-collection``
  REPORT from the last sync token (the whole collection when there is none or the
  token expired), or a Depth: 1 PROPFIND of ``getetag`` where the server has no
  sync-collection;
* :meth:`Remote.put` / :meth:`Remote.delete` — always conditional: ``If-None-Match: *``
  to create, ``If-Match: <etag>`` to update or delete (RFC 9110 §13.1, RFC 4791 §5.3.2);
* :meth:`Remote.get`, :meth:`Remote.etag_of`, :meth:`Remote.find_uid` — reads used to
  resolve conflicts and adopt resources that are already there.

Every request goes through one retrying client (:mod:`.retry`): connection errors,
5xx and 429 are retried with backoff, then :class:`~.errors.CalDAVUnavailable` is
raised. :attr:`Remote.stats` counts the HTTP requests actually sent, by method.

    >>> remote = Remote("http://127.0.0.1:5232/", ("alice", "secret"), "Work")  # doctest: +SKIP
    >>> remote.open()                                                          # doctest: +SKIP
    'http://127.0.0.1:5232/alice/work/'

Hrefs are absolute, unquoted paths (``/alice/work/<event_id>.ics``), as the caldav
library normalises the ones servers send.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit
from xml.sax.saxutils import escape

from caldav import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as _http

from .errors import CalDAVAuthError, CalDAVError, CalDAVUnavailable, CalendarNotFound
from .retry import RETRY_STATUSES, RetryPolicy, parse_retry_after

#: methods that change the server; the rest only read
WRITE_METHODS = frozenset({"PUT", "DELETE", "MKCALENDAR", "MKCOL", "PROPPATCH", "MOVE", "COPY", "POST"})

_CONNECTION_ERRORS = (
    _http.exceptions.ConnectionError,
    _http.exceptions.Timeout,
    _http.exceptions.ChunkedEncodingError,
)

_VALID_SYNC_TOKEN = "{DAV:}valid-sync-token"
_UID_CONFLICT = {
    "{urn:ietf:params:xml:ns:caldav}no-uid-conflict",
    "{urn:ietf:params:xml:ns:caldav}unique-scheduling-object-resource",
}

_SYNC_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>'
    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
)
_PROPFIND_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>'
)
_UID_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
    '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
    '<C:prop-filter name="UID"><C:text-match collation="i;octet">{uid}</C:text-match></C:prop-filter>'
    "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
)
_XML = {"Content-Type": 'application/xml; charset="utf-8"'}
_ICS = {"Content-Type": "text/calendar; charset=utf-8"}


@dataclass(slots=True)
class Listing:
    """What one listing saw. ``etags``: href → ETag of members that are new or changed
    (every member when ``full``); ``deleted``: hrefs reported gone (RFC 6578 §3.5.2);
    ``token``: the new sync token (``None`` without sync-collection); ``full``: the
    listing names every member, so a known href that is absent is gone; ``method``:
    ``sync-collection`` or ``propfind``."""

    etags: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    token: str | None = None
    full: bool = False
    method: str = "sync-collection"


@dataclass(frozen=True, slots=True)
class Answer:
    """A server's answer to one request: HTTP ``status``, the ``etag`` it sent (or
    ``None``), the precondition elements of a ``DAV:error`` body (Clark notation) and,
    for GET, the body."""

    status: int
    etag: str | None = None
    preconditions: tuple[str, ...] = ()
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def uid_conflict(self) -> bool:
        """The server refused the UID: another resource holds it (RFC 4791 §5.3.2.1)."""
        return any(p in _UID_CONFLICT for p in self.preconditions)


@dataclass(frozen=True, slots=True)
class Found:
    """A resource found by UID: its href, ETag and body."""

    href: str
    etag: str | None
    body: bytes


class _InvalidToken(Exception):
    pass


class _NoSync(Exception):
    pass


class CollectionGone(CalDAVError):
    """The remembered collection URL answers 404 (the calendar was deleted or moved)."""

    code = "calendar_gone"


class RetryingClient(DAVClient):
    """``caldav.DAVClient`` whose every request is retried per a :class:`RetryPolicy`
    and counted in ``stats`` (by HTTP method, requests actually sent)."""

    def __init__(self, *args, retry: RetryPolicy, stats: Counter, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.retry = retry
        self.stats = stats
        #: Basic credentials sent up front (saves the 401 round trip on every run);
        #: dropped for the library's negotiation if the server refuses them
        self.preemptive = self.auth_type == "basic"
        send = self.session.request

        def counted(method, url, *a, **kw):
            stats[str(method).upper()] += 1
            return send(method, url, *a, **kw)

        self.session.request = counted

    def request(self, url, method="GET", body="", headers=None, rate_limit_time_slept=0):
        """Send with retries; raises :class:`CalDAVUnavailable` when they run out and
        :class:`CalDAVAuthError` on 401."""
        attempts = max(1, self.retry.attempts)
        for attempt in range(1, attempts + 1):
            retry_after = None
            try:
                response = super().request(url, method, body, headers)
            except dav_error.RateLimitError as exc:
                failure, retry_after = f"HTTP {exc.status or 429}", exc.retry_after_seconds
            except _CONNECTION_ERRORS as exc:
                failure = f"{type(exc).__name__}: {exc}"
            except dav_error.AuthorizationError as exc:
                if exc.status == 401 and self.preemptive:  # perhaps not Basic: negotiate instead
                    self.preemptive = False
                    self.auth = self.auth_type = None
                    return self.request(url, method, body, headers)
                if exc.status == 401 or exc.status is None:
                    raise CalDAVAuthError(
                        f"{method} {url}: the server refused the credentials", field="credentials", value="401"
                    ) from exc
                raise
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                failure = f"HTTP {response.status}"
                retry_after = parse_retry_after((response.headers or {}).get("Retry-After"))
            if attempt == attempts:
                raise CalDAVUnavailable(
                    f"{method} {url}: {failure} after {attempts} attempt(s)", field="url", value=failure
                )
            self.retry.sleep(self.retry.delay(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover


class Remote:
    """A calendar collection on a CalDAV server.

    ``url``: the server (or principal, or calendar collection) URL; ``credentials``:
    ``(username, password)`` or ``None``; ``calendar``: the calendar's display name or
    last path segment, or ``None`` when ``url`` is the collection itself. ``retry``:
    the :class:`RetryPolicy`; ``timeout``: seconds per request.
    """

    def __init__(
        self,
        url: str,
        credentials: tuple[str, str] | None = None,
        calendar: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.server_url = url
        self.calendar_name = calendar or None
        self.stats: Counter = Counter()
        username, password = credentials if credentials else (None, None)
        self.client = RetryingClient(
            url, username=username, password=password, timeout=timeout, enable_rfc6764=False,
            auth_type="basic" if username is not None else None, retry=retry or RetryPolicy(), stats=self.stats,
        )
        self.collection_url: str | None = None
        #: ``False`` once the server refused sync-collection; listings then use PROPFIND
        self.sync_supported: bool | None = None

    # -- bookkeeping ----------------------------------------------------------------

    @property
    def writes(self) -> int:
        """How many write requests (PUT, DELETE, MKCALENDAR, ...) were sent so far."""
        return sum(n for m, n in self.stats.items() if m in WRITE_METHODS)

    def close(self) -> None:
        self.client.close()

    def href_for(self, name: str) -> str:
        """Absolute unquoted path of a member ``name`` of the collection."""
        assert self.collection_url, "open() first"
        return unquote(urlsplit(self.collection_url).path).rstrip("/") + "/" + name

    def _url(self, href: str) -> str:
        return urljoin(self.collection_url or self.server_url, quote(href, safe="/@:+,;=~!$&'()*"))

    # -- discovery --------------------------------------------------------------------

    def open(self, known_url: str | None = None, *, create: bool = True) -> str | None:
        """Find the calendar collection and return its URL.

        ``known_url`` (remembered from an earlier run) is taken as is, without a
        request. Otherwise: with no calendar name, ``url`` must be a calendar
        collection (one PROPFIND); with a name, the principal's calendars are listed
        and the one whose display name or last path segment equals it is used; a
        missing one is created with MKCALENDAR when ``create``, else ``None`` is
        returned (dry run). Raises :class:`CalendarNotFound`, :class:`CalDAVAuthError`.
        """
        if known_url:
            self.collection_url = known_url
            return known_url
        try:
            if self.calendar_name is None:
                self.collection_url = self._probe_collection(self.server_url)
                return self.collection_url
            principal = self.client.principal()
            for cal in self.client.get_calendars(principal):
                segment = unquote(urlsplit(str(cal.url)).path).rstrip("/").rsplit("/", 1)[-1]
                if self.calendar_name in (cal.get_display_name(), segment):
                    self.collection_url = str(cal.url)
                    return self.collection_url
            if not create:
                return None
            cal = principal.make_calendar(name=self.calendar_name, cal_id=_slug(self.calendar_name))
        except dav_error.AuthorizationError as exc:
            raise CalDAVAuthError(f"{self.server_url}: access refused ({exc.status})", field="credentials",
                                  value=str(exc.status)) from exc
        except dav_error.DAVError as exc:
            raise CalendarNotFound(f"{self.server_url}: calendar {self.calendar_name!r}: {exc}",
                                   field="calendar", value=self.calendar_name) from exc
        self.collection_url = str(cal.url)
        return self.collection_url

    def _probe_collection(self, url: str) -> str:
        response = self.client.propfind(url, _PROPFIND_BODY, depth=0)
        if response.status in (200, 207):
            for result in response.results or response.parse_propfind():
                kinds = result.properties.get("{DAV:}resourcetype") or []
                if "{urn:ietf:params:xml:ns:caldav}calendar" in kinds:
                    return url if url.endswith("/") else url + "/"
        raise CalendarNotFound(
            f"{url} is not a calendar collection (give --calendar NAME to pick or create one)",
            field="url", value=url,
        )

    # -- listing ----------------------------------------------------------------------

    def listing(self, token: str | None) -> Listing:
        """Members changed since ``token`` (RFC 6578), or all of them.

        With ``token`` ``None``, or one the server no longer knows
        (``DAV:valid-sync-token``), the whole collection is listed (``full``). A server
        without sync-collection is listed with a Depth: 1 PROPFIND of getetag every
        time. Raises :class:`CollectionGone` when the collection answers 404.
        """
        if self.sync_supported is not False:
            try:
                return self._sync_collection(token)
            except _InvalidToken:
                return self._sync_collection(None)
            except _NoSync:
                self.sync_supported = False
        return self._propfind_listing()

    def _sync_collection(self, token: str | None) -> Listing:
        listing = Listing(full=not token, method="sync-collection")
        for _page in range(100):  # RFC 6578 §3.6: a truncated reply is continued from its token
            body = _SYNC_BODY.format(token=escape(token or ""))
            try:
                response = self.client.request(self.collection_url, "REPORT", body, {"Depth": "0", **_XML})
            except dav_error.AuthorizationError as exc:
                if _VALID_SYNC_TOKEN in exc.preconditions and token:
                    raise _InvalidToken() from exc
                raise _NoSync() from exc
            if response.status == 404:
                raise CollectionGone(f"{self.collection_url} answers 404", field="url", value=self.collection_url)
            if response.status not in (200, 207):
                if token and _VALID_SYNC_TOKEN in _preconditions(response):
                    raise _InvalidToken()
                raise _NoSync()
            result = response.parse_sync_collection()
            own = self._own_path()
            for item in result.changed:
                if item.href.rstrip("/") != own and not item.href.endswith("/") and item.etag:
                    listing.etags[item.href] = item.etag
                    listing.deleted.discard(item.href)
            for href in result.deleted:
                listing.deleted.add(href)
                listing.etags.pop(href, None)
            new_token = result.sync_token
            more = result.truncated and new_token and new_token != token
            token = new_token or token
            if not more:
                break
        listing.token = token
        self.sync_supported = True
        return listing

    def _propfind_listing(self) -> Listing:
        response = self.client.propfind(self.collection_url, _PROPFIND_BODY, depth=1)
        if response.status == 404:
            raise CollectionGone(f"{self.collection_url} answers 404", field="url", value=self.collection_url)
        if response.status not in (200, 207):
            raise CalDAVError(f"PROPFIND {self.collection_url}: HTTP {response.status}", value=str(response.status))
        listing = Listing(full=True, method="propfind")
        own = self._own_path()
        for result in response.results or response.parse_propfind():
            kinds = result.properties.get("{DAV:}resourcetype") or []
            etag = result.properties.get("{DAV:}getetag")
            if result.href.rstrip("/") == own or "{DAV:}collection" in kinds or not etag:
                continue
            listing.etags[result.href] = etag
        return listing

    def _own_path(self) -> str:
        return unquote(urlsplit(self.collection_url or "").path).rstrip("/")

    # -- resources --------------------------------------------------------------------

    def get(self, href: str) -> Answer:
        """GET one resource: status 200 with ETag and body, or 404."""
        response = self._send("GET", href)
        body = response._raw_body or (response.raw.encode() if response.raw else b"")
        return Answer(response.status, _etag(response), (), body if response.status == 200 else b"")

    def etag_of(self, href: str) -> str | None:
        """The current ETag of one resource (Depth: 0 PROPFIND), ``None`` if it is gone."""
        response = self.client.propfind(self._url(href), _PROPFIND_BODY, depth=0)
        if response.status not in (200, 207):
            return None
        for result in response.results or response.parse_propfind():
            etag = result.properties.get("{DAV:}getetag")
            if etag:
                return etag
        return None

    def put(self, href: str, data: bytes, *, etag: str | None = None, create: bool = False) -> Answer:
        """PUT ``data`` at ``href``: ``create`` sends ``If-None-Match: *``, else
        ``If-Match: etag``. Never unconditional. 412 means the precondition failed."""
        if not create and not etag:
            raise ValueError("an update needs the ETag it replaces")
        headers = dict(_ICS)
        if create:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = etag
        response = self._send("PUT", href, data, headers)
        return Answer(response.status, _etag(response), _preconditions(response))

    def delete(self, href: str, etag: str) -> Answer:
        """DELETE ``href`` with ``If-Match: etag``; 404 means it was gone already."""
        response = self._send("DELETE", href, b"", {"If-Match": etag})
        return Answer(response.status, None, _preconditions(response))

    def find_uid(self, uid: str) -> Found | None:
        """The resource holding ``uid`` in this collection (calendar-query, RFC 4791 §7.8)."""
        response = self.client.request(self.collection_url, "REPORT", _UID_QUERY.format(uid=escape(uid)),
                                       {"Depth": "1", **_XML})
        if response.status not in (200, 207):
            return None
        for result in response.parse_calendar_query():
            if result.calendar_data:
                return Found(result.href, result.etag, result.calendar_data.encode())
        return None

    def _send(self, method: str, href: str, body: bytes = b"", headers: dict | None = None):
        try:
            return self.client.request(self._url(href), method, body, headers)
        except dav_error.AuthorizationError as exc:  # 403: an answer about this resource
            return _Refused(exc)


class _Refused:
    """A 403 the caldav client raised instead of returning, as a response-like value."""

    def __init__(self, exc: dav_error.AuthorizationError) -> None:
        self.status = exc.status or 403
        self.headers = {}
        self.preconditions = tuple(exc.preconditions)
        self.raw = ""
        self._raw_body = b""


def _etag(response) -> str | None:
    headers = response.headers or {}
    return headers.get("ETag") or headers.get("etag")


def _preconditions(response) -> tuple[str, ...]:
    if isinstance(response, _Refused):
        return response.preconditions
    if response.status < 400:
        return ()
    try:
        return tuple(dav_error.parse_preconditions(response._raw_body or response.raw))
    except Exception:  # a body that is not a DAV:error document
        return ()


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower()
    return slug or "calendar"
