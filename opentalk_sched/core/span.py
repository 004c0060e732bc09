"""A cheap outer bound on where an event's instances can lie, without compiling it.

:attr:`Series.span <opentalk_sched.core.series.Series.span>` is exact, but it needs the
compiled series and, for a COUNT rule, the walk from DTSTART to the last occurrence.
A calendar of thousands of events asked for one month needs far less: which events
*cannot* have an instance there. :func:`outer_span` answers that from the event's
plain data, in wall time, with no zone conversion:

    >>> from datetime import datetime
    >>> from opentalk_sched.core import Event, Timing, RecurrenceSet
    >>> ev = Event.new("Standup", Timing(datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 9, 15), None,
    ...     RecurrenceSet.from_lines(["FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"])))
    >>> first, last = outer_span(ev)
    >>> first <= datetime(2025, 3, 10, 9) and last >= datetime(2025, 3, 20, 9, 15)
    True

The bound is a superset: every instance ``[s, e)`` of the event (exceptions applied,
cancelled ones included) has ``first <= s`` and ``e <= last`` when ``s`` and ``e`` are
read as wall time in any zone of UTC offset up to a day (RFC 5545 §3.3.14 allows less
than that). ``last`` is ``None`` when no cheap bound exists: an unbounded rule, or a
COUNT rule whose shape can skip whole periods (``BYMONTHDAY=31``, ``BYSETPOS``, a
Feb 29 YEARLY, ...), for which only the walk from DTSTART knows the end.

How a COUNT rule is bounded (RFC 5545 §3.3.10): DTSTART is the first of COUNT, and for
the shapes accepted here every period of the rule after DTSTART's has at least one
occurrence (a WEEKLY period has each of its BYDAY days; a MONTHLY one its day 1..28
or its first to fourth weekday), so the COUNT-th occurrence lies at the latest in the
period ``(COUNT - 1) × INTERVAL`` periods after DTSTART's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .model import Event
from .rrule import DAILY, HOURLY, MINUTELY, MONTHLY, SECONDLY, WEEKLY, YEARLY, RRule

#: how far a wall time can be from the UTC instant it names, and from a value written
#: in another zone (an aware EXDATE/RDATE/UNTIL read without converting it)
SLACK = timedelta(days=2)
_DAY = timedelta(days=1)
_WEEK = timedelta(weeks=1)

_SUBDAILY_UNIT = {HOURLY: timedelta(hours=1), MINUTELY: timedelta(minutes=1), SECONDLY: timedelta(seconds=1)}


def outer_span(event: Event) -> tuple[datetime, datetime | None]:
    """``(first, last)``: naive wall datetimes bounding every instance of ``event``.

    ``first`` is at or before the earliest start and ``last`` at or after the latest
    end, both widened by :data:`SLACK`; ``last`` is ``None`` when unbounded or unknown
    (see the module docstring). Dates (all-day) count from their midnight. Raises
    ``ValueError`` for a time-independent event (``timing is None``).
    """
    first, last = wall_span(event)
    return first - SLACK, (None if last is None else last + SLACK)


def wall_span(event: Event) -> tuple[datetime, datetime | None]:
    """:func:`outer_span` before widening by :data:`SLACK`: bounds read in wall time as
    written (a caller widens the window it compares with instead). An end past year
    9999 is ``None`` (no bound)."""
    try:
        return _wall_span(event)
    except OverflowError:  # a generous COUNT estimate or an end past 9999
        first, _ = _wall_span(event, bounded=False)
        return first, None


def _wall_span(event: Event, bounded: bool = True) -> tuple[datetime, datetime | None]:
    t = event.timing
    if t is None:
        raise ValueError("a time-independent event has no span")
    start, end = t.start, t.end
    if start.__class__ is not datetime:
        start, end = _wall(start), _wall(end)
    length = end - start
    if t.nominal is not None:  # a nominal day can be 25 hours long
        length = max(length, t.nominal) + _DAY
    first = last = start
    rs = t.recurrence
    if rs is not None:
        for rule in rs.rrules if bounded else ():
            if rule.count is not None:
                reach = _count_reach(rule, t.start)
                if reach is None:
                    bounded = False
                else:
                    last = max(last, start + reach)
            elif rule.until is not None:
                u = rule.until
                u = u.replace(tzinfo=None) if u.__class__ is datetime else _wall(u)
                last = max(last, u + _DAY)  # (+ a day: a DATE UNTIL covers its day)
            else:
                bounded = False
        for rd in rs.rdates:
            s = _wall(rd.start)
            first = min(first, s)
            last = max(last, s)
            if rd.end is not None:
                length = max(length, _wall(rd.end) - s)
    if not bounded:  # only the first start is asked for
        for ov in event.overrides.values():
            if ov.start is not None:
                first = min(first, _wall(ov.start))
        return first, None
    last += length
    for ov in event.overrides.values() if event.overrides else ():
        if ov.start is not None:
            w = _wall(ov.start)
            first = min(first, w)
            if ov.this_and_future:
                bounded = False  # shifts every later instance: no cheap bound
            last = max(last, w + (length if ov.end is None else _DAY))
        if ov.end is not None:
            last = max(last, _wall(ov.end) + _DAY)
    return first, (last if bounded else None)


def _wall(v) -> datetime:
    """A date, naive or aware datetime → a naive datetime (aware ones read as written)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=None) if v.tzinfo is not None else v
    return datetime(v.year, v.month, v.day)


def _count_reach(rule: RRule, dtstart) -> timedelta | None:
    """How far after DTSTART the last start of a COUNT ``rule`` can be; ``None`` when
    its shape can skip periods."""
    n = rule.count - 1
    f, interval = rule.freq, rule.interval
    if rule.bysetpos or rule.byyearday or rule.byweekno or rule.bymonth:
        return None
    if f in _SUBDAILY_UNIT:
        if rule.byday or rule.bymonthday or rule.byhour or rule.byminute or rule.bysecond:
            return None
        return _SUBDAILY_UNIT[f] * (n * interval + 1)
    if f == DAILY:
        if rule.bymonthday:
            return None
        if rule.byday:
            days = {wd for _, wd in rule.byday}
            if interval != 1:
                return None
            return _WEEK * (n // len(days) + 2)
        return _DAY * (n * interval + 1)
    if f == WEEKLY:
        if rule.bymonthday:
            return None
        per = len({wd for _, wd in rule.byday}) or 1
        return _WEEK * (-(-n // per) * interval + 1) + _DAY
    if f == MONTHLY:
        if rule.bymonthday and rule.byday:
            return None
        if rule.bymonthday and not all(1 <= abs(d) <= 28 for d in rule.bymonthday):
            return None
        if rule.byday and not all(-4 <= k <= 4 for k, _ in rule.byday):
            return None
        if not (rule.bymonthday or rule.byday) and _day_of(dtstart) > 28:
            return None
        return _DAY * (31 * (n * interval + 1) + 1)
    if f == YEARLY:
        if rule.byday or rule.bymonthday or (isinstance(dtstart, date) and (dtstart.month, dtstart.day) == (2, 29)):
            return None
        return _DAY * (366 * (n * interval + 1) + 1)
    return None


def _day_of(v) -> int:
    return v.day
