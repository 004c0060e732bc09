"""The push: make one CalDAV calendar hold a user's events, one resource per series.

    >>> report = push(source, remote, state, target, policy="report")   # doctest: +SKIP
    >>> report.summary()                                                 # doctest: +SKIP
    'created 12, updated 0, deleted 0, unchanged 0, adopted 0, conflicts 0, errors 0'

One run (RFC 4791 §5.3.2, RFC 6578):

1. **Find the collection** (remembered after the first run, so later runs skip discovery).
2. **List what changed on the server** since the last run: a ``sync-collection``
   REPORT from the stored token (a Depth: 1 PROPFIND where the server has none). The
   ETags seen are written to the state rows *before* anything else, so a run that dies
   later does not forget a remote change.
3. **Each local event** (``<event_id>.ics``): its export is hashed without DTSTAMP
   (:func:`.content.content_hash`). Same revision and hash as pushed and no remote
   change → nothing is sent. New → PUT ``If-None-Match: *``. Changed → PUT
   ``If-Match: <stored ETag>``. Every write's new ETag is committed at once.
4. **Each pushed event that is gone locally** → DELETE ``If-Match: <stored ETag>``; 404
   means it is gone already, which is what we wanted.
5. If anything was written, one more sync-collection moves the token past our own
   writes, so the next run with nothing to do lists nothing.

Conflicts — a 412 on a conditional write, or a listing showing that the server copy
changed since our push — are never overwritten blindly. The server copy is fetched and
compared with ours by content (:func:`.content.same_content`, ignoring DTSTAMP,
LAST-MODIFIED, PRODID): the same content is *adopted* (its ETag recorded, nothing
written); different content is a :class:`~.report.Conflict` carrying both versions,
resolved by ``policy``:

``report`` (default)
    both copies left as they are, the conflict reported on every run until it goes away;
``ours``
    our copy written with ``If-Match`` on the ETag just fetched (a server copy that
    changes again in between makes it fail, never overwrite);
``theirs``
    the server copy kept and its ETag recorded as synced (pushed again only when the
    event changes here).

A run killed at any point and started again finishes the job without duplicates: the
resource name is the event id, creates are ``If-None-Match: *``, and a write whose
state commit was lost is found again (412 → same content → adopted).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Callable

from .content import content_hash, same_content
from .errors import CalDAVError, InvalidPolicy
from .remote import Answer, CollectionGone, Listing, Remote
from .report import (
    BOTH_CHANGED, DELETED_HERE_CHANGED_THERE, FAILED, LEFT, OURS, REMOTE_CHANGED, REMOTE_DELETED,
    RESOURCE_EXISTS, THEIRS, UID_TAKEN, Conflict, ItemError, SyncReport,
)
from .source import SourceItem, SyncSource
from .state import CONFLICT, DROPPED, SYNCED, ItemState, SyncState, Target

#: the conflict policies
POLICIES = ("report", "ours", "theirs")

Progress = Callable[[int, int], None]


def push(
    source: SyncSource,
    remote: Remote,
    state: SyncState,
    target: Target,
    *,
    policy: str = "report",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Push every item of ``source`` to ``remote`` and delete what is gone (module docstring).

    ``progress(done, total)`` is called after each item. With ``dry_run`` nothing is
    written (neither to the server nor to the state); the report says what would be
    done, and conflicts that are visible without writing are listed. Raises
    :class:`InvalidPolicy`, and the run-stopping errors of :mod:`.errors`; refusals of
    single resources are listed in :attr:`SyncReport.errors`.
    """
    if policy not in POLICIES:
        raise InvalidPolicy(f"policy must be one of {', '.join(POLICIES)}", field="policy", value=policy)
    before = Counter(remote.stats)
    job = _Job(source, remote, state, target, policy, dry_run, progress)
    try:
        job.run()
    finally:
        job.report.requests.update(Counter(remote.stats) - before)
    return job.report


