"""Splitting a series for "this and following" edits (RFC 5545 §3.8.4.4 THISANDFUTURE,
done the way calendar clients do it: two series).

:func:`split_series` cuts a recurring event at the original start ``rid`` of one of its
occurrences:

* the original keeps every occurrence before ``rid``: each RRULE that reaches ``rid``
  gets ``UNTIL`` = one second before it (a DATE one day before on all-day series) instead
  of its COUNT/UNTIL; RDATEs, EXDATEs and exceptions from ``rid`` on leave it;
* the new series starts at ``rid`` with the same duration, zone and rules. Parts that
  the old rule took implicitly from its DTSTART (the weekday of a WEEKLY rule, the day
  of a MONTHLY one, the time of day) are written out when the new start differs, so the
  new series repeats exactly where the old one would have; a COUNT becomes the number of
  occurrences left. It takes the RDATEs, EXDATEs and exceptions from ``rid`` on.

Together the two series have exactly the occurrences of the original.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from opentalk_sched.core import Event, RecurrenceSet, Timing
    >>> ev = Event.new("Course", Timing(datetime(2025, 1, 6, 9), datetime(2025, 1, 6, 10),
    ...     ZoneInfo("Europe/Berlin"), RecurrenceSet.from_lines(["FREQ=WEEKLY;COUNT=10"])))
    >>> before, after = split_series(ev, datetime(2025, 2, 3, 9))
    >>> before.timing.recurrence.to_lines(), after.timing.recurrence.to_lines()
    (['RRULE:FREQ=WEEKLY;UNTIL=20250203T075959Z'], ['RRULE:FREQ=WEEKLY;COUNT=6'])

Known limit: an EXRULE is kept on both series and is anchored at each one's DTSTART;
a rule with INTERVAL > 1 split at an RDATE that is not one of its occurrences restarts
its INTERVAL phase there.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

from ..core import UTC, Event, RecurrenceSet, Series, Timing, to_utc, to_wall
from ..core.rrule import DAILY, HOURLY, MINUTELY, MONTHLY, WEEKLY, YEARLY, RRule
from ..core.zones import midnight
from ..store.codec import as_wall

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)


def _zone(t: Timing):
    return t.tz if t.tz is not None else (UTC if t.is_all_day else None)


def _bound(rid, t: Timing):
    """A query bound one second before original start ``rid`` (aware, or naive when floating)."""
    wall = rid if isinstance(rid, datetime) else midnight(rid)
    tz = _zone(t)
    if tz is None:
        return wall - _SECOND
    return to_utc(wall, tz).replace(tzinfo=UTC) - _SECOND


def _until_before(rid, t: Timing):
    """The UNTIL value that ends a rule just before ``rid``."""
    if t.is_all_day:
        return rid - _DAY
    tz = t.tz
    if tz is None:
        return rid - _SECOND
    return to_utc(rid, tz).replace(tzinfo=UTC) - _SECOND


def _instant(wall, t: Timing):
    """An occurrence's wall time → UNTIL value (UTC; DATE on all-day, naive if floating)."""
    if t.is_all_day:
        return wall
    if t.tz is None:
        return wall
    return to_utc(wall, t.tz).replace(tzinfo=UTC)


def _rule_series(t: Timing, rule: RRule) -> Series:
    timing = Timing(t.start, t.end, t.tz, RecurrenceSet(rrules=(rule,)), t.nominal)
    return Series(Event(id=uuid.UUID(int=0), ical_uid="split", timing=timing))


def explicit_rule(rule: RRule, old_start, new_start) -> RRule:
    """``rule`` with the parts it took from ``old_start`` written out, where ``new_start``
    would give different ones (RFC 5545 §3.3.10: missing parts come from DTSTART)."""
    kw: dict = {}
    f = rule.freq
    o, n = old_start, new_start
    if f == YEARLY:
        if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
            if not rule.bymonth and o.month != n.month:
                kw["bymonth"] = (o.month,)
            if o.day != n.day:
                kw["bymonthday"] = (o.day,)
                kw.setdefault("bymonth", rule.bymonth or (o.month,))
        elif rule.bymonthday and not (rule.bymonth or rule.byweekno or rule.byyearday) and o.month != n.month:
            kw["bymonth"] = (o.month,)
        elif rule.byweekno and not (rule.byday or rule.bymonthday or rule.byyearday) and o.weekday() != n.weekday():
            kw["byday"] = ((0, o.weekday()),)
    elif f == MONTHLY:
        if not (rule.bymonthday or rule.byday or rule.byyearday) and o.day != n.day:
            kw["bymonthday"] = (o.day,)
    elif f == WEEKLY:
        if not rule.byday and o.weekday() != n.weekday():
            kw["byday"] = ((0, o.weekday()),)
    if isinstance(o, datetime) and isinstance(n, datetime):
        if f <= DAILY and not rule.byhour and o.hour != n.hour:
            kw["byhour"] = (o.hour,)
        if f <= HOURLY and not rule.byminute and (o.minute != n.minute or "byhour" in kw):
            kw["byminute"] = (o.minute,)
        if f <= MINUTELY and not rule.bysecond and (o.second != n.second or "byminute" in kw) and o.second:
            kw["bysecond"] = (o.second,)
    return replace(rule, **kw) if kw else rule


