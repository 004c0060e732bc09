"""A Timeline is a set of events on a calendar, queried as one merged stream of instances.

    >>> from datetime import date, datetime
    >>> from opentalk_sched.core import Event, Timing, RecurrenceSet
    >>> tl = Timeline([
    ...     Event.new("Daily", Timing(datetime(2025, 1, 1, 9), datetime(2025, 1, 1, 10), None,
    ...               RecurrenceSet.from_lines(["FREQ=DAILY;COUNT=3"]))),
    ...     Event.new("Holiday", Timing(date(2025, 1, 2), date(2025, 1, 3))),
    ... ])
    >>> [(i.title, str(i.start)) for i in tl.overlapping(date(2025, 1, 2), date(2025, 1, 3))]
    [('Holiday', '2025-01-02'), ('Daily', '2025-01-02 09:00:00')]

Same vocabulary as :class:`~opentalk_sched.core.series.Series` (``overlapping``,
``after``, ``before``, iteration), merged in start order, ties broken by event id.
Time-independent events have no instances and are left out. Each event is compiled
once, when the timeline is built, and indexed by its span so that a window query only
visits the series that can have an instance in it.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta, tzinfo
from heapq import merge
from operator import attrgetter
from typing import Iterable, Iterator

from .model import UTC, Event
from .series import Instance, Series
from .zones import to_utc

#: span classes: series whose whole span fits in a class's length are found by a
#: bisect on their first start; longer or unbounded ones are always visited
_CLASSES = (timedelta(days=2), timedelta(days=35), timedelta(days=400))
_FLOAT_SLACK = timedelta(hours=27)  # a floating series' keys are wall times: widen by any offset


class Timeline:
    """Instances of many events. ``events``: any iterable of :class:`Event`.

    Raises what :class:`Series` raises for an event whose rules cannot apply.
    """

    def __init__(self, events: Iterable[Event]) -> None:
        self.series: list[Series] = [Series(e) for e in events if e.timing is not None]
        buckets: list[list] = [[] for _ in _CLASSES]
        self._long: list[tuple[datetime, datetime | None, Series]] = []
        for s in self.series:
            first, last = s.span
            if s.floating:
                first -= _FLOAT_SLACK
                last = last + _FLOAT_SLACK if last is not None else None
            length = None if last is None else last - first
            for bucket, limit in zip(buckets, _CLASSES):
                if length is not None and length <= limit:
                    bucket.append((first, last, s))
                    break
            else:
                self._long.append((first, last, s))
        self._buckets = []
        for bucket, limit in zip(buckets, _CLASSES):
            bucket.sort(key=lambda row: row[0])
            self._buckets.append((limit, [row[0] for row in bucket], bucket))

    def _candidates(self, lo: datetime, hi: datetime) -> Iterator[Series]:
        """Series whose span can reach [lo, hi) (naive UTC keys, with slack)."""
        for limit, firsts, rows in self._buckets:
            i = bisect_left(firsts, lo - limit - timedelta(days=1))
            j = bisect_left(firsts, hi + timedelta(days=1))
            for first, last, s in rows[i:j]:
                if last is None or last >= lo - timedelta(days=1):
                    yield s
        for first, last, s in self._long:
            if first <= hi + timedelta(days=1) and (last is None or last >= lo - timedelta(days=1)):
                yield s

    def overlapping(self, start, end, tz: tzinfo | None = None, include_cancelled: bool = False) -> list[Instance]:
        """Every instance overlapping [start, end) (RFC 4791 §9.9), by start then event id.

        Dates and naive bounds are read in ``tz`` (UTC by default) for zoned series and as
        wall time for floating ones; floating series are ordered by reading their wall
        time in ``tz``.
        """
        qtz = tz or UTC
        lo = _utc_bound(start, qtz)
        hi = _utc_bound(end, qtz)
        out: list[Instance] = []
        walls: dict = {}
        floating = False
        # visiting series in event-id order and then sorting stably by start gives the
        # (start, event id) order without building a key tuple per instance
        for s in sorted(self._candidates(lo, hi), key=_by_id):
            if s.floating:
                floating = True
                out.extend(s.overlapping(start, end, tz, include_cancelled))
            else:
                out.extend(s._overlapping_keys(lo, hi, include_cancelled, walls))
        if floating:
            out.sort(key=lambda i: sort_key(i, tz))
        else:
            out.sort(key=_by_start)
        return out

    def __iter__(self) -> Iterator[Instance]:
        return merge(*(iter(s) for s in self.series), key=lambda i: sort_key(i, None))

    def after(self, instant, tz: tzinfo | None = None) -> Instance | None:
        found = [i for i in (s.after(instant, tz) for s in self.series) if i is not None]
        return min(found, key=lambda i: sort_key(i, tz), default=None)

    def before(self, instant, tz: tzinfo | None = None) -> Instance | None:
        found = [i for i in (s.before(instant, tz) for s in self.series) if i is not None]
        return max(found, key=lambda i: sort_key(i, tz), default=None)


_by_id = attrgetter("order_id")
_by_start = attrgetter("start_key")


def _utc_bound(value, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return to_utc(value, tz)
    return to_utc(datetime(value.year, value.month, value.day), tz)


def sort_key(inst: Instance, tz: tzinfo | None = None):
    """(UTC start, event id) for ordering instances of different series."""
    s = inst.series
    if s.floating:
        return (to_utc(inst.start_key, tz or UTC), s.order_id)
    return (inst.start_key, s.order_id)
