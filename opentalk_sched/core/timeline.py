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
Time-independent events have no instances and are left out. Each event is indexed by
a cheap outer bound of its span (:mod:`~opentalk_sched.core.span`), so a window query
only visits the events that can have an instance in it, and compiled into a
:class:`Series` the first time a query visits it.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta, tzinfo
from heapq import merge
from operator import attrgetter
from typing import Iterable, Iterator
from uuid import UUID

from .model import UTC, Event
from .rrule import DAILY
from .series import Instance, Series
from .span import SLACK, wall_span
from .zones import to_utc

#: span classes: events whose outer span fits in a class's length are found by a
#: bisect on their first start; longer or unbounded ones are always visited
_CLASSES = (timedelta(days=6), timedelta(days=40), timedelta(days=400))


class Timeline:
    """Instances of many events. ``events``: any iterable of :class:`Event`.

    Building a timeline reads each event's :func:`~opentalk_sched.core.span.wall_span`
    (plain data, no zone work); an event is compiled into a :class:`Series` the first
    time a query can reach it, and kept. Raises :class:`InvalidRecurrence`
    (``freq_needs_time``) at once for an all-day event with a sub-daily rule; errors of
    other events surface when a query compiles them (:class:`Series` says which).
    """

    def __init__(self, events: Iterable[Event]) -> None:
        # parallel lists, one entry per timed event in the order given (no object per
        # event: building a timeline of 10,000 events allocates a handful of lists)
        self._events: list[Event] = []
        firsts: list[datetime] = []
        lasts: list[datetime | None] = []  # None: unbounded, or no cheap bound
        compiled: list[Series | None] = []  # filled as queries reach each event
        for e in events:
            t = e.timing
            if t is None:
                continue
            series = None
            if t.recurrence is None and not e.overrides:
                first, last = t.start, t.end
                if first.__class__ is not datetime:
                    first, last = _midnight(first), _midnight(last)
                if t.nominal is not None:
                    last += _DAY
            else:
                first, last = wall_span(e)
                if t.start.__class__ is not datetime and _needs_check(t):  # (all-day only)
                    series = Series(e)
            self._events.append(e)
            firsts.append(first)
            lasts.append(last)
            compiled.append(series)
        self._firsts, self._lasts, self._series = firsts, lasts, compiled
        self._classes: list | None = None  # the span index, built by the second query
        self._long: list[int] = []  # (of the index: unbounded or longer than every class)
        self._scanned = False

    def _index(self) -> None:
        """Sort the events into span classes: (length limit, sorted firsts, indexes)."""
        firsts, lasts = self._firsts, self._lasts
        classes: list[list[int]] = [[] for _ in _CLASSES]
        short, medium, long_ = classes
        l0, l1, l2 = _CLASSES
        for i, (first, last) in enumerate(zip(firsts, lasts)):
            if last is None:
                self._long.append(i)
                continue
            length = last - first
            if length <= l0:
                short.append(i)
            elif length <= l1:
                medium.append(i)
            elif length <= l2:
                long_.append(i)
            else:
                self._long.append(i)
        self._classes = []
        for limit, idx in zip(_CLASSES, classes):
            idx.sort(key=firsts.__getitem__)
            self._classes.append((limit, [firsts[i] for i in idx], idx))

    @property
    def series(self) -> list[Series]:
        """Every event compiled, in the order given (compiles those not compiled yet)."""
        return [self._compiled(i) for i in range(len(self._events))]

    def _compiled(self, i: int) -> Series:
        s = self._series[i]
        if s is None:
            s = self._series[i] = Series(self._events[i])
        return s

    def _candidates(self, lo: datetime, hi: datetime) -> list[Series]:
        """Compiled series whose wall span, widened by :data:`~opentalk_sched.core.span.SLACK`
        (more than any UTC offset), reaches [lo, hi) (naive keys). The first query scans
        every span (cheaper than sorting them for one answer); later ones use the index."""
        lo, hi = _shift(lo, -SLACK), _shift(hi, SLACK)
        lasts, firsts, series = self._lasts, self._firsts, self._series
        if not self._scanned:
            self._scanned = True
            found = [i for i, (first, last) in enumerate(zip(firsts, lasts))
                     if first <= hi and (last is None or last >= lo)]
        else:
            if self._classes is None:
                self._index()
            found = []
            for limit, sorted_firsts, idx in self._classes:
                a = bisect_left(sorted_firsts, _shift(lo, -limit))
                b = bisect_left(sorted_firsts, hi)
                found.extend(i for i in idx[a:b] if lasts[i] >= lo)
            found.extend(i for i in self._long if firsts[i] <= hi and (lasts[i] is None or lasts[i] >= lo))
        return [series[i] or self._compiled(i) for i in found]

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
        zones: dict = {}  # per zone: the bounds as wall times (Series._zone_window)
        floating = False
        # visiting series in event-id order and then sorting stably by start gives the
        # (start, event id) order without building a key tuple per instance
        candidates = self._candidates(lo, hi)
        candidates.sort(key=_by_id)
        for s in candidates:
            if s.floating:
                floating = True
                out.extend(s.overlapping(start, end, tz, include_cancelled))
            else:
                out.extend(s._overlapping_keys(lo, hi, include_cancelled, zones))
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


def _by_id(s: Series):
    """A series' event id for ordering: the UUID's number, which orders like its text
    (fixed-width lowercase hex) without formatting it."""
    event_id = s.event.id
    return event_id.int if event_id.__class__ is UUID else str(event_id)


_by_start = attrgetter("start_key")
_DAY = timedelta(days=1)


def _midnight(d) -> datetime:
    return datetime(d.year, d.month, d.day)


def _needs_check(t) -> bool:
    """An all-day series with a sub-daily rule: compile now so the error is raised here."""
    rs = t.recurrence
    return t.is_all_day and rs is not None and any(r.freq > DAILY for r in (*rs.rrules, *rs.exrules))


def _utc_bound(value, tz: tzinfo) -> datetime:
    """A query bound → naive UTC; bounds beyond what datetime holds clamp to its ends."""
    try:
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return value.astimezone(UTC).replace(tzinfo=None)
            return to_utc(value, tz)
        return to_utc(datetime(value.year, value.month, value.day), tz)
    except OverflowError:
        return datetime.min if value.year < 5000 else datetime.max


def _shift(value: datetime, delta: timedelta) -> datetime:
    try:
        return value + delta
    except OverflowError:
        return datetime.max if delta > timedelta(0) else datetime.min


def sort_key(inst: Instance, tz: tzinfo | None = None):
    """(UTC start, event id) for ordering instances of different series."""
    s = inst.series
    if s.floating:
        return (to_utc(inst.start_key, tz or UTC), s.order_id)
    return (inst.start_key, s.order_id)
