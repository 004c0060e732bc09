"""A Timeline is a set of events on a calendar, queried as one merged stream of instances.

    >>> tl = Timeline(events)                                # doctest: +SKIP
    >>> for inst in tl.overlapping(date(2025, 1, 1), date(2025, 2, 1)):   # doctest: +SKIP
    ...     print(inst.uid, inst.instance_id, inst.start)

Same vocabulary as :class:`~opentalk_sched.core.series.Series` (``overlapping``,
``after``, ``before``, iteration), merged in start order, ties broken by event id.
Time-independent events have no instances and are left out. Each event is compiled
once, when the timeline is built.
"""

from __future__ import annotations

from datetime import tzinfo
from heapq import merge
from typing import Iterable, Iterator

from .model import UTC, Event
from .series import Instance, Series


def _order(inst: Instance):
    s = inst.series
    key = inst.start_key
    return (key, str(s.event.id))


class Timeline:
    """Instances of many events. ``events``: any iterable of :class:`Event`."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.series: list[Series] = [Series(e) for e in events if e.timing is not None]

    def overlapping(self, start, end, tz: tzinfo | None = None, include_cancelled: bool = False) -> list[Instance]:
        """Every instance overlapping [start, end) (RFC 4791 §9.9), by start then event id.

        Floating series are placed on the time line by reading their wall time in ``tz``
        (UTC by default) for ordering only.
        """
        out: list[Instance] = []
        for s in self.series:
            out.extend(s.overlapping(start, end, tz, include_cancelled))
        out.sort(key=lambda i: sort_key(i, tz))
        return out

    def __iter__(self) -> Iterator[Instance]:
        return merge(*(iter(s) for s in self.series), key=lambda i: sort_key(i, None))

    def after(self, instant, tz: tzinfo | None = None) -> Instance | None:
        found = [i for i in (s.after(instant, tz) for s in self.series) if i is not None]
        return min(found, key=lambda i: sort_key(i, tz), default=None)

    def before(self, instant, tz: tzinfo | None = None) -> Instance | None:
        found = [i for i in (s.before(instant, tz) for s in self.series) if i is not None]
        return max(found, key=lambda i: sort_key(i, tz), default=None)


def sort_key(inst: Instance, tz: tzinfo | None = None):
    """(UTC start, event id) for ordering instances of different series."""
    s = inst.series
    key = inst.start_key
    if s.floating:
        from .zones import to_utc

        key = to_utc(key, tz or UTC)
    return (key, str(s.event.id))