def _split_rule(rule: RRule, t: Timing, rid, lo_bound):
    """(rule for the original or None = unchanged, rule for the new series or None = none)."""
    series = _rule_series(t, rule)
    if rule.count is not None:
        before = 0
        walls = []
        for inst in series:
            if inst.recurrence_id < rid:
                before += 1
            else:
                walls.append(inst.recurrence_id)
        if not walls:
            return rule, None
        cut = replace(rule, count=None, until=_until_before(rid, t))
        new = explicit_rule(rule, t.start, rid)
        if walls[0] == rid and rid != t.start:
            return cut, replace(new, count=len(walls))
        return cut, replace(new, count=None, until=_instant(walls[-1], t))
    nxt = series.after(lo_bound)
    if nxt is None:
        return rule, None
    cut = replace(rule, count=None, until=_until_before(rid, t))
    return cut, explicit_rule(rule, t.start, rid)


def first_original_start(event: Event):
    """The earliest original start of the series (exceptions ignored)."""
    t = event.timing
    plain = Series(replace(event, overrides={}))
    first = next(iter(plain), None)
    return t.start if first is None else min(first.recurrence_id, t.start)


def split_series(event: Event, rid, *, new_id: uuid.UUID | None = None) -> tuple[Event, Event]:
    """``(original ending before rid, new series from rid)``; see the module docstring.

    ``rid`` is the original start as wall time of the series (a date on all-day series).
    The new event gets ``new_id`` (a fresh UUID by default) as id and iCalendar UID and
    the original's other fields; the caller sets room, stamps and revision.
    Raises ``ValueError`` when the event is not recurring or ``rid`` is its first start.
    """
    t = event.timing
    if t is None or not t.is_recurring:
        raise ValueError("only a recurring series can be split")
    rs = t.recurrence
    rid = as_wall(rid, t)
    if rid <= t.start:
        raise ValueError("the first occurrence starts the whole series")
    lo = _bound(rid, t)
    old_rules, new_rules = [], []
    for rule in rs.rrules:
        a, b = _split_rule(rule, t, rid, lo)
        old_rules.append(a)
        if b is not None:
            new_rules.append(b)
    old_rdates = tuple(r for r in rs.rdates if as_wall(r.start, t) < rid)
    new_rdates = tuple(r for r in rs.rdates if as_wall(r.start, t) > rid)

    def ex_day(v):
        if isinstance(v, date) and not isinstance(v, datetime) and not t.is_all_day:
            return datetime.combine(v, datetime.max.time())
        return as_wall(v, t)

    old_ex = tuple(v for v in rs.exdates if ex_day(v) < rid)
    new_ex = tuple(v for v in rs.exdates if ex_day(v) >= rid)
    old_rs = RecurrenceSet(tuple(old_rules), old_rdates, rs.exrules, old_ex)
    new_rs = RecurrenceSet(tuple(new_rules), new_rdates, tuple(explicit_rule(r, t.start, rid) for r in rs.exrules),
                           new_ex)
    if t.is_all_day or t.tz is None:
        new_end = rid + (t.end - t.start)
    else:
        length = to_utc(t.end, t.tz) - to_utc(t.start, t.tz)
        new_end = to_wall(to_utc(rid, t.tz) + length, t.tz)
    original = replace(
        event, timing=replace(t, recurrence=old_rs if not old_rs.is_empty else None),
        overrides={k: v for k, v in event.overrides.items() if as_wall(k, t) < rid},
    )
    new_id = new_id or uuid.uuid4()
    new = replace(
        event, id=new_id, ical_uid=str(new_id),
        timing=Timing(rid, new_end, t.tz, new_rs if not new_rs.is_empty else None, t.nominal),
        overrides={k: v for k, v in event.overrides.items() if as_wall(k, t) >= rid},
    )
    return original, new
