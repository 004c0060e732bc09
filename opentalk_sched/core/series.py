"""A Series is one event compiled for queries: its occurrences, with exceptions applied.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from opentalk_sched.core import Event, Timing, RecurrenceSet, Series
    >>> ev = Event.new("Standup", Timing(
    ...     datetime(2025, 3, 10, 9), datetime(2025, 3, 10, 9, 15), ZoneInfo("Europe/Berlin"),
    ...     RecurrenceSet.from_lines(["RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"])))
    >>> s = Series(ev)
    >>> [i.instance_id for i in s.overlapping(datetime(2025, 3, 30), datetime(2025, 4, 2))]
    ['20250331T070000Z', '20250401T070000Z']

Query vocabulary (RFC 4791 §9.9 overlap, SPEC §1):

* ``overlapping(start, end)``: every instance [s, e) with ``s < end and e > start``; a
  zero-length instance matches when ``start <= s < end``; in start order;
* ``after(instant)`` / ``before(instant)``: the first instance starting strictly after /
  the last starting strictly before;
* iteration: every instance in start order (endless for unbounded rules).

Bounds may be dates, naive datetimes or aware datetimes. For a zoned or all-day series a
date or naive bound is read in ``tz`` (UTC unless given); for a floating series an aware
bound is converted to wall time in ``tz`` and compared by wall time.

Occurrences are computed in the series' wall time, then placed on the time line
(:func:`~opentalk_sched.core.zones.to_utc`: DST gap forward, fold earlier). A window
query starts at the window's period, so its cost does not grow with the distance from
DTSTART. A rule with COUNT has its last occurrence found once and cached: by period
arithmetic (:meth:`RuleIterator.nth`) for shapes with a fixed number of occurrences per
period, else by counting from DTSTART.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta, tzinfo
from heapq import merge
from itertools import chain, islice
from typing import Iterator

from .errors import InvalidEvent
from .instance_id import format_instance_id
from .model import UTC, Event, InstanceStatus, Override, Timing
from .recurrence import RDate
from .rrule import _LIST_DAYS, RuleIterator
from .zones import NonexistentTime, day_offsets, midnight, strict_converter, to_utc, to_wall, utc_converter

_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_MIN_WALL = datetime(1, 1, 2)
_MAX_WALL = datetime(9999, 12, 30)
_NO_END = object()
_NONE: tuple = ()
_NO_MAP: dict = {}  # shared by single events; never written to
_NO_SET: frozenset = frozenset()
_UNSEEN = object()
_ZERO = timedelta(0)
_combine = datetime.combine
#: query bounds between these use the per-zone window cache and the one-rule list path;
#: nearer the ends of datetime the general path clamps them per series
_SAFE_LO = datetime(1000, 1, 1)
_SAFE_HI = datetime(9000, 1, 1)
_PAD_LIMIT = timedelta(days=300 * 365)


class Instance:
    """One occurrence of a series with its exceptions applied.

    ``recurrence_id`` is the original start in wall time (date for all-day series);
    ``start``/``end`` are aware datetimes in the series' zone, naive datetimes for a
    floating series, dates for an all-day instance; ``start_key``/``end_key`` are the
    naive UTC (or floating wall) instants used for ordering. ``override`` is the
    exception that applies, if any. ``instance_id`` is built on first use.

    Built by :class:`Series`, not by callers. An instance of this class ends the
    series' duration after it starts (``end_key`` is computed, one slot fewer per
    instance); :class:`_Ended` stores an end that differs (a nominal length, an RDATE
    period), and :class:`_Changed` adds the exception that applies.
    """

    __slots__ = ("series", "recurrence_id", "start_key")
    #: an unchanged occurrence has no exception; :class:`_Changed` instances do
    override: Override | None = None
    _range: Override | None = None

    def __init__(self, series: "Series", recurrence_id, start_key):
        self.series = series
        self.recurrence_id = recurrence_id
        self.start_key = start_key

    @property
    def end_key(self) -> datetime:
        return self.start_key + self.series._duration

    # identity
    @property
    def event(self) -> Event:
        return self.series.event

    @property
    def uid(self) -> str:
        return self.series.event.ical_uid

    @property
    def instance_id(self) -> str:
        s = self.series
        rid = self.recurrence_id
        if s.all_day or s.floating:
            return format_instance_id(rid)
        # the original start in UTC: the start key itself unless an exception moved it
        k = self.start_key if self.override is None and self._range is None else s._key(rid)
        return "%04d%02d%02dT%02d%02d%02dZ" % (k.year, k.month, k.day, k.hour, k.minute, k.second)

    # what the calendar shows
    @property
    def is_all_day(self) -> bool:
        ov = self.override
        if ov is not None and ov.is_all_day is not None:
            return ov.is_all_day
        return self.series.all_day

    @property
    def start(self):
        return self.series.present(self.start_key, self.is_all_day)

    @property
    def end(self):
        all_day = self.is_all_day
        end = self.series.present(self.end_key, all_day)
        if all_day:
            start = self.start  # timed override times shown all-day: at least its start day
            if end <= start:
                end = start + _DAY
        return end

    @property
    def start_utc(self) -> datetime | None:
        """Aware UTC start (floating instances: ``None``)."""
        return None if self.series.floating else _combine(self.start_key, self.start_key.time(), UTC)

    @property
    def end_utc(self) -> datetime | None:
        return None if self.series.floating else _combine(self.end_key, self.end_key.time(), UTC)

    @property
    def title(self) -> str:
        for ov in (self.override, self._range):
            if ov is not None and ov.title is not None:
                return ov.title
        return self.series.event.title

    @property
    def description(self) -> str:
        for ov in (self.override, self._range):
            if ov is not None and ov.description is not None:
                return ov.description
        return self.series.event.description

    @property
    def status(self) -> InstanceStatus:
        ov = self.override
        return InstanceStatus.CANCELLED if ov is not None and ov.cancelled else InstanceStatus.OK

    @property
    def cancelled(self) -> bool:
        return self.override is not None and self.override.cancelled

    @property
    def is_modified(self) -> bool:
        return self.override is not None or self._range is not None

    def __repr__(self) -> str:
        return f"<Instance {self.uid} {self.instance_id} {self.start!s}..{self.end!s} {self.status.value}>"

    def __eq__(self, other):
        return (
            isinstance(other, Instance) and other.series.event.id == self.series.event.id
            and other.recurrence_id == self.recurrence_id
        )

    def __hash__(self):
        return hash((self.series.event.id, self.recurrence_id))


class _Ended(Instance):
    """An instance whose end is not its start plus the series' duration."""

    __slots__ = ("end_key",)

    def __init__(self, series: "Series", recurrence_id, start_key, end_key):
        self.series = series
        self.recurrence_id = recurrence_id
        self.start_key = start_key
        self.end_key = end_key