class _Job:
    def __init__(self, source, remote: Remote, state: SyncState, target: Target, policy, dry_run, progress):
        self.source = source
        self.remote = remote
        self.state = state
        self.target = target
        self.policy = policy
        self.dry_run = dry_run
        self.progress = progress
        self.report = SyncReport(policy=policy, dry_run=dry_run)
        self.rows: dict[str, ItemState] = {}
        self.by_href: dict[str, ItemState] = {}
        self.foreign: dict[str, str] = {}  # href → ETag of listed members that are not ours
        self.writes_before = remote.writes

    # -- the run ----------------------------------------------------------------------

    def run(self) -> None:
        items = list(self.source.items())
        collection = self.remote.open(self.target.collection_url, create=not self.dry_run)
        self.report.calendar_url = collection
        if collection is None:  # dry run against a calendar that does not exist yet
            self.report.created.extend(i.event_id for i in items)
            return
        self.rows = self.state.items(self.target.id)
        self.by_href = {r.href: r for r in self.rows.values()}
        self._absorb(self._listing())
        failed = dict(getattr(self.source, "failed", None) or {})
        for event_id, message in failed.items():
            row = self.rows.get(event_id)
            self._error(event_id, row.href if row else f"{event_id}.ics", 0, f"not exported: {message}")
        wanted = {i.event_id for i in items} | set(failed)
        gone = [r for r in self.rows.values() if r.event_id not in wanted]
        total, done = len(items) + len(gone), 0
        for item in items:
            self._item(item)
            done += 1
            if self.progress:
                self.progress(done, total)
        for row in gone:
            self._remove(row)
            done += 1
            if self.progress:
                self.progress(done, total)
        if not self.dry_run and self.remote.writes > self.writes_before and self.remote.sync_supported:
            self._absorb(self.remote.listing(self.target.sync_token))

    def _listing(self) -> Listing:
        try:
            listing = self.remote.listing(self.target.sync_token)
        except CollectionGone:
            if not self.target.collection_url:
                raise
            # the remembered collection went away: find (or make) it again, list it all
            self.target = self.target.replace(collection_url=None, sync_token=None)
            collection = self.remote.open(None, create=not self.dry_run)
            if collection is None:
                return Listing(full=True)
            self.report.calendar_url = collection
            listing = self.remote.listing(None)
        self.report.listing = listing.method
        return listing

    def _absorb(self, listing: Listing) -> None:
        """Record what the server listing says about our resources (before acting on it)."""
        changed: list[ItemState] = []
        for href, etag in listing.etags.items():
            row = self.by_href.get(href)
            if row is None:
                self.foreign[href] = etag
                continue
            seen = None if etag == row.etag else etag
            if seen != row.remote_etag or row.remote_gone:
                changed.append(row.replace(remote_etag=seen, remote_gone=False))
        gone = set(listing.deleted)
        if listing.full:
            gone |= {h for h in self.by_href if h not in listing.etags}
        for href in gone:
            self.foreign.pop(href, None)
            row = self.by_href.get(href)
            if row is not None and not row.remote_gone:
                changed.append(row.replace(remote_etag=None, remote_gone=True))
        for row in changed:
            self._keep(row)
        self.target = self.target.replace(collection_url=self.remote.collection_url, sync_token=listing.token)
        if not self.dry_run:
            self.state.save_items(changed, target=self.target)

    # -- one local event ------------------------------------------------------------------

    def _item(self, item: SourceItem) -> None:
        digest = content_hash(item.data)
        row = self.rows.get(item.event_id)
        try:
            if row is None:
                self._create(item, digest, self.remote.href_for(item.href_name))
            elif row.status == DROPPED:  # the server's deletion was accepted earlier
                if row.remote_etag is not None:  # something is at the href again
                    self._existing(item, digest, row.href)
                elif _same_version(row, item, digest):
                    self.report.unchanged += 1
                else:  # changed here since: push it again
                    self._create(item, digest, row.href)
            elif row.status == CONFLICT and row.etag is None:
                self._existing(item, digest, row.href)
            elif row.remote_gone:
                self._remote_deleted(item, digest, row)
            elif row.status == CONFLICT or row.remote_changed:
                changed_here = not _same_version(row, item, digest)
                self._conflict(item, digest, row, BOTH_CHANGED if changed_here else REMOTE_CHANGED)
            elif _same_version(row, item, digest):
                self.report.unchanged += 1
            else:
                self._update(item, digest, row)
        except CalDAVError as err:
            if err.code in ("caldav_unavailable", "caldav_unauthorized"):
                raise
            self._error(item.event_id, row.href if row else item.href_name, 0, str(err))

    def _create(self, item: SourceItem, digest: str, href: str) -> None:
        if href in self.foreign:  # listed on the server already: look before writing
            self._existing(item, digest, href)
            return
        if self.dry_run:
            self.report.created.append(item.event_id)
            return
        answer = self.remote.put(href, item.data, create=True)
        if answer.ok:
            self._record(item, digest, href, answer.etag)
            self.report.created.append(item.event_id)
        elif answer.uid_conflict or answer.status == 409:
            self._uid_taken(item, digest, href)
        elif answer.status == 412:
            self._existing(item, digest, href)
        else:
            self._refused(item.event_id, href, "PUT", answer)

    def _update(self, item: SourceItem, digest: str, row: ItemState) -> None:
        if self.dry_run:
            self.report.updated.append(item.event_id)
            return
        answer = self.remote.put(row.href, item.data, etag=row.etag)
        if answer.ok:
            self._record(item, digest, row.href, answer.etag)
            self.report.updated.append(item.event_id)
        elif answer.status == 412:
            self._conflict(item, digest, row, BOTH_CHANGED)
        elif answer.status == 404:
            self._remote_deleted(item, digest, row)
        else:
            self._refused(item.event_id, row.href, "PUT", answer)

    def _existing(self, item: SourceItem, digest: str, href: str) -> None:
        """Something is at ``href`` and we have no synced copy there: adopt or conflict."""
        got = self.remote.get(href)
        if got.status == 404:
            self.foreign.pop(href, None)
            if self.dry_run:
                self.report.created.append(item.event_id)
                return
            answer = self.remote.put(href, item.data, create=True)
            if answer.ok:
                self._record(item, digest, href, answer.etag)
                self.report.created.append(item.event_id)
            else:
                self._refused(item.event_id, href, "PUT", answer)
            return
        if not got.ok:
            self._refused(item.event_id, href, "GET", got)
            return
        if same_content(item.data, got.body):
            self._adopt(item, digest, href, got.etag)
            return
        self._resolve(Conflict(item.event_id, item.uid, href, RESOURCE_EXISTS, LEFT, item.data, got.body, got.etag),
                      item, digest)

    def _uid_taken(self, item: SourceItem, digest: str, href: str) -> None:
        """The server has the UID in another resource (RFC 4791 §5.3.2.1 no-uid-conflict)."""
        found = self.remote.find_uid(item.uid)
        if found is None:
            self._error(item.event_id, href, 409, f"the server reports UID {item.uid!r} as taken but no resource holds it")
            return
        if same_content(item.data, found.body):
            self._adopt(item, digest, found.href, found.etag)
            return
        self._resolve(Conflict(item.event_id, item.uid, found.href, UID_TAKEN, LEFT, item.data, found.body, found.etag),
                      item, digest)

    def _conflict(self, item: SourceItem, digest: str, row: ItemState, kind: str) -> None:
        """The server copy changed since our push (listing or 412)."""
        got = self.remote.get(row.href)
        if got.status == 404:
            self._remote_deleted(item, digest, row)
            return
        if not got.ok:
            self._refused(item.event_id, row.href, "GET", got)
            return
        if same_content(item.data, got.body):
            self._adopt(item, digest, row.href, got.etag)
            return
        self._resolve(Conflict(item.event_id, item.uid, row.href, kind, LEFT, item.data, got.body, got.etag),
                      item, digest, row=row)

    def _remote_deleted(self, item: SourceItem, digest: str, row: ItemState) -> None:
        conflict = Conflict(item.event_id, item.uid, row.href, REMOTE_DELETED, LEFT, item.data, None, None)
        self._resolve(conflict, item, digest, row=row)

    def _resolve(self, conflict: Conflict, item: SourceItem, digest: str, *, row: ItemState | None = None) -> None:
        """Apply the policy to a conflict and report it."""
        self.report.conflicts.append(conflict)
        href = conflict.href
        if self.dry_run:
            conflict.resolution = {"report": LEFT, "ours": OURS, "theirs": THEIRS}[self.policy]
            return
        if self.policy == "report":
            base = row or ItemState(self.target.id, item.event_id, href, None, item.revision, digest)
            self._save(base.replace(href=href, status=CONFLICT, remote_etag=conflict.etag,
                                    remote_gone=conflict.theirs is None))
            return
        if self.policy == "theirs":
            conflict.resolution = THEIRS
            if conflict.theirs is None:  # accept the deletion
                self._save(ItemState(self.target.id, item.event_id, href, None, item.revision, digest,
                                     status=DROPPED, remote_gone=True, pushed_at=_now()))
            else:
                self._save(ItemState(self.target.id, item.event_id, href, conflict.etag, item.revision, digest,
                                     status=SYNCED, pushed_at=_now()))
            return
        # ours: write over the copy we just read, conditionally on its ETag
        if conflict.theirs is None:
            answer = self.remote.put(href, item.data, create=True)
        else:
            answer = self.remote.put(href, item.data, etag=conflict.etag)
        if answer.ok:
            conflict.resolution = OURS
            self._record(item, digest, href, answer.etag)
        else:
            conflict.resolution = FAILED
            base = row or ItemState(self.target.id, item.event_id, href, None, item.revision, digest)
            self._save(base.replace(href=href, status=CONFLICT, remote_etag=conflict.etag))
            if answer.status not in (404, 412):
                self._refused(item.event_id, href, "PUT", answer)

    # -- one event gone here ------------------------------------------------------------

    def _remove(self, row: ItemState) -> None:
        try:
            if row.etag is None or row.status == DROPPED:
                self._forget(row)  # nothing of ours on the server
            elif row.remote_gone:
                self._forget(row)
                self.report.deleted.append(row.event_id)
            elif row.status == CONFLICT or row.remote_changed:
                self._delete_changed(row)
            elif self.dry_run:
                self.report.deleted.append(row.event_id)
            else:
                answer = self.remote.delete(row.href, row.etag)
                if answer.ok or answer.status == 404:
                    self._forget(row)
                    self.report.deleted.append(row.event_id)
                elif answer.status == 412:
                    self._delete_changed(row)
                else:
                    self._refused(row.event_id, row.href, "DELETE", answer)
        except CalDAVError as err:
            if err.code in ("caldav_unavailable", "caldav_unauthorized"):
                raise
            self._error(row.event_id, row.href, 0, str(err))

    def _delete_changed(self, row: ItemState) -> None:
        """Deleted here, changed on the server since our push."""
        got = self.remote.get(row.href)
        if got.status == 404:
            self._forget(row)
            self.report.deleted.append(row.event_id)
            return
        conflict = Conflict(row.event_id, "", row.href, DELETED_HERE_CHANGED_THERE, LEFT, None, got.body, got.etag)
        self.report.conflicts.append(conflict)
        if self.dry_run:
            conflict.resolution = {"report": LEFT, "ours": OURS, "theirs": THEIRS}[self.policy]
        elif self.policy == "report":
            self._save(row.replace(status=CONFLICT, remote_etag=got.etag))
        elif self.policy == "theirs":
            conflict.resolution = THEIRS
            self._forget(row)  # the server copy stays; it is no longer ours
        else:
            answer = self.remote.delete(row.href, got.etag)
            if answer.ok or answer.status == 404:
                conflict.resolution = OURS
                self._forget(row)
                self.report.deleted.append(row.event_id)
            else:
                conflict.resolution = FAILED
                self._save(row.replace(status=CONFLICT, remote_etag=got.etag))

    # -- state --------------------------------------------------------------------------

    def _record(self, item: SourceItem, digest: str, href: str, etag: str | None) -> None:
        """A write succeeded: remember its ETag (asked for when the server sent none)."""
        self.foreign.pop(href, None)
        if etag is None:
            etag = self.remote.etag_of(href)
        if etag is None:
            self._save(ItemState(self.target.id, item.event_id, href, None, item.revision, digest, status=CONFLICT))
            raise CalDAVError(f"{href}: the server sent no ETag and PROPFIND found none", field="etag")
        self._save(ItemState(self.target.id, item.event_id, href, etag, item.revision, digest,
                             status=SYNCED, pushed_at=_now()))

    def _adopt(self, item: SourceItem, digest: str, href: str, etag: str | None) -> None:
        self.foreign.pop(href, None)
        self.report.adopted.append(item.event_id)
        if self.dry_run:
            return
        if etag is None:
            etag = self.remote.etag_of(href)
        self._save(ItemState(self.target.id, item.event_id, href, etag, item.revision, digest,
                             status=SYNCED if etag else CONFLICT, pushed_at=_now()))

    def _keep(self, row: ItemState) -> None:
        old = self.rows.get(row.event_id)
        if old is not None and old.href != row.href:
            self.by_href.pop(old.href, None)
        self.rows[row.event_id] = row
        self.by_href[row.href] = row

    def _save(self, row: ItemState) -> None:
        self._keep(row)
        if not self.dry_run:
            self.state.save_item(row)

    def _forget(self, row: ItemState) -> None:
        self.rows.pop(row.event_id, None)
        self.by_href.pop(row.href, None)
        if not self.dry_run:
            self.state.delete_item(row.target_id, row.event_id)

    def _refused(self, event_id: str, href: str, method: str, answer: Answer) -> None:
        self._error(event_id, href, answer.status, f"{method} {href}: HTTP {answer.status}")

    def _error(self, event_id: str, href: str, status: int, message: str) -> None:
        self.report.errors.append(ItemError(event_id, href, status, message))


