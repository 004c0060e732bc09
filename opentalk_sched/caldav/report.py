"""What a push did: :class:`SyncReport`, with its :class:`Conflict` and :class:`ItemError` entries.

    >>> r = SyncReport(calendar_url="http://127.0.0.1:5232/alice/work/")
    >>> r.created.append("e1")
    >>> r.summary()
    'created 1, updated 0, deleted 0, unchanged 0, adopted 0, conflicts 0, errors 0'

Lists hold event ids (strings). ``requests`` counts the HTTP requests sent, by method;
``writes`` is the number of PUT/DELETE/MKCALENDAR/PROPPATCH among them, so a run with
nothing to do has ``writes == 0``.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

#: conflict kinds
BOTH_CHANGED = "both_changed"            # we changed it, and so did someone on the server
REMOTE_CHANGED = "remote_changed"        # only the server copy changed since our push
REMOTE_DELETED = "remote_deleted"        # the server copy was deleted, ours still exists
DELETED_HERE_CHANGED_THERE = "deleted_here_changed_there"  # we deleted it, the server copy changed
RESOURCE_EXISTS = "resource_exists"      # first push, but the href already holds something else
UID_TAKEN = "uid_taken"                  # first push, but another resource holds the UID

#: resolutions
LEFT = "left"        # policy report: both copies left as they are
OURS = "ours"        # our copy written over the server's (If-Match on the server's ETag)
THEIRS = "theirs"    # the server's copy kept and recorded as synced
FAILED = "failed"    # the resolution itself met another change; left for the next run


@dataclass(slots=True)
class Conflict:
    """A resource changed on both sides (or on the server only) since the last push.

    ``ours``: the bytes we would push (``None`` when we deleted the event);
    ``theirs``: the server's copy (``None`` when it was deleted there); ``etag``: the
    server copy's ETag when it was read; ``resolution``: what the policy did.
    """

    event_id: str
    uid: str
    href: str
    kind: str
    resolution: str
    ours: bytes | None = None
    theirs: bytes | None = None
    etag: str | None = None

    def diff(self, limit: int = 40) -> list[str]:
        """A unified diff server copy → our copy, at most ``limit`` lines, over
        :func:`.content.readable_lines` (property order and folding do not show)."""
        from .content import readable_lines

        a = readable_lines(self.theirs) if self.theirs is not None else []
        b = readable_lines(self.ours) if self.ours is not None else []
        lines = list(difflib.unified_diff(a, b, "server", "ours", lineterm="", n=1))
        return lines[:limit] + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else [])


@dataclass(frozen=True, slots=True)
class ItemError:
    """One resource the server refused (e.g. 403, 415, 507): the run went on without it."""

    event_id: str
    href: str
    status: int
    message: str


@dataclass(slots=True)
class SyncReport:
    """The outcome of :func:`opentalk_sched.caldav.sync_to_caldav`.

    ``created``/``updated``/``deleted``/``adopted``: event ids (``adopted``: already
    on the server with the same content, recorded without a write); ``unchanged``:
    how many needed nothing; ``conflicts``, ``errors``: see their classes;
    ``listing``: ``sync-collection`` or ``propfind``; ``dry_run``: nothing was written
    (the lists say what would have been).
    """

    calendar_url: str | None = None
    policy: str = "report"
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    listing: str | None = None
    requests: Counter = field(default_factory=Counter)

    @property
    def writes(self) -> int:
        """Write requests sent (PUT, DELETE, MKCALENDAR, MKCOL, PROPPATCH, ...)."""
        from .remote import WRITE_METHODS

        return sum(n for m, n in self.requests.items() if m in WRITE_METHODS)

    @property
    def ok(self) -> bool:
        """No conflict left open and no error."""
        return not self.errors and all(c.resolution in (OURS, THEIRS) for c in self.conflicts)

    def summary(self) -> str:
        """One line: created / updated / deleted / unchanged / adopted / conflicts / errors."""
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, deleted {len(self.deleted)}, "
            f"unchanged {self.unchanged}, adopted {len(self.adopted)}, conflicts {len(self.conflicts)}, "
            f"errors {len(self.errors)}"
        )