class _Changed(_Ended):
    """An instance an exception applies to: ``override`` (RECURRENCE-ID) and/or the
    RANGE=THISANDFUTURE exception in force (``_range``)."""

    __slots__ = ("override", "_range")

    def __init__(self, series: "Series", recurrence_id, start_key, end_key, override, range_override):
        _Ended.__init__(self, series, recurrence_id, start_key, end_key)
        self.override = override
        self._range = range_override


class Series:
    """One timed event compiled for queries (see the module docstring).

    Raises :class:`InvalidEvent` (``time_independent``) for an event without timing and
    :class:`~opentalk_sched.core.errors.InvalidRecurrence` for rules that cannot apply
    to its DTSTART (an HOURLY rule on a DATE series).
    """

    __slots__ = (
        "event", "timing", "tz", "all_day", "floating", "dtstart", "_rules", "_counted",
        "_rdates", "_rdate_ends", "_exkeys", "_exdays", "_exrules", "_overrides",
        "_moved", "_ranges", "_range_keys", "_duration", "_max_len", "_max_shift",
        "_span", "_unbounded", "_plain", "_single", "_simple", "_patch", "_offsets", "_dtstart_key", "_order_id", "_to_utc",
    )

    def __init__(self, event: Event) -> None:
        t = event.timing
        if t is None:
            raise InvalidEvent("a time-independent event has no instances", code="time_independent")
        self.event = event
        self.timing = t
        self.all_day = t.is_all_day
        self.floating = t.tz is None and not self.all_day
        self.tz: tzinfo | None = t.tz if t.tz is not None else (UTC if self.all_day else None)
        self._to_utc = utc_converter(self.tz) if self.tz is not None else None
        self._offsets = day_offsets(self.tz) if self.tz is not None and not self.all_day else None
        self.dtstart = t.start
        self._dtstart_key = self._key(t.start)
        if self.floating or self.all_day:
            self._duration = t.end - t.start
        else:
            self._duration = self._key(t.end) - self._dtstart_key
        rs = t.recurrence
        self._order_id = None
        self._span = None
        one_rule = rs is not None and len(rs.rrules) == 1 and not (rs.rdates or rs.exrules or rs.exdates)
        if not event.overrides and (rs is None or one_rule):
            # a single event, or one rule and nothing else (the common recurring event):
            # every other part is empty (one shared immutable value each)
            self._exrules = self._ranges = self._range_keys = self._rdates = _NONE
            self._counted = self._rdate_ends = self._overrides = self._moved = _NO_MAP
            self._exkeys = self._exdays = _NO_SET
            self._max_len = self._duration if self._duration > _ZERO else _ZERO
            self._max_shift = _ZERO
            # (whole days of an all-day series in a zone are nominal too: 23 or 25 hours)
            self._plain = (t.nominal is None or self.floating) and not (self.all_day and self.tz is not UTC)
            self._patch = False
            if rs is None:
                self._rules = _NONE
                self._unbounded = False
                self._single, self._simple = self._plain, False
            else:
                rule = rs.rrules[0]
                self._rules = [RuleIterator(rule, t.start, self._until_wall(rule))]
                self._unbounded = rule.count is None and rule.until is None
                self._single, self._simple = False, self._plain and not self.all_day
            return
        # (empty parts share one immutable empty value: fewer objects for the collector)
        self._counted = _NO_MAP  # COUNT rule id → its occurrences, filled by the first query
        self._unbounded = False
        self._rules = _NONE
        self._exrules = _NONE
        self._rdates = _NONE
        ends = _NO_MAP
        self._exkeys = self._exdays = _NO_SET
        if rs is not None:
            self._rules = []
            for rule in rs.rrules:
                self._rules.append(RuleIterator(rule, t.start, self._until_wall(rule)))
                if rule.count is None and rule.until is None:
                    self._unbounded = True
            if rs.exrules:
                self._exrules = [RuleIterator(r, t.start, self._until_wall(r)) for r in rs.exrules]
            if rs.rdates:
                rdates = []
                ends = {}
                for rd in rs.rdates:
                    wall = self._as_wall(rd.start)
                    rdates.append(wall)
                    if rd.end is not None:
                        ends[wall] = self._as_wall(rd.end)
                self._rdates = sorted(set(rdates))
            if rs.exdates:
                exkeys, exdays = set(), set()
                for ex in rs.exdates:
                    if isinstance(ex, datetime):
                        if self.all_day:
                            exdays.add(self._as_wall(ex) if ex.tzinfo is None else to_wall(ex, self.tz).date())
                        else:
                            exkeys.add(self._key(self._as_wall(ex)))
                    else:
                        exdays.add(ex)  # a DATE EXDATE removes that local date (SPEC §1)
                self._exkeys = exkeys or _NO_SET
                self._exdays = exdays or _NO_SET
        self._rdate_ends = ends
        # overrides: exact ones by recurrence id; RANGE=THISANDFUTURE ones in order
        self._overrides = _NO_MAP
        self._ranges = self._range_keys = ranges = _NONE
        self._moved = _NO_MAP
        if event.overrides:
            self._overrides = {}
            ranges = []
            for rid, ov in event.overrides.items():
                rid = self._canonical(self._as_wall(rid))
                if ov.this_and_future:
                    ranges.append((rid, ov))
                self._overrides[rid] = ov
            if ranges:
                ranges.sort(key=lambda p: p[0])
                self._ranges = ranges
                self._range_keys = [r for r, _ in ranges]
            # moved occurrences → their new (start, end) keys, computed when first needed
            # (a move past year 9999 raises in window queries, not in Series() itself)
            self._moved = {rid: None for rid, ov in self._overrides.items() if ov.start is not None} or _NO_MAP
        max_len = self._duration
        for rid, end in ends.items():
            max_len = max(max_len, self._key(end) - self._key(rid))
        shift = timedelta(0)
        for rid, ov in ranges:
            if ov.start is not None:
                delta = self._wall_of(ov.start) - self._wall_of(rid)
                shift = max(shift, abs(delta))
                if ov.end is not None:
                    max_len = max(max_len, self._wall_of(ov.end) - self._wall_of(ov.start))
        self._max_len = max(max_len, timedelta(0))
        self._max_shift = shift
        # no exception, period or nominal length: every instance is [key, key + duration)
        exact = not (ends or (t.nominal is not None and not self.floating) or (self.all_day and self.tz is not UTC))
        self._plain = exact and not self._overrides
        self._single = self._plain and not self._rules and not self._rdates and not (self._exkeys or self._exdays)
        one_rule = exact and len(self._rules) == 1 and not self._rdates and not self._exrules and not self.all_day
        self._simple = one_rule and not self._overrides
        # one rule with RECURRENCE-ID exceptions (no RANGE): the one-rule path, then the
        # exceptions applied to what it found (_patched)
        self._patch = one_rule and bool(self._overrides) and not self._ranges

    @property
    def order_id(self) -> str:
        """The event id as text: ties between instances of one start sort by it."""
        if self._order_id is None:
            self._order_id = str(self.event.id)
        return self._order_id

    # -- conversions -------------------------------------------------------------------

    def _key(self, wall):
        """Wall time (or date) → ordering key: naive UTC, or the wall time when floating."""
        if not isinstance(wall, datetime):
            wall = midnight(wall)
        if self.floating:
            return wall
        return self._to_utc(wall)

    def _as_wall(self, v):
        """Any written value (date, naive, aware) → this series' wall-time kind."""
        if self.all_day:
            if isinstance(v, datetime):
                return (to_wall(v, self.tz) if v.tzinfo is not None else v).date()
            return v
        if isinstance(v, datetime):
            if v.tzinfo is None:
                return v
            if self.floating:
                return v.replace(tzinfo=None)
            return to_wall(v, self.tz)
        return midnight(v)

    def _canonical(self, w):
        """A wall time in a DST gap → the real wall time of its instant (02:30 → 03:30),
        the name :meth:`_walls` gives that occurrence; other values are returned as is."""
        if self.floating or self.all_day or not isinstance(w, datetime):
            return w
        return to_wall(self._key(w), self.tz)

    def _wall_of(self, v):
        """An override's start/end → a wall datetime on this series' time line (a timed
        override of an all-day series keeps its time of day)."""
        if self.all_day:
            if isinstance(v, datetime):
                return v if v.tzinfo is None else to_wall(v, self.tz)
            return midnight(v)
        return self._as_wall(v)

    def _until_wall(self, rule):
        u = rule.until
        if u is None:
            return None
        if isinstance(u, datetime) and u.tzinfo is not None:
            if self.all_day:
                return to_wall(u, self.tz).date()
            if self.floating:
                return u.replace(tzinfo=None)
            return to_wall(u, self.tz)
        if self.all_day and isinstance(u, datetime):
            return u.date()
        if not self.all_day and not isinstance(u, datetime):
            return datetime.combine(u, datetime.max.time())
        return u

    def bound(self, value, tz: tzinfo | None = None) -> datetime:
        """A query bound → this series' key space (see the module docstring)."""
        qtz = tz or UTC
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                if self.floating:
                    return to_wall(value, qtz)
                return value.astimezone(UTC).replace(tzinfo=None)
            return value if self.floating else to_utc(value, qtz)
        return midnight(value) if self.floating else to_utc(midnight(value), qtz)

    def present(self, key: datetime, all_day: bool | None = None):
        """A key → what a caller sees: aware datetime in the zone, naive, or date."""
        if all_day is None:
            all_day = self.all_day
        if self.floating:
            return key.date() if all_day else key
        table = self._offsets
        if table is not None:
            # a local day whose offset is constant (cached, no transition) holds key + off
            # unambiguously: no zone lookup (the UTC day's offset is the first guess)
            off = table.get(key.toordinal())
            if off is not None:
                try:
                    wall = key + off
                except OverflowError:
                    wall = None
                if wall is not None and table.get(wall.toordinal()) == off:
                    return wall.date() if all_day else _combine(wall, wall.time(), self.tz)
        # (combine attaches a zone several times faster than replace(tzinfo=...))
        local = _combine(key, key.time(), UTC).astimezone(self.tz)
        if all_day:
            return local.date()
        return local

    # -- occurrences ---------------------------------------------------------------------

    def _rule_walls(self, it: RuleIterator, lo, hi) -> Iterator:
        if it.rule.count is None:
            return it.between(lo, hi)
        found = self._count(it)
        if isinstance(found, list):  # walked from DTSTART
            i = bisect_left(found, lo) if lo is not None else 0
            j = bisect_left(found, hi)
            return found[i:j]
        # the COUNT-th occurrence is known: the rule up to it, like an UNTIL
        try:
            stop = found + (_DAY if self.all_day else _TICK)
        except OverflowError:  # (the last one is 9999-12-31)
            stop = hi
        return it.between(lo, stop if stop < hi else hi)

    def _count(self, it: RuleIterator):
        """The COUNT of ``it`` resolved, once: its last occurrence (a wall value) when
        :meth:`RuleIterator.nth` finds it, else every occurrence after DTSTART in a list
        (DTSTART is the first of COUNT, SPEC §1, case 46); ``[]`` for COUNT=1."""
        found = self._counted.get(id(it))
        if found is not None:
            return found
        needed = it.rule.count - 1
        found = [] if needed <= 0 else it.nth(needed)
        if found is None:
            found = list(islice(it.between(None, _MAX_WALL.date() if self.all_day else _MAX_WALL), needed))
        if self._counted is _NO_MAP:
            self._counted = {}
        self._counted[id(it)] = found
        return found

    def _walls(self, lo, hi) -> Iterator:
        """(original start as wall value, its key) for the recurrence set in [lo, hi),
        ordered, deduplicated, exclusions applied. ``lo``/``hi`` are wall values of the
        series' kind."""
        dt = self.dtstart
        sources = [self._rule_walls(it, lo, hi) for it in self._rules]
        if self._rdates:
            i = bisect_left(self._rdates, lo) if lo is not None else 0
            j = bisect_left(self._rdates, hi)
            if i < j:
                sources.append(iter(self._rdates[i:j]))
        if not sources:
            stream = iter(())
        elif len(sources) == 1:
            stream = sources[0]
        else:
            stream = merge(*sources)
        if (lo is None or lo <= dt) and dt < hi:  # DTSTART is always an occurrence
            if self._rdates and self._rdates[0] < dt:  # an RDATE before DTSTART (rare)
                stream = merge(iter((dt,)), stream)
            else:
                stream = chain((dt,), (w for w in stream if w > dt))
        excluded = set()
        for it in self._exrules:
            # an EXRULE's set: DTSTART only when the rule matches it, then up to COUNT more
            first = it.matches(dt)
            if first and (lo is None or lo <= dt):
                excluded.add(dt)
            if it.rule.count is None:
                excluded.update(it.between(lo, hi))
                continue
            walls = self._counted.get(id(it))
            if walls is None:
                if self._counted is _NO_MAP:
                    self._counted = {}
                walls = self._counted[id(it)] = list(islice(
                    it.between(None, _MAX_WALL.date() if self.all_day else _MAX_WALL), it.rule.count - first))
            excluded.update(walls[bisect_left(walls, lo) if lo is not None else 0:bisect_left(walls, hi)])
        exkeys, exdays = self._exkeys, self._exdays
        all_day = self.all_day
        key = self._key
        tz = self.tz
        offsets = None if (all_day or self.floating) else day_offsets(tz)
        day = near = -1
        recent = None  # keys seen on a DST transition day and the day after
        held: list = []  # their (key, real wall time), yielded in key order
        last = None
        last_key = None
        for w in stream:
            if w == last:
                continue
            last = w
            if excluded and w in excluded:
                continue
            if exdays and (w if all_day else w.date()) in exdays:
                continue
            k = key(w)
            if k == last_key:  # two wall times on one instant (a DST gap): one occurrence
                continue
            last_key = k
            if exkeys and k in exkeys:
                continue
            if offsets is not None:
                o = w.toordinal()
                if o != day:
                    day = o
                    if offsets.get(o, 0) is None:  # a DST transition that local day (key() cached it)
                        near, recent = o + 1, recent or set()
                    elif o > near and recent is not None:
                        recent = None
                        held.sort()
                        yield from ((hw, hk) for hk, hw in held)
                        held = []
                if recent is not None:
                    # a wall time in a DST gap is the instant after the gap (SPEC §1): it
                    # is named by that real wall time (02:30 -> 03:30, so ids and
                    # RECURRENCE-IDs in UTC find it), one occurrence per instant even when
                    # the two wall times are not adjacent (MINUTELY: 02:00 and 03:00), and
                    # the day is yielded in UTC order
                    if k not in recent:
                        recent.add(k)
                        held.append((k, to_wall(k, tz)))
                    continue
            yield w, k
        if held:
            held.sort()
            yield from ((hw, hk) for hk, hw in held)

    def _place(self, rid, include_cancelled: bool, rid_key=None):
        """Build the Instance of original start ``rid`` (wall); None if cancelled and hidden."""
        if self._plain:
            if rid_key is None:
                rid_key = self._key(rid)
            return Instance(self, rid, rid_key)
        ov = self._overrides.get(rid)
        if ov is not None and ov.cancelled and not include_cancelled:
            return None
        rng = None
        if self._ranges:
            i = bisect_right(self._range_keys, rid)
            if i:
                rng = self._ranges[i - 1][1]
                if rng is ov:
                    rng = None
        start_w = rid
        start_key = None
        end_key = None
        if rng is not None and rng.start is not None:
            base = self._ranges[bisect_right(self._range_keys, rid) - 1][0]
            shift = self._wall_of(rng.start) - (midnight(base) if self.all_day else base)
            start_w = (midnight(rid) if self.all_day else rid) + shift
            start_key = self._key(start_w)
            if rng.end is not None:
                end_key = self._key(start_w + (self._wall_of(rng.end) - self._wall_of(rng.start)))
        if ov is not None and ov.start is not None:
            start_key, end_key = self._moved_keys(rid)
        if start_key is None:
            start_key = rid_key if rid_key is not None else self._key(rid)
        if end_key is None:
            rd_end = self._rdate_ends.get(rid)
            if rd_end is not None and start_w == rid:
                end_key = self._key(rd_end)
            elif (self.timing.nominal is not None or self.all_day) and not self.floating:
                # a nominal length ends at the same wall time N days later (RFC 5545
                # §3.3.6); an all-day instance at the local midnight after its last day
                wall = (midnight(start_w) if self.all_day else start_w) if start_key == self._key(rid) else self._unkey(start_key)
                end_key = self._key(wall + (self.timing.nominal or self._duration))
            else:
                end_key = start_key + self._duration
        if ov is None and rng is None:
            return _Ended(self, rid, start_key, end_key)
        return _Changed(self, rid, start_key, end_key, ov, rng)

    def _unkey(self, key):
        return key if self.floating else to_wall(key, self.tz)

    def _zone_window(self, lo_key, hi_key, zones: dict | None):
        """The query's bounds [lo_key, hi_key) as wall times of this series' zone, and
        whether a DST transition day lies near them: ``(lo wall, hi wall, transition)``;
        ``None`` for bounds near the ends of what datetime holds. ``zones`` caches the
        answer per zone for one timeline query."""
        tz = self.tz
        if zones is not None:
            window = zones.get(tz, _UNSEEN)
            if window is not _UNSEEN:
                return window
        if not (_SAFE_LO <= lo_key and hi_key <= _SAFE_HI):
            window = None
        elif self.floating:
            window = (lo_key, hi_key, False)
        else:
            lo, hi = to_wall(lo_key, tz), to_wall(hi_key, tz)
            transition = False
            if zones is not None:  # (worth a look when many series will ask)
                first, last = lo.toordinal() - 2, hi.toordinal() + 2
                get = day_offsets(tz).get
                # (days not seen yet read as no transition: the first query finds them)
                transition = last - first > _LIST_DAYS or any(get(o, 0) is None for o in range(first, last + 1))
            window = (lo, hi, transition)
        if zones is not None:
            zones[tz] = window
        return window

    def _wall_bounds(self, lo_key, hi_key, zones=None):
        """The wall-time range to generate for keys [lo_key, hi_key), padded by the
        longest instance, the largest shift and a day for UTC offsets. ``zones``: see
        :meth:`_zone_window`."""
        pad = self._max_len + self._max_shift + _DAY
        window = self._zone_window(lo_key, hi_key, zones) if pad < _PAD_LIMIT else None
        if window is not None:
            lo, hi = window[0] - pad, window[1] + self._max_shift + _DAY
        else:
            lo_key = max(lo_key, _MIN_WALL + pad)
            hi_key = min(hi_key, _MAX_WALL - pad)
            if self.floating:
                lo, hi = lo_key - pad, hi_key + self._max_shift + _DAY
            else:
                lo = self._unkey(lo_key) - pad
                hi = self._unkey(hi_key) + self._max_shift + _DAY
        if self.all_day:
            return lo.date(), hi.date() + _DAY
        return lo, hi

    def overlapping(self, start, end, tz: tzinfo | None = None, include_cancelled: bool = False) -> list[Instance]:
        """Instances overlapping [start, end), in start order (see the module docstring)."""
        lo_key, hi_key = self.bound(start, tz), self.bound(end, tz)
        return self._overlapping_keys(lo_key, hi_key, include_cancelled)

    def _overlapping_keys(self, lo_key, hi_key, include_cancelled=False, zones=None) -> list[Instance]:
        if hi_key < lo_key:
            return []
        if self._single:
            s = self._dtstart_key
            e = s + self._duration
            if s < hi_key and (e > lo_key or (s == e and s >= lo_key)):
                rid = self.dtstart
                if self._offsets is not None and self._offsets.get(rid.toordinal(), 0) is None:
                    rid = self._canonical(rid)  # (in a DST gap: named by the real wall time)
                return [Instance(self, rid, s)]
            return []
        if self._simple or self._patch:
            window = self._zone_window(lo_key, hi_key, zones)
            if window is not None:
                out = self._overlapping_simple(lo_key, hi_key, window)
                if out is not None:
                    return out if self._simple else self._patched(out, lo_key, hi_key, include_cancelled)
        lo_w, hi_w = self._wall_bounds(lo_key, hi_key, zones)
        out = []
        if self._plain:  # no exceptions: [key, key + duration) for every occurrence
            dur = self._duration
            for rid, s in self._walls(lo_w, hi_w):
                if s >= hi_key:
                    continue  # (not break: wall order can differ from UTC order in a DST gap)
                e = s + dur
                if e > lo_key or (s == e and s >= lo_key):
                    out.append(Instance(self, rid, s))
            return out
        seen = set()
        moved = self._moved
        for rid, rid_key in self._walls(lo_w, hi_w):
            inst = self._place(rid, include_cancelled, rid_key)
            if inst is None:
                continue
            if moved:
                seen.add(rid)
            s, e = inst.start_key, inst.end_key
            if s < hi_key and (e > lo_key or (s == e and s >= lo_key)):
                out.append(inst)
        if moved:
            out.extend(self._moved_in(seen, lo_key, hi_key, include_cancelled))
        if moved or self._ranges or self._rdate_ends:
            out.sort(key=_start_order)
        return out

    def _overlapping_simple(self, lo_key, hi_key, window) -> list[Instance] | None:
        """The plain loop of :meth:`_overlapping_keys` for a timed series of one rule and
        no exceptions: the rule's list builder (:attr:`RuleIterator.lister`) gives the
        wall times of the window (``window``: :meth:`_zone_window`), each is placed by its
        day's UTC offset, and the window is a slice. ``None`` when the shape has no list
        builder, the range is long, COUNT needed a walk, or a wall time falls in a DST
        gap: the general path handles those."""
        it = self._rules[0]
        stop = it.until if it.rule.count is None else self._count(it)  # (UNTIL, or the COUNT-th)
        dur = self._duration
        if it.lister is None or stop.__class__ is list or not _ZERO <= dur < _PAD_LIMIT:
            return None
        dt = self.dtstart
        lo_w = window[0] - dur - _DAY
        hi_w = window[1] + _DAY
        first = lo_w if lo_w > dt else dt
        last = hi_w if stop is None or stop >= hi_w else stop
        if last <= dt:
            walls = []
        elif last.toordinal() - first.toordinal() >= _LIST_DAYS:
            return None
        else:
            walls = it.lister(it, first, last)
            if last is stop:
                walls = walls[:bisect_right(walls, stop)]
        if first is dt:  # DTSTART is the first occurrence, whether the rule matches it or not
            walls = [dt, *walls[bisect_right(walls, dt):]] if dt < hi_w else []
        table = self._offsets
        if table is None:  # floating: the wall times are the keys
            keys = walls
        else:
            keys = None
            if not window[2]:
                try:  # every day seen before and without a DST transition: one subtraction each
                    keys = [w - table[w.toordinal()] for w in walls]
                except (KeyError, TypeError):
                    pass
            if keys is None:
                keys = self._keys_of(walls)
                if keys is None:
                    return None
        # keys rise with wall time outside DST gaps: the window is a slice
        if not dur:
            i = bisect_left(keys, lo_key)
        else:
            i = bisect_right(keys, lo_key - dur)
        j = bisect_left(keys, hi_key)
        exkeys, exdays = self._exkeys, self._exdays
        if exkeys or exdays:
            return [Instance(self, w, k) for w, k in zip(walls[i:j], keys[i:j])
                    if k not in exkeys and not (exdays and w.date() in exdays)]
        return [Instance(self, w, k) for w, k in zip(walls[i:j], keys[i:j])]

    def _patched(self, found: list[Instance], lo_key, hi_key, include_cancelled: bool) -> list[Instance]:
        """Apply this series' RECURRENCE-ID exceptions to ``found`` (changed in place), the
        unchanged occurrences overlapping [lo_key, hi_key): cancelled ones leave (unless
        asked for), edited ones are rebuilt, moved ones are placed where they went, and
        those moved into the window from elsewhere join."""
        overrides = self._overrides
        hits = [n for n, inst in enumerate(found) if inst.recurrence_id in overrides]
        seen = set()
        for n in reversed(hits):
            rid = found[n].recurrence_id
            seen.add(rid)
            inst = self._place(rid, include_cancelled, found[n].start_key)
            if inst is not None:
                s, e = inst.start_key, inst.end_key
                if s < hi_key and (e > lo_key or (s == e and s >= lo_key)):
                    found[n] = inst
                    continue
            del found[n]
        if self._moved:
            n = len(found)
            found.extend(self._moved_in(seen, lo_key, hi_key, include_cancelled))
            if n < len(found) or not seen.isdisjoint(self._moved):
                found.sort(key=_start_order)
        return found

    def _moved_in(self, seen, lo_key, hi_key, include_cancelled: bool) -> Iterator[Instance]:
        """Instances moved into [lo_key, hi_key) whose original start is not in ``seen``
        (the occurrences the caller already placed)."""
        for rid in self._moved:
            if rid in seen:
                continue
            s, e = self._moved_keys(rid)
            if not (s < hi_key and (e > lo_key or (s == e and s >= lo_key))) or not self.is_occurrence(rid):
                continue
            inst = self._place(rid, include_cancelled)
            if inst is not None:
                yield inst

    def _moved_keys(self, rid) -> tuple[datetime, datetime]:
        """(start key, end key) of the occurrence ``rid`` moved by its override, cached."""
        keys = self._moved[rid]
        if keys is not None:
            return keys
        ov = self._overrides[rid]
        s = self._key(self._wall_of(ov.start))
        keys = self._moved[rid] = (s, self._key(self._wall_of(ov.end)) if ov.end is not None else s + self._duration)
        return keys

    def _keys_of(self, walls: list) -> list | None:
        """UTC keys of ``walls`` (this series' zone), asking the zone on days not cached
        yet and on DST transition days; ``None`` when one lies in a DST gap."""
        get = self._offsets.get
        convert = strict_converter(self.tz)
        try:
            return [w - off if (off := get(w.toordinal())) is not None else convert(w) for w in walls]
        except NonexistentTime:
            return None

    def is_occurrence(self, rid) -> bool:
        """True when ``rid`` (a wall value, or aware datetime / date) is an original start
        of the recurrence set (cancelled ones included)."""
        w = self._canonical(self._as_wall(rid))
        hi = w + (_DAY if self.all_day else timedelta(seconds=1))
        lo = w
        if not (self.floating or self.all_day):  # the rule may name it by a DST-gap wall time
            prev = w - _DAY
            lo = min(w, self._key(w) + (prev - self._key(prev)))
        return any(x == w for x, _ in self._walls(lo, hi))

    def instance(self, rid, include_cancelled: bool = True) -> Instance | None:
        """The instance of original start ``rid`` (wall value, aware datetime or date);
        ``None`` when it is not an occurrence."""
        w = self._canonical(self._as_wall(rid))
        if not self.is_occurrence(w):
            return None
        return self._place(w, include_cancelled)

    def instance_by_id(self, instance_id: str) -> Instance | None:
        """Look up by instance id (SPEC §1); ``None`` when malformed or not an occurrence."""
        from .errors import InvalidInstanceId
        from .instance_id import parse_instance_id

        try:
            parsed = parse_instance_id(instance_id)
        except InvalidInstanceId:
            return None
        if self.all_day:
            if parsed.tzinfo is None or parsed.astimezone(UTC).time() != datetime.min.time():
                return None
            return self.instance(parsed.astimezone(UTC).date())
        if self.floating:
            if parsed.tzinfo is not None:
                return None
            return self.instance(parsed)
        if parsed.tzinfo is None:
            return None
        return self.instance(parsed)

    # -- ordered access ------------------------------------------------------------------

    def __iter__(self) -> Iterator[Instance]:
        """Every instance in start order (endless for unbounded rules)."""
        # from the earliest start: an exception can move an instance to before DTSTART
        lo = min(self._key(self.dtstart) - self._max_shift, self.span[0]) - self._max_len - _DAY
        for inst in self._scan(lo, forward=True):
            yield inst

    def _scan(self, key, forward: bool, include_cancelled=False) -> Iterator[Instance]:
        step = timedelta(days=32)
        first, last = self.span
        emitted: set = set()
        # forward, an endless rule that produced nothing for a whole 400-year calendar
        # cycle (times its INTERVAL) produces nothing ever: stop instead of walking to 9999
        give_up = timedelta(days=146097 * max((it.interval for it in self._rules), default=1))
        quiet_since = key
        while True:
            if forward:
                if key > _MAX_WALL - step:  # (before key + step can overflow)
                    return
                lo, hi = key, key + step
                if last is not None and lo > last + _DAY:
                    return
                if hi - quiet_since > give_up and (last is None or lo > self._dtstart_key):
                    return
                batch = [i for i in self._overlapping_keys(lo, hi, include_cancelled) if i.start_key >= lo]
                if batch:
                    quiet_since = hi
            else:
                lo, hi = key - step, key
                if lo < first - _DAY or hi < _MIN_WALL + step:
                    batch = [i for i in self._overlapping_keys(first - _DAY, hi, include_cancelled) if i.start_key < hi]
                    yield from (i for i in reversed(batch) if i.recurrence_id not in emitted)
                    return
                batch = [i for i in self._overlapping_keys(lo, hi, include_cancelled) if lo <= i.start_key < hi]
                batch.reverse()
            for inst in batch:
                if inst.recurrence_id in emitted:
                    continue
                emitted.add(inst.recurrence_id)
                yield inst
            key = hi if forward else lo
            step = min(step * 2, timedelta(days=366 * 8))

    def after(self, instant, tz: tzinfo | None = None, include_cancelled: bool = False) -> Instance | None:
        """The first instance starting strictly after ``instant``, or ``None``."""
        k = self.bound(instant, tz)
        for inst in self._scan(k, forward=True, include_cancelled=include_cancelled):
            if inst.start_key > k:
                return inst
        return None

    def before(self, instant, tz: tzinfo | None = None, include_cancelled: bool = False) -> Instance | None:
        """The last instance starting strictly before ``instant``, or ``None``."""
        k = self.bound(instant, tz)
        for inst in self._scan(k, forward=False, include_cancelled=include_cancelled):
            if inst.start_key < k:
                return inst
        return None

    @property
    def span(self) -> tuple[datetime, datetime | None]:
        """(first start, last end) as keys (naive UTC, or wall when floating); last end is
        ``None`` for an unbounded rule. Used by stores to index which series can have an
        instance in a window."""
        if self._span is None:
            starts = [self._key(self.dtstart)]
            if self._rdates:
                starts.append(self._key(self._rdates[0]))
            moved = [self._moved_keys(rid) for rid in self._moved]
            starts.extend(s for s, e in moved)
            first = min(starts) - self._max_shift
            if self._unbounded:
                self._span = (first, None)
            else:
                last_start = self.dtstart
                for it in self._rules:
                    if it.rule.count is not None:
                        found = self._count(it)
                        walls = found if isinstance(found, (list, tuple)) else [found]
                    else:
                        walls = _last_until(it, self.all_day)
                    if walls:
                        last_start = max(last_start, walls[-1])
                if self._rdates:
                    last_start = max(last_start, self._rdates[-1])
                ends = [self._key(last_start) + self._max_len + self._max_shift]
                ends.extend(e for s, e in moved)
                for rid, end in self._rdate_ends.items():
                    ends.append(self._key(end))
                if self.timing.nominal is not None or (self.all_day and self.tz is not UTC):
                    ends[0] += _DAY  # a nominal day can be 25 hours
                self._span = (first, max(ends))
        return self._span


def _last_until(it: RuleIterator, all_day: bool) -> list:
    """The last occurrence of an UNTIL rule (as a one-item list, or empty), found by
    scanning backwards from UNTIL in doubling windows instead of walking from DTSTART."""
    hi = it.until + (_DAY if all_day else timedelta(seconds=1))
    step = timedelta(days=(400 if it.freq == 0 else 40) * it.interval)
    start = it.dtstart
    while True:
        lo = hi - step
        walls = list(it.between(None if lo <= start else lo, hi))
        if walls:
            return walls[-1:]
        if lo <= start:
            return []
        hi, step = lo, step * 2


def _start_order(inst: Instance):
    """Instances of one series: by start, then by original start (the store's order)."""
    return inst.start_key, inst.recurrence_id


def expand(event: Event, start, end, tz: tzinfo | None = None, include_cancelled: bool = False) -> list[Instance]:
    """Shorthand for ``Series(event).overlapping(start, end, ...)``; ``[]`` when time-independent."""
    if event.timing is None:
        return []
    return Series(event).overlapping(start, end, tz, include_cancelled)


__all__ = ["Instance", "Series", "expand", "RDate", "Timing", "Override"]