def _same_version(row: ItemState, item: SourceItem, digest: str) -> bool:
    return row.revision == item.revision and row.content_hash == digest


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sync_to_caldav(
    store,
    user,
    url: str,
    credentials: tuple[str, str] | None,
    calendar: str | None = None,
    policy: str = "report",
    dry_run: bool = False,
    progress: Progress | None = None,
    *,
    retry=None,
    timeout: float = 30.0,
    source: SyncSource | None = None,
    state: SyncState | None = None,
    remote: Remote | None = None,
) -> SyncReport:
    """Push ``user``'s events from ``store`` to a CalDAV calendar (SPEC §3, RFC 4791, RFC 6578).

    ``user``: email, id or :class:`~opentalk_sched.store.User`. ``url``: the server,
    principal or calendar collection URL; ``credentials``: ``(username, password)`` or
    ``None``; ``calendar``: display name (or last path segment) of the calendar, created
    when missing; ``None`` when ``url`` is the collection itself. ``policy``:
    ``report`` | ``ours`` | ``theirs`` (see :mod:`.engine`). ``progress(done, total)``.

    ``retry`` (:class:`~.retry.RetryPolicy`) and ``timeout`` (seconds per request) tune
    the HTTP side; ``source``, ``state`` and ``remote`` replace the defaults (the store's
    events through :class:`~.source.StoreSource`, the caldav_* tables in the store's
    database (SQLite or PostgreSQL), a :class:`~.remote.Remote` built from ``url``/``credentials``/
    ``calendar``). Returns the :class:`~.report.SyncReport`; raises
    :class:`~.errors.CalDAVUnavailable`, :class:`~.errors.CalDAVAuthError`,
    :class:`~.errors.CalendarNotFound`, :class:`~.errors.InvalidPolicy`.
    """
    from .source import StoreSource

    if policy not in POLICIES:
        raise InvalidPolicy(f"policy must be one of {', '.join(POLICIES)}", field="policy", value=policy)
    if source is None:
        source = StoreSource(store, user)
    if state is None:
        state = SyncState.for_store(store)
    owner = getattr(getattr(source, "user", None), "email", None) or str(user)
    own_remote = remote is None
    if remote is None:
        remote = Remote(url, credentials, calendar, retry=retry, timeout=timeout)
    target = state.target(owner, url, calendar)
    try:
        return push(source, remote, state, target, policy=policy, dry_run=dry_run, progress=progress)
    finally:
        if own_remote:
            remote.close()
